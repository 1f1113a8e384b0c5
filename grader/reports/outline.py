"""What a student's feedback says, and in what order, before any format is chosen.

``feedback.md`` and ``feedback.html`` must say the same things in the same
order, so both are drawn from one :class:`Outline`:

1. **Fix first**: causes that cost a whole exercise at once (a file that could
   not be read, a module that did not import, a file that is missing), each
   said once, the most points first. Repeating "notebook could not be parsed"
   under each of 14 checks buries the one thing to do. Then each code cell
   (or top-level statement) that failed or was cut short while the file was
   run, once, with what it cost: often nothing, but the student should know.
2. **What did not pass**, grouped by function: one diagnosis per function
   (the words its failed checks share, such as "looks like softmax was
   applied twice"), then each failed check with its points and only what is
   particular to it ("got 0.7438 but expected 1.362e-04").
3. **What passed**.

Messages are cleaned here (:func:`~grader.reports.text.clean_text`) but
not escaped: each renderer escapes for its own format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from grader.model import (
    CheckResult,
    CheckStatus,
    ExerciseOutcome,
    ExerciseScore,
    SubmissionResult,
    SubmissionStatus,
)
from grader.reports.text import check_message, clean_text, format_points

__all__ = [
    "Blocker",
    "ExerciseOutline",
    "FailedCheck",
    "FunctionFailures",
    "Outline",
    "outline",
    "plural",
]

# statuses that can stop a whole exercise (a failed value judges one check only)
_BLOCKING = {CheckStatus.ERROR, CheckStatus.TIMEOUT, CheckStatus.CRASHED}
# a message splits into clauses at ": " and "; " (the checks' own house style)
_CLAUSE_BREAK = re.compile(r"(?<=\S)(: |; )")
_SHORTEST_DIAGNOSIS = 15  # shared clauses shorter than this ("got 1") diagnose nothing


@dataclass(frozen=True)
class Blocker:
    """One cause that failed every check of an exercise it touched, said once.

    ``kind`` says where it comes from: ``"checks"`` (the checks' shared
    fault), ``"unreadable"`` (the exercise's file could not be read: its
    status is ``not_gradable``) or ``"cell"`` (a unit that did not finish
    while the file was run; ``message`` says what it cost, ``points`` is 0).
    """

    exercise: str
    message: str
    status: CheckStatus
    points: float  # what fixing it puts back in play
    checks: int
    kind: str = "checks"


@dataclass(frozen=True)
class FailedCheck:
    check: CheckResult
    detail: str  # what this check adds to its function's diagnosis ("" when nothing)


@dataclass(frozen=True)
class FunctionFailures:
    exercise: str
    function: str
    diagnosis: str  # the words its failed checks share; "" when they share none
    hints: tuple[str, ...]  # lesson mistake codes not already hinted earlier in the page
    failed: tuple[FailedCheck, ...]

    @property
    def lost(self) -> float:
        return round(sum(f.check.max_points - f.check.points for f in self.failed), 4)


@dataclass(frozen=True)
class ExerciseOutline:
    score: ExerciseScore
    blocker: Blocker | None
    functions: tuple[FunctionFailures, ...]  # failures not explained by the blocker
    passed: tuple[tuple[str, tuple[str, ...]], ...]  # (function, names of passed checks)
    checks: int

    @property
    def has_failures(self) -> bool:
        return self.blocker is not None or bool(self.functions)


@dataclass(frozen=True)
class Outline:
    result: SubmissionResult
    blockers: tuple[Blocker, ...]  # the most points first
    exercises: tuple[ExerciseOutline, ...]  # in the order the checks ran


def outline(result: SubmissionResult) -> Outline:
    """The feedback's content for a graded submission (its checks may be empty)."""
    grouped: dict[str, list[CheckResult]] = {}
    for check in result.checks:
        grouped.setdefault(check.exercise, []).append(check)
    scores = result.by_exercise()
    hinted: set[str] = set()
    exercises = []
    cells: list[Blocker] = []
    for exercise, checks in grouped.items():
        outcome = result.outcome(exercise)
        blocker = _unreadable(outcome, checks) or _blocker(exercise, checks)
        if outcome.status is not SubmissionStatus.NOT_GRADABLE:
            cells += _cell_blockers(outcome)
        failed = [c for c in checks if not c.passed]
        if blocker is not None and blocker.kind == "unreadable":
            failed = []
        elif blocker is not None:
            failed = [c for c in failed if not _is_blocked(c, blocker)]
        functions = []
        for function, group in _by_function(failed):
            functions.append(_function_failures(exercise, function, group, hinted))
        passed = tuple(
            (function, tuple(c.name for c in group))
            for function, group in _by_function(c for c in checks if c.passed)
        )
        exercises.append(
            ExerciseOutline(scores[exercise], blocker, tuple(functions), passed, len(checks))
        )
    blockers = sorted(
        (e.blocker for e in exercises if e.blocker is not None), key=lambda b: -b.points
    )
    return Outline(result, (*blockers, *cells), tuple(exercises))


def plural(count: float, word: str) -> str:
    """``1 point``, ``0.5 points``, ``3 checks``: the number as points print, the word agreeing."""
    text = format_points(count)
    return f"{text} {word}" if text == "1" else f"{text} {word}s"


# --------------------------------------------------------------------- blockers


def _blocker(exercise: str, checks: Sequence[CheckResult]) -> Blocker | None:
    """The one cause behind every failed check of ``exercise``, if there is one.

    It must be a fault that stops code from running (not a wrong value), the
    same message for every failed check, and either no check passed or the
    failures span more than one function: one function's failures sharing a
    message is that function's diagnosis, not the exercise's.
    """
    failed = [c for c in checks if not c.passed]
    if len(failed) < 2 or any(c.status not in _BLOCKING for c in failed):
        return None
    messages = {check_message(c) for c in failed}
    statuses = {c.status for c in failed}
    if len(messages) != 1 or len(statuses) != 1:
        return None
    if len(failed) < len(checks) and len({c.function for c in failed}) < 2:
        return None
    return Blocker(
        exercise=exercise,
        message=messages.pop(),
        status=statuses.pop(),
        points=round(sum(c.max_points - c.points for c in failed), 4),
        checks=len(failed),
    )


def _unreadable(outcome: ExerciseOutcome, checks: Sequence[CheckResult]) -> Blocker | None:
    """The exercise's file could not be read: its reason, once, for all its checks."""
    if outcome.status is not SubmissionStatus.NOT_GRADABLE:
        return None
    failed = [c for c in checks if not c.passed]
    return Blocker(
        exercise=outcome.exercise,
        message=clean_text(outcome.reason or "") or "no reason was recorded",
        status=failed[0].status if failed else CheckStatus.ERROR,
        points=round(sum(c.max_points - c.points for c in failed), 4),
        checks=len(failed),
        kind="unreadable",
    )


def _cell_blockers(outcome: ExerciseOutcome) -> list[Blocker]:
    """Each note about a cell that did not finish, once (what it cost is in its words)."""
    return [
        Blocker(outcome.exercise, text, CheckStatus.ERROR, 0.0, 0, kind="cell")
        for note in outcome.notes
        if (text := clean_text(note, limit=300, max_lines=3))
    ]


def _is_blocked(check: CheckResult, blocker: Blocker) -> bool:
    return check.status is blocker.status and check_message(check) == blocker.message


# --------------------------------------------------------------------- diagnoses


def _by_function(checks: Iterable[CheckResult]) -> list[tuple[str, list[CheckResult]]]:
    groups: dict[str, list[CheckResult]] = {}
    for check in checks:
        groups.setdefault(check.function, []).append(check)
    return list(groups.items())


def _function_failures(
    exercise: str, function: str, checks: Sequence[CheckResult], hinted: set[str]
) -> FunctionFailures:
    messages = [check_message(c) for c in checks]
    diagnosis, details = _diagnose(messages)
    hints = []
    for check in checks:
        if check.mistake and check.mistake not in hinted:
            hinted.add(check.mistake)
            hints.append(check.mistake)
    failed = tuple(FailedCheck(c, d) for c, d in zip(checks, details, strict=True))
    return FunctionFailures(exercise, function, diagnosis, tuple(hints), failed)


def _clauses(message: str) -> list[str]:
    """``"a: b; c"`` -> ``["a", ": ", "b", "; ", "c"]`` (clauses at even indexes)."""
    return _CLAUSE_BREAK.split(message)


def _diagnose(messages: Sequence[str]) -> tuple[str, list[str]]:
    """The clauses most of ``messages`` share, and what is left of each message.

    Clauses are compared as written, so "got 0.74 but expected 1.36" stays with
    its check while "looks like softmax was applied twice" becomes the
    function's one diagnosis. Messages that share nothing substantial keep
    their whole text and there is no diagnosis.
    """
    if len(messages) < 2:
        return "", list(messages)
    split = [_clauses(m) for m in messages]
    counts: dict[str, int] = {}
    for parts in split:
        for clause in set(parts[0::2]):
            counts[clause] = counts.get(clause, 0) + 1
    best = max(counts.values())
    shared = {c for c, n in counts.items() if n == best}
    if best < 2 or max(len(c) for c in shared) < _SHORTEST_DIAGNOSIS:
        return "", list(messages)
    first = next(parts for parts in split if shared <= set(parts[0::2]))
    diagnosis = _join(first, keep=lambda clause: clause in shared)
    details = []
    for parts, message in zip(split, messages, strict=True):
        if shared <= set(parts[0::2]):
            details.append(_join(parts, keep=lambda clause: clause not in shared))
        else:
            details.append(message)
    return diagnosis, details


def _join(parts: Sequence[str], *, keep: object) -> str:
    """The kept clauses, with the separator that followed a clause when its neighbour is kept."""
    out = ""
    previous = -2
    for index in range(0, len(parts), 2):
        clause = parts[index]
        if not keep(clause):  # type: ignore[operator]
            continue
        if out:
            out += parts[index - 1] if previous == index - 2 else "; "
        out += clause
        previous = index
    return out
