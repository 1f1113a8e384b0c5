"""``gradebook.csv``: one row per student, for the course's spreadsheet or LMS.

Each row says who (``id``, and ``name`` exactly as the roster or the
download spelled it), which report folder (``submission``), the grader's
score after overrides (``raw_score``), the ``late_penalty`` taken and the
final ``score``, then the points per exercise and the original ``paths``.
Without a roster or an LMS layout, the id and name are the submission's own
name. A ``missing`` row (on the roster, nothing handed in) scores 0.

The columns are fixed by the assignment contract, not by what happened to be
graded, so every run of a course produces the same header and imports line
up. A ``not_gradable`` row leaves its score cells empty instead of writing 0:
"could not be graded" and "scored zero" call for different actions. Text
cells are protected against CSV injection (a spreadsheet runs a cell that
starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and submission names
come from students).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from grader.assignment import EXERCISES
from grader.model import SubmissionResult, SubmissionStatus, exercise_names
from grader.reports.text import clean_text, format_points

__all__ = ["gradebook_columns", "gradebook_csv", "reason_of"]

_LEADING = ["id", "name", "submission", "status", "raw_score", "late_penalty", "score", "max_score"]
_FORMULA_START = ("=", "+", "-", "@")  # tab and CR too, but clean_text strips those


def gradebook_columns(results: Sequence[SubmissionResult]) -> list[str]:
    """The header: fixed columns, every contract exercise in order, then any others seen."""
    extra = [name for name in exercise_names(results) if name not in EXERCISES]
    return [*_LEADING, *EXERCISES, *extra, "reason", "paths"]


def gradebook_csv(
    results: Sequence[SubmissionResult], *, flags: Mapping[str, str] | None = None
) -> str:
    """The gradebook as CSV text, rows sorted by submission name.

    ``flags`` (submission -> warning) go first in that row's ``reason`` cell,
    in capitals, where staff cannot miss them.

    Exercise cells hold the points scored in that exercise and are empty for
    an exercise that was not graded. Numbers are written as people write
    them (``14``, ``12.5``).
    """
    columns = gradebook_columns(results)
    exercises = columns[len(_LEADING) : -2]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for result in sorted(results, key=_row_order):
        graded = result.status is SubmissionStatus.GRADED
        missing = result.status is SubmissionStatus.MISSING
        scores = exercise_points(result)
        student = result.student
        row = [
            _text_cell(student.id if student else result.submission),
            _text_cell(student.name if student else result.submission),
            _text_cell(result.submission),
            _text_cell(result.status.value),
            format_points(result.raw_score) if graded else "0" if missing else "",
            format_points(result.late_penalty) if graded else "0" if missing else "",
            format_points(result.final_score) if graded else "0" if missing else "",
            format_points(result.max_score) if graded else "",
            *(format_points(scores[name]) if name in scores else "" for name in exercises),
            _text_cell(_reason(result, (flags or {}).get(result.submission))),
            _text_cell("; ".join(student.paths) if student else ""),
        ]
        writer.writerow(row)
    return buffer.getvalue()


def _reason(result: SubmissionResult, flag: str | None) -> str:
    reason = reason_of(result)
    if flag:
        return f"ALTERED: {flag}" + (f"; {reason}" if reason else "")
    return reason


def exercise_points(result: SubmissionResult) -> dict[str, float]:
    """Points per exercise, with the instructor's check and exercise overrides added."""
    points = {name: score.score for name, score in result.by_exercise().items()}
    checks = {check.id: check.exercise for check in result.checks}
    for adjustment in result.adjustments:
        if adjustment.kind != "override":
            continue
        exercise = checks.get(adjustment.target, adjustment.target)
        if exercise in points:
            points[exercise] = round(points[exercise] + adjustment.points, 4)
    return points


def _row_order(result: SubmissionResult) -> tuple[str, str]:
    key = result.student.id if result.student else result.submission
    return (key.casefold(), key)
def reason_of(result: SubmissionResult) -> str:
    """Why the submission, or else which of its exercises, could not be graded ("" if none)."""
    if result.reason:
        return result.reason
    return "; ".join(
        f"{o.exercise} not graded: {o.reason or 'no reason was recorded'}"
        for o in result.outcomes
        if o.status is SubmissionStatus.NOT_GRADABLE
    )


def _text_cell(text: str) -> str:
    """A text cell on one line that a spreadsheet will show, never evaluate."""
    text = " ".join(clean_text(text, limit=500).split("\n"))
    return "'" + text if text.startswith(_FORMULA_START) else text
