"""The packages a student's code may import when graded: one list, for every message.

The engine's base set, which every worker has whatever the course (torch and
numpy, which the sandbox host imports before it forks workers, and matplotlib
and tqdm, which the worker's stand-ins keep quiet), plus the active
assignment's ``packages`` (``assignment.toml``). A course that adds one
(seaborn, torchvision, ...) names it there and installs it (the ``course``
extra in ``pyproject.toml``): no code change. Named by the name a student
imports (``sklearn``, not scikit-learn), in the hint of an import that failed
and in the notes of a cell that failed to import one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.assignment import Assignment

__all__ = ["BASE", "available_packages", "missing_module_hint"]

BASE = ("matplotlib", "numpy", "torch", "tqdm")


def available_packages(assignment: Assignment | None = None) -> tuple[str, ...]:
    """Import names, sorted: the engine's base set and the assignment's ``packages``."""
    if assignment is None:
        from grader.assignment import current

        assignment = current()
    return tuple(sorted({*BASE, *(name.split(".")[0] for name in assignment.packages)}))


def missing_module_hint(assignment: Assignment | None = None) -> str:
    """What to add to a ``ModuleNotFoundError`` message: what there is, and what to do."""
    *rest, last = available_packages(assignment)
    names = f"{', '.join(rest)} and {last}" if rest else last
    return (
        f" (the grader provides {names} only, beside the standard library; "
        "remove imports of other packages)"
    )
