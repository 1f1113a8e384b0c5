"""Turn a Jupyter notebook into a module the sandbox can import, without running anything.

A notebook is JSON, and its code cells may use IPython syntax (``!pip install x``,
``%matplotlib inline``, ``%%bash``) that plain Python cannot import. So, in the
trusted parent and as data only (docs/threats.md rows 52-57):

* the file is decoded (:mod:`grader.intake.encoding`: UTF-8 with or without a
  byte-order mark, UTF-16, Windows-1252, with a note when it is not UTF-8) and
  parsed with :mod:`json`, never executed. We do not use ``nbformat.reads``: it
  logs schema errors instead of raising them, treats a file without an
  ``nbformat`` field as version 1, and raises ``AttributeError`` on a top-level
  JSON list. We check exactly what the conversion needs instead. nbformat 4 is
  what Jupyter has written since 2015; a version 2 or 3 notebook is upgraded
  with nbformat's own converter (what Jupyter does when it opens one), with a note;
* a file named ``.ipynb`` that is not JSON but parses as Python (a script saved
  under the wrong name) is handed back as a script (``kind="module"``) with a
  note; a notebook whose kernel language is not Python (R, Julia) is refused
  with a message saying so, rather than failing on every line;
* outputs, metadata (points, grade ids, kernelspec), markdown and raw cells are
  ignored, so a pre-filled "All tests passed" counts for nothing;
* each code cell goes through IPython's own ``TransformerManager.transform_cell``,
  so magics become ``get_ipython().run_line_magic(...)`` calls exactly as
  Jupyter would run them;
* :data:`PRELUDE`, plain standard library, defines a stand-in ``get_ipython()``
  whose shell escapes print one ``[grader] ... not run`` line and do nothing, and
  whose display magics are no-ops. ``%%time`` and ``%%capture`` cells keep their
  code (only the timing is dropped), because students wrap whole cells in them.

Cells are named "code cell N": N counts code cells from the top of the notebook,
from 1. Markdown cells and execution counts (``In [7]``, which depend on the
order the student ran things) are not counted. Each cell is preceded in the
module by a ``# --- code cell N ---`` comment, and :func:`locate` maps a module
line back to (code cell, line in that cell) through the line map.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from grader.errors import GraderError
from grader.intake.archive import _size
from grader.intake.encoding import UndecodableError, decode_text

if TYPE_CHECKING:
    from IPython.core.inputtransformer2 import TransformerManager

__all__ = [
    "PRELUDE",
    "ConvertedNotebook",
    "LineMap",
    "NotebookError",
    "adapt_script",
    "convert_notebook",
    "locate",
]

# (module_line_start, code_cell_number, cell_line_start), sorted by module line.
# A segment that starts on a cell's header comment has cell_line_start 0.
LineMap = tuple[tuple[int, int, int], ...]

# Magic tables. The prelude embeds them with repr(), so the notes written here and
# what the stand-in does at run time cannot disagree.
QUIET_LINE_MAGICS = frozenset(
    {
        "aimport", "alias_magic", "autoawait", "autocall", "automagic", "autoreload",
        "autosave", "colors", "config", "doctest_mode", "gui", "hist", "history",
        "load_ext", "lsmagic", "magic", "matplotlib", "page", "pdef", "pdoc", "pfile",
        "pinfo", "pinfo2", "pprint", "precision", "psearch", "psource", "pwd",
        "quickref", "reload_ext", "tb", "timeit", "unload_ext", "who", "who_ls",
        "whos", "xmode",
    }
)  # fmt: skip
SHELL_LINE_MAGICS = frozenset(
    {"bash", "conda", "mamba", "micromamba", "pip", "sc", "script", "sh", "system", "sx", "uv"}
)
QUIET_CELL_MAGICS = frozenset(
    {"HTML", "html", "javascript", "js", "latex", "markdown", "svg", "timeit"}
)
SHELL_CELL_MAGICS = frozenset(
    {"bash", "perl", "pypy", "python", "python2", "python3", "ruby", "script", "sh",
     "system", "sx"}
)  # fmt: skip
# Cell magics whose body is ordinary code that Jupyter runs in the notebook's
# namespace: the magic line is dropped and the body kept, so definitions survive.
RUN_BODY_CELL_MAGICS = frozenset({"capture", "time"})

PRELUDE = f"""\
# ---- grader prelude: not part of your notebook ----
# IPython turned magics and shell escapes into get_ipython() calls. This stand-in
# does not run shell commands, and display magics do nothing.
class _GraderIPython:
    _quiet_line = {sorted(QUIET_LINE_MAGICS)!r}
    _shell_line = {sorted(SHELL_LINE_MAGICS)!r}
    _quiet_cell = {sorted(QUIET_CELL_MAGICS)!r}
    _shell_cell = {sorted(SHELL_CELL_MAGICS)!r}

    def _skip(self, kind, command):
        import sys
        command = " ".join(str(command).split())
        if len(command) > 120:
            command = command[:117] + "..."
        print("[grader] " + kind + " not run: " + command, file=sys.stderr)

    def system(self, cmd, *args, **kwargs):
        self._skip("shell escape", "!" + str(cmd))

    def getoutput(self, cmd, *args, **kwargs):
        self._skip("shell escape", "!" + str(cmd))
        return _GraderSList()

    def run_line_magic(self, name, line="", *args, **kwargs):
        name = str(name).lstrip("%")
        if name == "time":
            return self._time(str(line))
        if name not in self._quiet_line:
            kind = "shell escape" if name in self._shell_line else "magic"
            self._skip(kind, "%" + name + " " + str(line))
        return None

    def run_cell_magic(self, name, line="", cell="", *args, **kwargs):
        name = str(name).lstrip("%")
        if name not in self._quiet_cell:
            kind = "shell escape" if name in self._shell_cell else "magic"
            self._skip(kind, "%%" + name + " " + str(line))
        return None

    def magic(self, line):
        name, _, rest = str(line).lstrip("%").partition(" ")
        return self.run_line_magic(name, rest)

    def show_usage(self):
        return None

    @staticmethod
    def _time(statement):
        # %time runs its statement in the notebook's namespace; so do we, untimed.
        namespace = globals()
        try:
            code = compile(statement, "<%time>", "eval")
        except SyntaxError:
            exec(compile(statement, "<%time>", "exec"), namespace)
            return None
        return eval(code, namespace)


class _GraderSList(list):
    s = property(lambda self: " ".join(self))
    n = property(lambda self: "\\n".join(self))
    l = property(list)


_grader_ipython = _GraderIPython()


def get_ipython():
    return _grader_ipython


def display(*objs, **kwargs):
    return None

"""

_MAX_NOTES = 20
_SHOWN_CHARS = 80

# Lines that may make IPython run one more token transform. Each transform
# re-tokenizes the whole cell (measured: a 120 KB cell with 499 `!ls` lines takes
# 90 s), so a cell costs about (candidates + 1) * its size; see convert_notebook.
# No quantifier here can cross a line or overlap another, so counting is linear.
_CANDIDATE_LINE = re.compile(
    r"^[ \t]*[!%?,;/]"  # escaped command: !cmd, %magic, ?help, ,quote ;quote /call
    r"|^[\w.,()\[\]* \t]+=[ \t]*[!%]"  # x = !cmd, x = %magic
    r"|^[^#\n]*\?[ \t]*$",  # obj? and obj??
    re.MULTILINE,
)
_CELL_MAGIC_LINE = re.compile(r"%%(\w+)")


class NotebookError(GraderError, ValueError):
    """The notebook cannot be converted; the message is complete and student-facing."""


@dataclass(frozen=True)
class ConvertedNotebook:
    """The module source made from a notebook, with what a student should know about it."""

    source: str
    notes: tuple[str, ...]
    line_map: LineMap
    kind: Literal["notebook", "module"] = "notebook"  # module: a script named .ipynb


@dataclass
class _Cell:
    number: int
    lines: list[str]  # transformed (or commented-out) lines, no newline characters
    segments: list[tuple[int, int]]  # (index in lines, cell line) where a run starts
    notes: list[str]
    hoisted: list[str]  # `from __future__` lines that must open the module


def convert_notebook(
    raw: bytes | str,
    *,
    max_code_chars: int = 1 << 20,
    transform_budget: int = 1_000_000,
) -> ConvertedNotebook:
    """Convert notebook bytes to module source, without executing any of it.

    ``max_code_chars`` caps the code cells together (the same cap a ``.py`` file
    has). ``transform_budget`` bounds the parent's CPU spent in IPython's
    transformer, in characters re-tokenized; a cell that would exceed it is left
    out with a note. Measured worst case about 4.5 us per character per pass, so
    the default costs at most a few seconds; real notebooks use a few percent.
    Raises :class:`NotebookError` when the file is not a usable notebook.
    """
    notes: list[str] = []
    text = _decode(raw, notes)
    try:
        data = _parse(text)
    except NotebookError:
        if not _is_python_script(text, max_code_chars):
            raise
        notes.append(
            "the file is a Python script, not a Jupyter notebook (it is not JSON); it was "
            "graded as a script. Save notebooks from Jupyter with File > Save."
        )
        script, magic_notes = adapt_script(text)
        return ConvertedNotebook(script, (*notes, *magic_notes), (), "module")
    data = _upgrade(data, notes)
    _check_language(data)
    code_cells = _code_cells(data)
    total = sum(len(text) for text in code_cells)
    if total > max_code_chars:
        raise NotebookError(
            f"The notebook's code cells hold {_size(total)} of code, over the "
            f"{_size(max_code_chars)} limit. Move data out of the code cells and submit again."
        )

    from IPython.core.inputtransformer2 import TransformerManager  # heavy: import on use

    manager = TransformerManager()
    cells: list[_Cell] = []
    budget = transform_budget
    for number, text in enumerate(code_cells, start=1):
        cost = (len(_CANDIDATE_LINE.findall(text)) + 1) * max(len(text), 1)
        if cost > budget:
            cells.append(
                _left_out(number, text, "it is too large to convert; split it into smaller cells")
            )
            continue
        budget -= cost
        cells.append(_convert_cell(manager, number, text))
    return _assemble(cells, notes)


def adapt_script(source: str) -> tuple[str, tuple[str, ...]]:
    """A script exported from a notebook (VS Code "Export as Python", nbconvert), made runnable.

    Such exports turn magics into ``get_ipython().run_line_magic(...)`` calls,
    which plain Python cannot run. When the script calls ``get_ipython()``
    without defining it, the first blank or comment-only line between top-level
    statements (``# %%``, after any ``from __future__`` import and before the
    first statement that names ``get_ipython``) is replaced by one statement that
    defines :data:`PRELUDE`'s stand-ins, so every other line keeps its number;
    each call gets the same note a notebook's magic gets. A script that never
    calls it, defines it itself, or has no such line is returned unchanged;
    importing it from IPython does not count as defining it (outside a kernel
    IPython's returns None; the worker makes it return the stand-in).
    """
    if "get_ipython" not in source:  # most scripts: no parse needed to know
        return source, ()
    tree = _parse_quietly(source)
    if tree is None:
        return source, ()
    calls_it = defines_it = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "get_ipython":
            calls_it = calls_it or isinstance(node.ctx, ast.Load)
            defines_it = defines_it or not isinstance(node.ctx, ast.Load)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defines_it = defines_it or node.name == "get_ipython"
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and not _from_ipython(node):
            defines_it = defines_it or any(
                (alias.asname or alias.name) == "get_ipython" for alias in node.names
            )
    lines = source.split("\n")
    free = _stand_in_line(tree, lines) if calls_it and not defines_it else None
    if free is None:
        return source, ()
    notes = [f"line {index + 1}: {description}" for index, description in _magic_calls(tree, lines)]
    lines[free] = f"exec({PRELUDE!r})  # grader: stand-in for get_ipython(), in place of a comment"
    if len(notes) > _MAX_NOTES:
        extra = len(notes) - _MAX_NOTES + 1
        notes = [*notes[: _MAX_NOTES - 1], f"... and {extra} more notes about magics"]
    return "\n".join(lines), tuple(notes)


def _from_ipython(node: ast.Import | ast.ImportFrom) -> bool:
    """``from IPython import get_ipython``: None outside a kernel, so the stand-in goes in.

    (The worker makes IPython's own function hand this module's stand-in shell back.)
    """
    return isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "IPython"


def _stand_in_line(tree: ast.Module, lines: list[str]) -> int | None:
    """The 0-based index of a free line where the stand-in can go, or None."""
    spans: list[tuple[int, int, ast.stmt]] = []  # 1-based lines, decorators included
    for node in tree.body:
        first = min(n.lineno for n in ast.walk(node) if isinstance(n, ast.stmt | ast.expr))
        spans.append((first, node.end_lineno or node.lineno, node))
    after = max(
        (last for _f, last, node in spans
         if isinstance(node, ast.ImportFrom) and node.module == "__future__"),
        default=0,
    )  # fmt: skip
    before = next(
        (
            first
            for first, _last, node in spans
            if any(isinstance(n, ast.Name) and n.id == "get_ipython" for n in ast.walk(node))
        ),
        len(lines) + 1,
    )
    taken = {line for first, last, _ in spans for line in range(first, last + 1)}
    for number in range(after + 1, before):
        if number not in taken and lines[number - 1].strip()[:1] in ("", "#"):
            return number - 1
    return None


def locate(line_map: LineMap, lineno: int) -> tuple[int, int] | None:
    """(code cell number, line in that cell) for a 1-based module line, or None.

    None means the line is not the student's: the prelude or a cell header.
    """
    found: tuple[int, int] | None = None
    for module_start, cell, cell_start in line_map:
        if module_start > lineno:
            break
        found = (cell, cell_start + lineno - module_start)
    if found is None or found[1] < 1:
        return None
    return found


# --- parsing ---------------------------------------------------------------


def _unparsable(reason: str) -> NotebookError:
    return NotebookError(
        f"Notebook could not be parsed: {reason}. Open it in Jupyter, save it, and submit again."
    )


def _decode(raw: bytes | str, notes: list[str]) -> str:
    if isinstance(raw, str):
        return raw
    try:
        text, label = decode_text(raw)
    except UndecodableError as exc:
        raise NotebookError(
            f"Notebook could not be read: {exc}. Open it in Jupyter, save it (Jupyter saves "
            "UTF-8 text), and submit again."
        ) from None
    if label:
        notes.append(
            f"the notebook is not saved as UTF-8; it was read as {label}. If any accented "
            "text looks wrong, save it as UTF-8 and submit again."
        )
    return text


def _is_python_script(text: str, max_code_chars: int) -> bool:
    """Whether ``text`` (not JSON) is Python source: a script saved under ``.ipynb``."""
    stripped = text.lstrip()
    if not stripped or stripped[0] in "{[<" or len(text) > max_code_chars:
        return False  # empty, broken JSON, HTML, or too large to be graded anyway
    return _parse_quietly(text) is not None


def _upgrade(data: object, notes: list[str]) -> object:
    """A version 2 or 3 notebook as version 4, through nbformat's own converter."""
    if not isinstance(data, dict) or data.get("nbformat") not in (2, 3):
        return data
    version = data["nbformat"]
    import nbformat  # heavy: import on use
    import nbformat.converter

    try:
        upgraded = nbformat.converter.convert(nbformat.from_dict(data), 4)
    except Exception as exc:  # nbformat's converter trusts the shape of what it reads
        reason = " ".join(str(exc).split())[:_SHOWN_CHARS] or type(exc).__name__
        raise _unparsable(
            f"it is an old (nbformat {version}) notebook that could not be upgraded ({reason})"
        ) from None
    notes.append(
        f"the notebook was saved in the old notebook format {version}; it was upgraded to "
        "format 4, as Jupyter does when it opens it"
    )
    return upgraded


_PYTHON_LANGUAGES = frozenset({"python", "python2", "python3", "ipython", "ipython3"})
_LANGUAGE_NAMES = {"r": "R", "julia": "Julia", "scala": "Scala", "javascript": "JavaScript"}


def _check_language(data: object) -> None:
    """Refuse a notebook whose kernel runs another language: its code is not Python."""
    metadata = data.get("metadata") if isinstance(data, dict) else None
    if not isinstance(metadata, dict):
        return
    language = None
    for section, key in (("kernelspec", "language"), ("language_info", "name")):
        entry = metadata.get(section)
        if isinstance(entry, dict) and isinstance(entry.get(key), str) and entry[key].strip():
            language = entry[key].strip()
            break
    if language is None or language.lower() in _PYTHON_LANGUAGES:
        return
    shown = _LANGUAGE_NAMES.get(language.lower()) or _shown(language)
    raise NotebookError(
        f"This notebook runs {shown}, not Python, so it cannot be graded. Open the course's "
        "notebook in Jupyter with a Python 3 kernel, put your code in it, and submit again."
    )


def _parse(raw: str) -> object:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _unparsable(
            f"it is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise _unparsable("its JSON is nested too deeply") from None


def _code_cells(data: object) -> list[str]:
    """The source of each code cell, in document order, newlines normalised to \\n."""
    if not isinstance(data, dict):
        raise _unparsable(f"it holds a JSON {type(data).__name__}, not a notebook object")
    version = data.get("nbformat")
    if version is None:
        raise _unparsable("it has no `nbformat` field, so it is not a Jupyter notebook")
    if type(version) is not int or version != 4:
        raise _unparsable(f"nbformat version {version!r} is not supported (only version 4 is)")
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise _unparsable("it has no `cells` list")
    sources: list[str] = []
    for index, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise _unparsable(f"cell {index} of the file has no `cell_type`")
        if cell["cell_type"] != "code":
            continue
        source = cell.get("source")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise _unparsable(f"code cell {len(sources) + 1} has no `source` text")
        try:
            source.encode("utf-8")
        except UnicodeEncodeError:
            raise _unparsable(
                f"code cell {len(sources) + 1} contains text that is not valid Unicode"
            ) from None
        sources.append(source.replace("\r\n", "\n").replace("\r", "\n"))
    return sources


# --- one cell ----------------------------------------------------------------


def _split(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _left_out(number: int, text: str, why: str) -> _Cell:
    original = _split(text)
    lines = [f"# {line}" if line else "#" for line in original]
    note = f"code cell {number} was left out: {why}"
    return _Cell(number, lines, [(0, 1)] if lines else [], [note], [])


def _convert_cell(manager: TransformerManager, number: int, text: str) -> _Cell:
    original = _split(text)
    to_transform = list(original)
    notes: list[str] = []
    first = next((i for i, line in enumerate(original) if line.strip()), None)
    if first is not None:
        magic = _CELL_MAGIC_LINE.match(original[first])
        if magic and magic.group(1) in RUN_BODY_CELL_MAGICS:
            to_transform[first] = ""
            notes.append(
                f"code cell {number}: `%%{magic.group(1)}` was ignored; the cell's code ran "
                "without it"
            )
    try:
        transformed = _split(manager.transform_cell("\n".join(to_transform) + "\n"))
    except Exception as exc:  # IPython's own failure (e.g. its 500-transform limit)
        reason = " ".join(str(exc).split())[:_SHOWN_CHARS] or type(exc).__name__
        return _left_out(number, text, f"IPython could not convert it ({reason})")
    segments = _align(to_transform, transformed)
    tree = _parse_quietly("\n".join(transformed))
    hoisted = _hoist_future_imports(tree, transformed)
    for line_index, description in _magic_calls(tree, transformed):
        cell_line = _cell_line(segments, line_index)
        notes.append(f"code cell {number}, line {cell_line}: {description}")
    return _Cell(number, transformed, segments, notes, hoisted)


def _align(original: list[str], transformed: list[str]) -> list[tuple[int, int]]:
    """Where runs of transformed lines start, and the cell line each run starts at.

    IPython drops leading blank lines and collapses continued escapes and cell
    magics into one line, so line counts can differ; unchanged lines match after
    stripping (IPython may dedent the whole cell).
    """
    if len(original) == len(transformed):
        return [(0, 1)] if transformed else []
    matcher = difflib.SequenceMatcher(
        None, [line.strip() for line in original], [line.strip() for line in transformed]
    )
    segments: list[tuple[int, int]] = []
    for _tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if j2 > j1:
            while i1 < i2 - 1 and not original[i1].strip():
                i1 += 1  # a collapsed block starts where its code does
            segments.append((j1, i1 + 1))
    return segments


def _cell_line(segments: list[tuple[int, int]], line_index: int) -> int:
    cell_line = line_index + 1
    for start, cell_start in segments:
        if start > line_index:
            break
        cell_line = cell_start + line_index - start
    return cell_line


def _parse_quietly(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # the worker's import reports it, with the line


def _hoist_future_imports(tree: ast.Module | None, lines: list[str]) -> list[str]:
    """Move `from __future__ import ...` to the module top, where Python requires it.

    Jupyter compiles each cell on its own, so the import is legal at the start of
    any cell; after the prelude it would be a SyntaxError. Its lines are blanked in place
    so the cell keeps its line numbers. One that shares a line with another
    statement is left alone (Python will then say why).
    """
    if tree is None:
        return []
    hoisted: list[str] = []
    for position, node in enumerate(tree.body):
        if not (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
            if (
                position == 0
                and isinstance(node, ast.Expr)
                and isinstance(node.value, ast.Constant)
            ):
                continue  # a docstring may precede them
            break  # later ones are an error in Jupyter too
        first, last = node.lineno, node.end_lineno or node.lineno
        neighbours = (
            tree.body[max(position - 1, 0) : position] + tree.body[position + 1 : position + 2]
        )
        if any(
            other.lineno <= last and (other.end_lineno or other.lineno) >= first
            for other in neighbours
        ):
            continue
        hoisted.append(ast.unparse(node))
        for index in range(first - 1, last):
            lines[index] = ""
    return hoisted


def _magic_calls(tree: ast.Module | None, lines: list[str]) -> Iterable[tuple[int, str]]:
    """(0-based line, description) of every ``get_ipython().<method>(...)`` call."""
    if tree is None:  # a syntax error elsewhere: look at each transformed line alone
        for index, line in enumerate(lines):
            alone = _parse_quietly(line.strip()) if "get_ipython()" in line else None
            if alone is not None:
                for _, description in _magic_calls(alone, [line]):
                    yield index, description
        return
    calls = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Call)
            and isinstance(node.func.value.func, ast.Name)
            and node.func.value.func.id == "get_ipython"
        ):
            args = [a.value if isinstance(a, ast.Constant) else "..." for a in node.args]
            calls.append((node.lineno - 1, node.col_offset, _describe(node.func.attr, args)))
    for index, _col, description in sorted(calls):
        yield index, description


def _describe(method: str, args: Sequence[object]) -> str:
    text = [str(arg) for arg in args] + ["", "", ""]
    if method in ("system", "getoutput"):
        return f"shell escape {_shown('!' + text[0])} was not run"
    if method in ("run_line_magic", "magic"):
        if method == "magic":
            text[0], _, text[1] = text[0].lstrip("%").partition(" ")
        name = text[0].lstrip("%")
        shown = _shown(f"%{name} {text[1]}")
        if name == "time":
            return f"{_shown('%time')} was ignored; the statement ran without it"
        if name in QUIET_LINE_MAGICS:
            return f"{shown} has no effect when grading"
        kind = "shell escape" if name in SHELL_LINE_MAGICS else "magic"
        return f"{kind} {shown} was not run"
    if method == "run_cell_magic":
        name = text[0].lstrip("%")
        shown = _shown(f"%%{name} {text[1]}")
        if name in QUIET_CELL_MAGICS:
            return f"{shown} cell has no effect when grading"
        kind = "shell escape" if name in SHELL_CELL_MAGICS else "magic"
        return f"{kind} {shown} cell was not run"
    if method == "show_usage":
        return f"{_shown('?')} has no effect when grading"
    return f"get_ipython().{method}() is not available when grading"


def _shown(command: str) -> str:
    """A command as one short printable line in backquotes: notes are student text."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in command).split())
    if len(flat) > _SHOWN_CHARS:
        flat = flat[: _SHOWN_CHARS - 3] + "..."
    flat = flat.replace("`", "'")
    return f"`{flat}`"


# --- the module ------------------------------------------------------------------


def _assemble(cells: list[_Cell], leading: Sequence[str] = ()) -> ConvertedNotebook:
    hoisted = [line for cell in cells for line in cell.hoisted]
    head = [*dict.fromkeys(hoisted), *_split(PRELUDE)]
    out = list(head)
    line_map: list[tuple[int, int, int]] = []
    notes: list[str] = list(leading)
    for cell in cells:
        notes.extend(cell.notes)
        if not any(line.strip() for line in cell.lines):
            continue
        header = len(out) + 1  # 1-based module line of this cell's header comment
        out.append(f"# --- code cell {cell.number} ---")
        line_map.append((header, cell.number, 0))
        for start, cell_start in cell.segments:
            line_map.append((header + 1 + start, cell.number, cell_start))
        out.extend(cell.lines)
    if len(notes) > _MAX_NOTES:
        extra = len(notes) - _MAX_NOTES + 1
        notes = [*notes[: _MAX_NOTES - 1], f"... and {extra} more notes about magics and cells"]
    return ConvertedNotebook("\n".join(out) + "\n", tuple(notes), _merge(line_map))


def _merge(line_map: list[tuple[int, int, int]]) -> LineMap:
    """Drop segments that merely continue the previous one."""
    merged: list[tuple[int, int, int]] = []
    for segment in line_map:
        if merged:
            start, cell, cell_start = merged[-1]
            if segment[1] == cell and segment[2] - cell_start == segment[0] - start:
                continue
        merged.append(segment)
    return tuple(merged)
