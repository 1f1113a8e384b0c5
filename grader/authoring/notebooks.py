"""Turn a reference solution into the student's notebook.

The notebook is built from the stub (see :mod:`grader.authoring.stubs`), never
from the solution code itself:

1. a Markdown cell with the lesson: the module docstring, then how to work;
2. one code cell with the imports and lesson constants;
3. one code cell per function, holding its stub (signature, docstring, TODO);
4. the demo: the body of the solution's ``if __name__ == "__main__":`` block,
   split into cells at ``# %% <title>`` lines. Each demo cell keeps the
   ``if __name__ == "__main__":`` guard, so it runs in Jupyter (where
   ``__name__`` is ``"__main__"``) but not when the grader imports the
   notebook's code as a module: a demo calling an unfinished function cannot
   break the grading of the finished ones.

``from __future__ import annotations`` is left out: it must be the first
statement of a module, which a notebook cell cannot promise, and the
annotations evaluate fine without it.

The output is deterministic: cell ids come from the exercise name and the
cell's position, and nothing records a time or a random value, so
regenerating an unchanged solution gives a byte-identical file.
"""

from __future__ import annotations

import ast
import re
import textwrap

import nbformat
from nbformat import v4

from grader.authoring.stubs import make_stub

__all__ = ["make_notebook", "notebook_text"]

_CELL_SPLIT = re.compile(r"^# %%[ \t]*(?P<title>.*?)[ \t]*$")
_NOQA = re.compile(r"[ \t]+# noqa: F401$", re.MULTILINE)
_GUARD = 'if __name__ == "__main__":'

_HOW_TO = """\
## How to work

Fill in every function below where it says `raise NotImplementedError`, keeping
its name and parameters as they are. Run the cells from the top; the cells at
the end try your functions on the lesson's numbers. Only the functions are
graded, on inputs you have not seen, so printing the lesson's numbers earns
nothing by itself."""

_DEMO_INTRO = """\
## Try it on the lesson's numbers

These cells call your functions on the lesson's inputs; the comments say what
the lesson printed. They are guarded by `if __name__ == "__main__":`, so they
run here but not when the grader imports your notebook."""

_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def _is_main_guard(node: ast.If) -> bool:
    return ast.unparse(node.test).replace("'", '"') == '__name__ == "__main__"'


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _segments(tree: ast.Module, lines: list[str]) -> list[tuple[ast.stmt, str]]:
    """Each top-level statement with its source lines, from the end of the previous one.

    The text keeps the blank lines and comments above the statement, so that
    joining consecutive segments with newlines gives back the source.
    """
    out: list[tuple[ast.stmt, str]] = []
    previous_end = 0
    for node in tree.body:
        end = node.end_lineno or node.lineno
        out.append((node, "\n".join(lines[previous_end:end])))
        previous_end = end
    return out


def _demo_cells(node: ast.If, lines: list[str]) -> list[str]:
    """The guarded demo, one cell per ``# %%`` section, each keeping the guard."""
    start = node.body[0].lineno - 1
    # Comments directly under the guard belong to the first section.
    while start > node.lineno and lines[start - 1].strip().startswith("#"):
        start -= 1
    body = textwrap.dedent("\n".join(lines[start : node.end_lineno]))
    sections: list[tuple[str, list[str]]] = [("", [])]
    for line in body.splitlines():
        match = _CELL_SPLIT.match(line)
        if match:
            sections.append((match["title"], []))
        else:
            sections[-1][1].append(line)
    cells = []
    for title, code in sections:
        code_text = "\n".join(code).strip("\n")
        if not code_text.strip():
            continue
        heading = f"# {title}\n" if title else ""
        cells.append(f"{heading}{_GUARD}\n{textwrap.indent(code_text, '    ')}")
    return cells


def _lesson_markdown(docstring: str, exercise: str) -> str:
    title, _, body = textwrap.dedent(docstring).strip().partition("\n")
    parts = [f"# {exercise} — {title.strip().rstrip('.')}"]
    if body.strip():
        parts.append(textwrap.dedent(body).strip())
    parts.append(_HOW_TO)
    return "\n\n".join(parts)


def make_notebook(source: str, exercise: str) -> nbformat.NotebookNode:
    """The student notebook for the solution module ``source`` of ``exercise``.

    ``source`` is the *solution*; it is stubbed here, so no solution code can
    reach the notebook. Raises :class:`~grader.authoring.stubs.MarkerError` for
    malformed markers.
    """
    stub = _NOQA.sub("", make_stub(source, origin=f"solutions/{exercise}.py"))
    lines = stub.splitlines()
    tree = ast.parse(stub)

    lesson = ""
    setup: list[str] = []
    functions: list[tuple[str, str]] = []
    demo: list[str] = []
    for index, (node, text) in enumerate(_segments(tree, lines)):
        if index == 0 and _is_docstring(node):
            lesson = ast.get_docstring(tree, clean=True) or ""
        elif isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            functions.append((node.name, text.strip("\n")))
        elif isinstance(node, ast.If) and _is_main_guard(node):
            demo.extend(_demo_cells(node, lines))
        else:
            setup.append(text)

    cells: list[nbformat.NotebookNode] = []

    def add(kind: str, text: str, tags: list[str], **extra: object) -> None:
        cell_id = f"{exercise}-{len(cells):02d}"
        metadata: dict[str, object] = {"tags": tags, **extra}
        if kind == "markdown":
            cells.append(v4.new_markdown_cell(source=text, id=cell_id, metadata=metadata))
        else:
            cells.append(v4.new_code_cell(source=text, id=cell_id, metadata=metadata))

    add("markdown", _lesson_markdown(lesson, exercise), ["lesson"])
    if setup:
        add("code", "\n".join(setup).strip("\n"), ["setup"])
    for name, text in functions:
        add("code", text, ["exercise"], grader={"function": name})
    if demo:
        add("markdown", _DEMO_INTRO, ["demo"])
        for text in demo:
            add("code", text, ["demo"])

    notebook = v4.new_notebook(
        cells=cells,
        metadata={
            **_METADATA,
            "grader": {"exercise": exercise, "generated_from": f"solutions/{exercise}.py"},
        },
    )
    nbformat.validate(notebook)
    return notebook


def notebook_text(source: str, exercise: str) -> str:
    """:func:`make_notebook` serialised as the ``.ipynb`` file's text (nbformat 4.5)."""
    return nbformat.writes(make_notebook(source, exercise)) + "\n"
