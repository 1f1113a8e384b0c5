"""Grade files an LMS imports: Canvas' gradebook CSV and Moodle's grading worksheet.

Canvas ("Grades > Import") reads the columns of its own gradebook export:
``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, then one
column per assignment, named as in the Canvas gradebook (``Assignment 3
(12345)``: pass it as ``--export-column``); one of name, ``ID`` or ``SIS User
ID`` identifies the student. ``ID`` is the Canvas user id, which is the number
in a Canvas bulk download's file names, so rows match without a roster; the
SIS columns are filled only from a roster's ``sis_user_id`` / ``sis_login_id``
(an e-mail is not a login). The ``Points Possible`` row under the header is the
one Canvas' own export carries. Moodle's assignment "Upload grading worksheet" matches
``Identifier`` (``Participant N``, the id in a Moodle download) and reads
``Grade`` and ``Feedback comments``. Both get the final score, after late
penalties and overrides; a student with nothing handed in gets 0, and one
who could not be graded an empty cell (to be looked at, not a zero).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from grader.model import SubmissionResult, SubmissionStatus
from grader.reports.markdown import format_points

__all__ = ["canvas_csv", "moodle_csv"]

_FORMULA_START = ("=", "+", "-", "@")


def _cell(text: str) -> str:
    text = " ".join(text.split())
    return "'" + text if text.startswith(_FORMULA_START) else text


def _grade(result: SubmissionResult) -> str:
    if result.status is SubmissionStatus.MISSING:
        return "0"
    if result.status is not SubmissionStatus.GRADED:
        return ""
    return format_points(result.final_score)


def _max(results: Sequence[SubmissionResult]) -> float:
    return max((r.max_score for r in results if r.status is SubmissionStatus.GRADED), default=0)


def _ordered(results: Sequence[SubmissionResult]) -> list[SubmissionResult]:
    return sorted(results, key=lambda r: r.student.id if r.student else r.submission)


def canvas_csv(results: Sequence[SubmissionResult], column: str) -> str:
    """Canvas' gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, ``column``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column])
    writer.writerow(["Points Possible", "", "", "", "", format_points(_max(results))])
    for result in _ordered(results):
        student = result.student
        ident = student.id if student else result.submission
        writer.writerow([
            _cell(student.name if student else ident), _cell(ident),
            _cell(student.sis_user_id if student else ""),
            _cell(student.sis_login_id if student else ""),
            _cell(student.section if student else ""),
            _grade(result),
        ])  # fmt: skip
    return buffer.getvalue()


def moodle_csv(results: Sequence[SubmissionResult]) -> str:
    """Moodle's grading worksheet: Identifier, Full name, Email address, Grade, ..."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Feedback comments"]
    )
    most = format_points(_max(results))
    for result in _ordered(results):
        student = result.student
        ident = student.id if student else result.submission
        comment = result.reason or ""
        if result.late_penalty:
            comment = (comment + f" Late penalty: {format_points(result.late_penalty)}.").strip()
        writer.writerow([
            _cell(f"Participant {ident}"), _cell(student.name if student else ident),
            _cell(student.email if student else ""), _grade(result), most, _cell(comment),
        ])  # fmt: skip
    return buffer.getvalue()
