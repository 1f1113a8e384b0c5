"""Course authoring: the solutions are the source, the exercises are generated.

``solutions/exNN_name.py`` holds each exercise's reference solution, with its
function bodies between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers
(syntax in :mod:`grader.authoring.stubs`). From it come

- ``exercises/exNN_name.py``, the student stub, and
- ``exercises/notebooks/exNN_name.ipynb``, the same exercise as a notebook.

``python -m grader.authoring`` regenerates them; ``--check`` only reports the
files that differ, and a test runs the same check so the committed exercises
never drift from the solutions. Only the standard library and nbformat are
used here.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from grader.authoring.notebooks import make_notebook, notebook_text
from grader.authoring.stubs import MarkerError, make_stub

__all__ = [
    "MarkerError",
    "check",
    "default_course_root",
    "generate",
    "make_notebook",
    "make_stub",
    "write",
]

_SOLUTIONS = Path("solutions")
_EXERCISES = Path("exercises")
_NOTEBOOKS = _EXERCISES / "notebooks"
_SOLUTION_GLOB = "ex[0-9][0-9]_*.py"
_GENERATED_MARK_PY = "# Generated from "
_GENERATED_MARK_NB = '"generated_from"'


def default_course_root() -> Path:
    """The checkout this package lives in: the folder holding ``solutions/``."""
    return Path(__file__).resolve().parents[2]


def generate(course_root: Path) -> dict[Path, str]:
    """Every generated file, as ``{path relative to course_root: text}``, in a stable order.

    Raises :class:`MarkerError` (naming the solution file and line) for
    malformed markers, and :class:`FileNotFoundError` if there is no solution.
    """
    solutions = sorted((course_root / _SOLUTIONS).glob(_SOLUTION_GLOB))
    if not solutions:
        raise FileNotFoundError(f"no {_SOLUTIONS / _SOLUTION_GLOB} under {course_root}")
    files: dict[Path, str] = {}
    for path in solutions:
        exercise = path.stem
        origin = (_SOLUTIONS / path.name).as_posix()
        source = path.read_text(encoding="utf-8")
        try:
            files[_EXERCISES / path.name] = make_stub(source, origin=origin)
            files[_NOTEBOOKS / f"{exercise}.ipynb"] = notebook_text(source, exercise)
        except MarkerError as error:
            raise MarkerError(error.line, error.reason, path=origin) from None
    return files


def _existing_generated(course_root: Path) -> set[Path]:
    """Generated-looking files already under ``exercises/`` (relative paths)."""
    found: set[Path] = set()
    for pattern in (_EXERCISES / _SOLUTION_GLOB, _NOTEBOOKS / "ex[0-9][0-9]_*.ipynb"):
        for path in course_root.glob(pattern.as_posix()):
            found.add(path.relative_to(course_root))
    return found


def _is_generated(path: Path) -> bool:
    text = path.read_text(encoding="utf-8", errors="replace")
    mark = _GENERATED_MARK_NB if path.suffix == ".ipynb" else _GENERATED_MARK_PY
    return mark in text


def check(course_root: Path) -> list[Path]:
    """Relative paths of generated files that are missing, out of date, or stale.

    Stale means an ``exercises/exNN_*`` file that no solution generates any more.
    """
    expected = generate(course_root)
    differing = [
        relative
        for relative, text in expected.items()
        if not (course_root / relative).is_file()
        or (course_root / relative).read_bytes() != text.encode("utf-8")
    ]
    stale = sorted(_existing_generated(course_root) - expected.keys())
    return differing + stale


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write(course_root: Path) -> list[Path]:
    """Regenerate the exercises under ``course_root``; return the relative paths changed.

    Only files whose text differs are rewritten (atomically). Stale generated
    files are removed; a file there that does not carry the generated marker
    is left alone.
    """
    changed: list[Path] = []
    expected = generate(course_root)
    for relative, text in expected.items():
        target = course_root / relative
        if target.is_file() and target.read_bytes() == text.encode("utf-8"):
            continue
        _write_atomic(target, text)
        changed.append(relative)
    for relative in sorted(_existing_generated(course_root) - expected.keys()):
        if _is_generated(course_root / relative):
            (course_root / relative).unlink()
            changed.append(relative)
    return changed
