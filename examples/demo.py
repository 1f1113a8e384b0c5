"""The bundled course's example class, and the README's main command (``make demo``).

Course material, not engine: it lives beside the course's own files, and the
grader package knows nothing of it.

``examples/class/`` holds five small submissions that show what the grader
does with what students really hand in. They are generated from
``solutions/`` and ``exercises/`` by :func:`build_example_class`, never edited
by hand, and a test keeps the committed files equal to a fresh generation:

- ``alice``: every exercise correct, as ``.py`` modules;
- ``bob``: every exercise correct, as filled-in notebooks (one with a shell escape);
- ``carol``: ex01 to ex05 done, ex06 to ex09 handed in untouched;
- ``dave``: the lesson's classic mistakes (softmax twice, ``x @ weight``,
  no ``zero_grad`` in the training loop);
- ``erin``: correct modules, but one notebook that is not valid JSON.

``python examples/demo.py --out reports/demo`` grades the class and prints the table;
``--build`` regenerates ``examples/class/``.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from grader.assignment import EXERCISES, use

ROOT = Path(__file__).resolve().parents[1]  # the bundled course: assignment.toml is there

EXAMPLES = Path("examples") / "class"

# (exercise, old text, new text): each must match exactly once in the solution.
MISTAKES: dict[str, list[tuple[str, str]]] = {
    "ex01_multiclass": [
        (
            "    shifted = logits - logits.max(dim=-1, keepdim=True).values\n",
            "    logits = predict_proba(logits)  # softmax applied before the loss\n"
            "    shifted = logits - logits.max(dim=-1, keepdim=True).values\n",
        )
    ],
    "ex03_forward_pass": [("    out = x @ weight.T\n", "    out = x @ weight\n")],
    "ex07_training": [("            optimizer.zero_grad()\n", "")],
}


def _patched(source: str, edits: Sequence[tuple[str, str]], where: str) -> str:
    for old, new in edits:
        if source.count(old) != 1:
            raise ValueError(f"{where}: the example edit {old.strip()!r} no longer matches once")
        source = source.replace(old, new)
    return source


def _filled_notebook(exercise: str, solution: str, notebook_text: str) -> str:
    """The student's notebook with every stub cell replaced by the solution's function."""
    tree = ast.parse(solution)
    functions = {
        node.name: ast.get_source_segment(solution, node)
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name in EXERCISES[exercise]
    }
    notebook = json.loads(notebook_text)
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        text = "".join(cell["source"])
        for name, code in functions.items():
            if f"def {name}(" in text and code is not None:
                cell["source"] = code
                break
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def build_example_class(root: Path) -> dict[Path, str]:
    """Every file of the example class: relative path -> text."""
    files: dict[Path, str] = {}
    solutions = {name: (root / "solutions" / f"{name}.py").read_text() for name in EXERCISES}
    stubs = {name: (root / "exercises" / f"{name}.py").read_text() for name in EXERCISES}
    notebooks = {
        name: (root / "exercises" / "notebooks" / f"{name}.ipynb").read_text() for name in EXERCISES
    }
    for name, text in solutions.items():
        files[EXAMPLES / "alice" / f"{name}.py"] = text
        filled = _filled_notebook(name, text, notebooks[name])
        files[EXAMPLES / "bob" / f"{name}.ipynb"] = filled
        done = name <= "ex05"
        files[EXAMPLES / "carol" / "exercises" / f"{name}.py"] = text if done else stubs[name]
        patched = _patched(text, MISTAKES.get(name, []), f"solutions/{name}.py")
        files[EXAMPLES / "dave" / f"{name}.py"] = patched
        if name == "ex03_forward_pass":
            files[EXAMPLES / "erin" / f"{name}.ipynb"] = filled[: len(filled) // 2]
        else:
            files[EXAMPLES / "erin" / f"{name}.py"] = text
    bob_ex02 = EXAMPLES / "bob" / "ex02_regression_binary.ipynb"
    notebook = json.loads(files[bob_ex02])
    notebook["cells"].insert(
        1,
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "bob-pip",
            "metadata": {},
            "outputs": [],
            "source": "!pip install torchinfo\n%matplotlib inline",
        },
    )
    files[bob_ex02] = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    return files


def write_example_class(root: Path) -> list[Path]:
    """Write the example class under ``root``; returns the paths written."""
    written = []
    for relative, text in sorted(build_example_class(root).items()):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python examples/demo.py", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("reports/demo"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--build", action="store_true", help="regenerate examples/class/ and stop")
    args = parser.parse_args(argv)
    root = use(ROOT).root
    if args.build:
        for path in write_example_class(root):
            print(f"wrote {path.relative_to(root)}")
        return 0
    from grader.cli import main as cli_main

    print(f"grading the example class in {root / EXAMPLES} ...", file=sys.stderr)
    return cli_main(
        ["grade", "--assignment", str(root), "--class", str(root / EXAMPLES),
         "--out", str(args.out), "--jobs", str(args.jobs), "--no-resume"]
    )  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
