"""Turn a reference solution into the student's stub.

Solution syntax (one marked region per function body, as in nbgrader)::

    def normalize_rows(z):
        \"\"\"Docstring: kept in the stub.\"\"\"
        ### BEGIN SOLUTION (TODO: subtract each row's max, exponentiate, divide by the row sum)
        ...the reference code...
        ### END SOLUTION

- The ``BEGIN`` line may carry a hint in parentheses: ``(TODO: <text>)``, the
  text running to the last ``)`` of the line. Without one the stub says
  ``# TODO: write this part``.
- The ``END`` line must sit at the ``BEGIN`` line's indentation; regions do
  not nest.
- The whole region becomes, at that indentation, ``# TODO: <text>`` followed by
  ``raise NotImplementedError``. Everything else (imports, lesson constants,
  signatures, docstrings, the ``if __name__ == "__main__":`` demo) is kept.

An import that only the removed code used is marked ``# noqa: F401`` so the
stub stays lint-clean while still importing what the student will need.
"""

from __future__ import annotations

import ast
import re

from grader.errors import GraderError

__all__ = ["MarkerError", "make_stub"]

_BEGIN = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION(?:[ \t]+\(TODO:[ \t]*(?P<todo>.*)\))?[ \t]*$"
)
_END = re.compile(r"^(?P<indent>[ \t]*)### END SOLUTION[ \t]*$")
_ANY_MARKER = re.compile(r"###[ \t]*(BEGIN|END)[ \t]+SOLUTION")
_DEFAULT_TODO = "write this part"
_NOQA = "  # noqa: F401"


class MarkerError(GraderError, ValueError):
    """A solution's ``### BEGIN/END SOLUTION`` markers are malformed (an authoring error).

    ``line`` is 1-based in the solution; ``path`` names the file when known.
    """

    def __init__(self, line: int, reason: str, *, path: str | None = None) -> None:
        where = f"{path}:{line}" if path else f"line {line}"
        super().__init__(f"{where}: {reason}", "fix the markers, then run grader stubs again")
        self.line = line
        self.reason = reason
        self.path = path


def _header(origin: str | None) -> list[str]:
    source = origin or "the reference solution"
    return [
        f"# Generated from {source} by `python -m grader.authoring`.",
        "# Students: replace each `raise NotImplementedError` with your own code.",
        "# Course staff: edit the solution and regenerate; changes made here are overwritten.",
    ]


def _strip_solutions(lines: list[str]) -> tuple[list[str], int]:
    """The lines with every marked region replaced; also the number of regions."""
    out: list[str] = []
    open_at: tuple[int, str] | None = None  # (line number, indent) of the open BEGIN
    regions = 0
    for number, line in enumerate(lines, start=1):
        begin, end = _BEGIN.match(line), _END.match(line)
        if begin:
            if open_at is not None:
                raise MarkerError(
                    number, f"BEGIN SOLUTION inside the region opened on line {open_at[0]}"
                )
            open_at = (number, begin["indent"])
            todo = (begin["todo"] or "").strip() or _DEFAULT_TODO
            out.append(f"{begin['indent']}# TODO: {todo}")
            out.append(f"{begin['indent']}raise NotImplementedError")
            regions += 1
        elif end:
            if open_at is None:
                raise MarkerError(number, "END SOLUTION without a BEGIN SOLUTION")
            if end["indent"] != open_at[1]:
                raise MarkerError(
                    number, f"END SOLUTION is not indented like its BEGIN on line {open_at[0]}"
                )
            open_at = None
        elif _ANY_MARKER.search(line):
            raise MarkerError(
                number,
                "malformed marker; write `### BEGIN SOLUTION (TODO: hint)` or `### END SOLUTION`"
                " alone on its line",
            )
        elif open_at is None:
            out.append(line)
    if open_at is not None:
        raise MarkerError(open_at[0], "BEGIN SOLUTION is never closed by END SOLUTION")
    return out, regions


def _unused_import_lines(tree: ast.Module) -> set[int]:
    """Line numbers of module-level import aliases whose name the module never uses."""
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    lines: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                if bound not in used and alias.name != "*":
                    lines.add(alias.lineno)
    return lines


def make_stub(source: str, *, origin: str | None = None) -> str:
    """The student stub for a solution module's ``source``.

    ``origin`` names the solution file in the generated header, for example
    ``"solutions/ex01_intro.py"``. Raises :class:`MarkerError` for
    malformed markers and :class:`SyntaxError` if the stub would not parse.
    """
    lines, regions = _strip_solutions(source.splitlines())
    if regions == 0:
        raise MarkerError(1, "no `### BEGIN SOLUTION` region: nothing to turn into a stub")
    stub_lines = [*_header(origin), *lines]
    tree = ast.parse("\n".join(stub_lines) + "\n")
    for number in _unused_import_lines(tree):
        line = stub_lines[number - 1]
        if "noqa" not in line:
            stub_lines[number - 1] = line + _NOQA
    return "\n".join(stub_lines) + "\n"
