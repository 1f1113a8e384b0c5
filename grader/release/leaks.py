"""The release's last gate: no file of the bundle may carry a solution or a hidden check.

The bundle is built from an allow-list, and its checks are cut down to the
public ones, so nothing hidden should get in. This scan does not trust
either: it reads every file of the finished bundle (notebook cells decoded)
and looks for

- every non-trivial line between ``### BEGIN SOLUTION`` and ``### END
  SOLUTION`` in ``solutions/`` (but those the stubs show anyway, such as the
  lesson's code in a docstring),
- every non-trivial line of a hidden check that is not also a line of the
  public checks (a hidden check shares some lines with public ones),
- the secret the hidden inputs' seeds derive from.

A line is non-trivial when it is long enough to say something specific
(``return out`` is not; ``shifted = z - z.max(dim=-1, keepdim=True).values`` is).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Leak", "find_leaks", "hidden_check_lines", "nontrivial", "solution_lines"]

MIN_CHARS = 16
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


@dataclass(frozen=True)
class Leak:
    file: str  # bundle-relative path
    line: int
    what: str  # where the text comes from

    def __str__(self) -> str:
        return f"{self.file}:{self.line} carries {self.what}"


def nontrivial(line: str) -> bool:
    """Whether a stripped source line says enough to identify where it came from."""
    text = line.strip()
    return len(text) >= MIN_CHARS and not text.startswith("#")


def solution_lines(solutions: Path, stubs: Iterable[str] = ()) -> dict[str, str]:
    """{non-trivial solution line: where it is} for every solution block.

    A line that the released ``stubs`` (their texts) contain anyway, as the
    lesson's code in a docstring or a demo, is public by design and left out.
    """
    public = "\n".join(stubs)
    found: dict[str, str] = {}
    for path in sorted(solutions.glob("*.py")):
        inside = False
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if BEGIN in line:
                inside = True
            elif END in line:
                inside = False
            elif inside and nontrivial(line) and line.strip() not in public:
                where = f"the solution in solutions/{path.name}, line {number}"
                found.setdefault(line.strip(), where)
    return found


def hidden_check_lines(
    checks: Path, hidden: Iterable[tuple[str, str | None, str]], public_text: Iterable[str]
) -> dict[str, str]:
    """{line: description} for the lines only hidden checks have.

    ``hidden`` names the hidden checks as (file, class or None, function);
    ``public_text`` is the text of the generated public checks: a line found
    in it is shared with a public check, and allowed.
    """
    allowed = "\n".join(public_text)
    found: dict[str, str] = {}
    trees: dict[str, tuple[ast.Module, list[str]]] = {}
    for file, cls, name in hidden:
        if file not in trees:
            source = (checks / file).read_text(encoding="utf-8")
            trees[file] = (ast.parse(source), source.splitlines())
        tree, lines = trees[file]
        node = _find(tree, cls, name)
        if node is None:
            continue
        for line in lines[node.lineno - 1 : node.end_lineno]:
            text = line.strip()
            if nontrivial(text) and text not in allowed:
                where = "::".join(p for p in (file, cls, name) if p)
                found.setdefault(text, f"the hidden check {where}")
    return found


def _find(tree: ast.Module, cls: str | None, name: str) -> ast.stmt | None:
    body = tree.body
    if cls is not None:
        owner = next((n for n in body if isinstance(n, ast.ClassDef) and n.name == cls), None)
        body = owner.body if owner is not None else []
    functions = (n for n in body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))
    return next((n for n in functions if n.name == name), None)


def bundle_texts(bundle: Path) -> Iterator[tuple[str, list[str]]]:
    """(relative path, lines) for every file; a notebook's cells are read as well as its JSON."""
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        relative = path.relative_to(bundle).as_posix()
        text = path.read_bytes().decode("utf-8", errors="replace")
        yield relative, text.splitlines()
        if path.suffix == ".ipynb":
            try:
                cells = json.loads(text).get("cells", [])
            except (ValueError, AttributeError):
                continue
            for index, cell in enumerate(cells):
                source = cell.get("source", "") if isinstance(cell, dict) else ""
                joined = "".join(source) if isinstance(source, list) else str(source)
                yield f"{relative} (cell {index})", joined.splitlines()


def find_leaks(bundle: Path, needles: Mapping[str, str], secrets: Iterable[str] = ()) -> list[Leak]:
    """Every line of ``bundle`` that contains a needle (a stripped source line) or a secret."""
    whats = {text: what for text, what in needles.items() if text}
    whats.update({secret: "the secret of the hidden inputs" for secret in secrets if secret})
    if not whats:
        return []
    # one alternation, longest first: a line is searched once, whatever the number of needles
    pattern = re.compile("|".join(re.escape(t) for t in sorted(whats, key=len, reverse=True)))
    leaks: list[Leak] = []
    for relative, lines in bundle_texts(bundle):
        for number, line in enumerate(lines, start=1):
            found = pattern.search(line)
            if found:
                leaks.append(Leak(relative, number, whats[found.group(0)]))
    return leaks
