"""Words for the cells (or top-level statements) that did not finish while importing.

The worker runs an exercise's module unit by unit and reports facts about the
units that raised, ran out of time or were skipped (:mod:`grader.sandbox.confined.cells`).
This module words them for the student, once per exercise ("code cell 3
failed: ModuleNotFoundError: ...; it defines nothing that is graded, so it cost
no points"), and explains a graded function that is missing because the unit
defining it failed. Plain standard library; runs in the judge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from grader.sandbox.trusted.errors import FunctionNotFound, Locate, StudentFault, clean_text

__all__ = ["add_call_notes", "unit_name", "unit_notes", "why_missing"]

_SHOWN = 200
_CALL_NOTES = 20  # per exercise: a student's own forged notes cannot flood the feedback


def unit_name(fact: dict[str, Any], display: str, locate: Locate | None) -> str:
    """ "code cell 3" for a notebook, "line 12" (its first line) for a `.py` statement."""
    cell = fact.get("cell")
    if type(cell) is int and cell > 0:
        return f"code cell {cell}"
    first = fact.get("first")
    if type(first) is int and locate is not None:
        return locate(first).removeprefix(f"{display}, ")
    return f"line {first}"


def _error(fact: dict[str, Any], display: str, locate: Locate | None, limits: Any) -> str:
    kind = fact.get("kind")
    if kind == "timeout":
        if fact.get("total"):
            return (
                f"was stopped when the import's time limit ({_seconds(limits, 'import')}) ran out"
            )
        return f"was stopped after {_seconds(limits, 'cell')} (the time limit for one cell)"
    if kind == "skipped":
        return "was not run: the import's time limit ran out before it"
    if kind == "memory":
        return "failed: memory limit exceeded"
    exc_type = clean_text(str(fact.get("exc_type") or "Exception"), 100)
    text = clean_text(" ".join(str(fact.get("text") or "").split()), _SHOWN)
    message = f"{exc_type}: {text}" if text else exc_type
    line = fact.get("line")
    if type(line) is int and locate is not None:
        where = locate(line).removeprefix(f"{display}, ")
        message += f" ({where.removeprefix(unit_name(fact, display, locate) + ', ')})"
    elif type(line) is int:
        message += f" (line {line})"
    return f"failed: {message}"


def _seconds(limits: Any, which: str) -> str:
    value = getattr(limits, f"{which}_timeout", None)
    return f"{value:g} s" if isinstance(value, int | float) else "its time limit"


def unit_notes(
    facts: Sequence[dict[str, Any]],
    *,
    display: str,
    locate: Locate | None,
    graded: Iterable[str],
    limits: Any = None,
    available: Iterable[str] = (),
) -> list[str]:
    """One note per unit that did not finish, saying what it cost.

    ``graded`` are the exercise's graded functions: a unit that leaves none of
    them undefined "cost no points". ``available`` (the packages the grader
    has, :func:`grader.packages.available_packages`) is named once, in the
    note of the first unit whose import failed for a missing module.
    """
    wanted = set(graded)
    notes: list[str] = []
    packages = sorted(set(available))
    for fact in facts:
        if fact.get("cell") == 0 and fact.get("first") == 1 and locate is not None:
            continue  # the grader's prelude: never the student's
        name = unit_name(fact, display, locate)
        if fact.get("kind") == "note":  # a stand-in said what it did (and it cost nothing)
            notes.append(f"{name}: {clean_text(str(fact.get('text') or ''), _SHOWN)}")
            continue
        lost = [n for n in fact.get("missing") or () if isinstance(n, str) and n in wanted]
        if lost:
            cost = "so " + ", ".join(f"`{n}`" for n in lost) + " could not be graded"
        else:
            cost = "it defines nothing that is graded, so it cost no points"
        if fact.get("kind") in ("raised", "syntax"):
            cost = "the rest of it was skipped; " + cost
        note = f"{name} {_error(fact, display, locate, limits)}; {cost}"
        if packages and fact.get("exc_type") == "ModuleNotFoundError":
            # information beside the failed import, said once: not a fix of its own
            note += " (the packages available when grading are: " + ", ".join(packages) + ")"
            packages = []
        notes.append(note)
    return notes


def add_call_notes(said: list[str], notes: object, function: str | None) -> None:
    """Add what the stand-ins said during one graded call (its reply's ``notes``) to `said`.

    Each text once per exercise, worded with the function graded ("in
    step (called by the checks): input() returned an empty string: ...",
    as a cell's is "code cell 2: ..."); `function` is None for the grader's
    probes, which the student does not know by name.
    """
    if not isinstance(notes, list):
        return
    who = f"in {function} (called by the checks)" if function else "in your code (run by a check)"
    for text in notes:
        if len(said) >= _CALL_NOTES:
            return
        if isinstance(text, str):
            note = f"{who}: {clean_text(text, _SHOWN)}"
            if note not in said:
                said.append(note)


def why_missing(
    function: str,
    facts: Sequence[dict[str, Any]],
    *,
    display: str,
    locate: Locate | None,
    limits: Any = None,
) -> str | None:
    """Why `function` is not defined, if a unit that would have defined it failed."""
    for fact in facts:
        missing = fact.get("missing") or ()
        if function in missing:
            name = unit_name(fact, display, locate)
            return (
                f"function `{function}` is not defined in {display}: {name} "
                f"{_error(fact, display, locate, limits)}"
            )
    return None


def explain_missing(
    fault: StudentFault,
    function: str,
    facts: Sequence[dict[str, Any]],
    *,
    display: str,
    locate: Locate | None,
    limits: Any = None,
) -> StudentFault:
    """``fault``, or, when ``function`` is missing because a unit failed, one that says so.

    Both backends (the sandbox and the in-process one) raise what this returns
    for a call, so the student reads the same reason from either.
    """
    if not isinstance(fault, FunctionNotFound):
        return fault
    why = why_missing(function, facts, display=display, locate=locate, limits=limits)
    return fault if why is None else FunctionNotFound(why, function=fault.function)

