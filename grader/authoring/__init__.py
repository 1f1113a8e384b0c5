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

from grader.assignment import Assignment, current, load
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

_GENERATED_MARK_PY = "# Generated from "
_GENERATED_MARK_NB = '"generated_from"'


def default_course_root() -> Path:
    """The active assignment's folder (``--assignment``, else the bundled course)."""
    return current().root


def _folders(course_root: Path) -> tuple[Assignment, Path, Path, Path]:
    """The assignment in ``course_root`` and its solutions, exercises and notebooks folders,
    relative to it."""
    assignment = load(course_root)
    root = assignment.root

    def relative(path: Path) -> Path:
        if not path.is_relative_to(root):
            raise FileNotFoundError(f"{path} is outside the assignment folder {root}")
        return path.relative_to(root)

    return (assignment, relative(assignment.solutions_dir), relative(assignment.exercises_dir),
            relative(assignment.notebooks_dir))  # fmt: skip


def generate(course_root: Path) -> dict[Path, str]:
    """Every generated file, as ``{path relative to course_root: text}``, in a stable order.

    One stub and one notebook per exercise of the assignment in ``course_root``.
    Raises :class:`MarkerError` (naming the solution file and line) for
    malformed markers, and :class:`FileNotFoundError` if a solution is missing.
    """
    assignment, solutions, exercises, notebooks = _folders(course_root)
    files: dict[Path, str] = {}
    for exercise in assignment.exercises:
        path = assignment.root / solutions / f"{exercise}.py"
        if not path.is_file():
            raise FileNotFoundError(f"no solution {path} for exercise {exercise}")
        origin = (solutions / path.name).as_posix()
        source = path.read_text(encoding="utf-8")
        try:
            files[exercises / path.name] = make_stub(source, origin=origin)
            files[notebooks / f"{exercise}.ipynb"] = notebook_text(source, exercise)
        except MarkerError as error:
            raise MarkerError(error.line, error.reason, path=origin) from None
    return files


def _existing_generated(course_root: Path) -> set[Path]:
    """Generated files already in the exercises and notebooks folders (relative paths)."""
    assignment, _, exercises, notebooks = _folders(course_root)
    found: set[Path] = set()
    for pattern in ((exercises / "*.py"), (notebooks / "*.ipynb")):
        for path in assignment.root.glob(pattern.as_posix()):
            if _is_generated(path):
                found.add(path.relative_to(assignment.root))
    return found


def _is_generated(path: Path) -> bool:
    text = path.read_text(encoding="utf-8", errors="replace")
    mark = _GENERATED_MARK_NB if path.suffix == ".ipynb" else _GENERATED_MARK_PY
    return mark in text


def check(course_root: Path) -> list[Path]:
    """Relative paths of generated files that are missing, out of date, or stale.

    Stale means a generated exercise file that no solution generates any more.
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
