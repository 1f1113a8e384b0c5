"""``gradebook.csv``: one row per submission, for the course's spreadsheet or LMS.

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

__all__ = ["gradebook_columns", "gradebook_csv"]

_FORMULA_START = ("=", "+", "-", "@")  # tab and CR too, but clean_text strips those


def gradebook_columns(results: Sequence[SubmissionResult]) -> list[str]:
    """The header: fixed columns, every contract exercise in order, then any others seen."""
    extra = [name for name in exercise_names(results) if name not in EXERCISES]
    return ["submission", "status", "score", "max_score", *EXERCISES, *extra, "reason"]


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
    exercises = columns[4:-1]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for result in sorted(results, key=lambda r: (r.submission.casefold(), r.submission)):
        graded = result.status is SubmissionStatus.GRADED
        scores = result.by_exercise()
        row = [
            _text_cell(result.submission),
            _text_cell(result.status.value),
            format_points(result.score) if graded else "",
            format_points(result.max_score) if graded else "",
            *(format_points(scores[name].score) if name in scores else "" for name in exercises),
            _text_cell(_reason(result, (flags or {}).get(result.submission))),
        ]
        writer.writerow(row)
    return buffer.getvalue()


def _reason(result: SubmissionResult, flag: str | None) -> str:
    reason = result.reason or ""
    if flag:
        return f"ALTERED: {flag}" + (f"; {reason}" if reason else "")
    return reason


def _text_cell(text: str) -> str:
    """A text cell on one line that a spreadsheet will show, never evaluate."""
    text = " ".join(clean_text(text, limit=500).split("\n"))
    return "'" + text if text.startswith(_FORMULA_START) else text
