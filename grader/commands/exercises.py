"""``--exercise``: what an instructor typed, as the assignment's exercise names.

``grader check ex03`` has always taken the short name; the staff verbs take
it too, and refuse a name that matches no exercise instead of grading nothing
and exiting 0.
"""

from __future__ import annotations

from collections.abc import Sequence

from grader.commands.errors import CliError

__all__ = ["resolve_exercises"]


def resolve_exercises(names: Sequence[str] | None) -> list[str] | None:
    """Full exercise names for ``names`` (full, ``exNN``, or a file name); None for all."""
    if not names:
        return None
    from grader.assignment import EXERCISES

    known = list(EXERCISES)
    wanted: list[str] = []
    for raw in names:
        token = raw.strip().removesuffix(".py").removesuffix(".ipynb")
        matches = [e for e in known if token in (e, e.split("_", 1)[0])]
        if len(matches) != 1:
            shown = ", ".join(known) if known else "(the assignment has none)"
            raise CliError(
                f"--exercise {raw!r} is not an exercise of this assignment",
                f"use a full name or its number (ex03): {shown}",
            )
        if matches[0] not in wanted:
            wanted.append(matches[0])
    return wanted
