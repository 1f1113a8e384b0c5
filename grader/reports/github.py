"""GitHub Actions output: the job summary page and the notice GitHub Classroom reads.

Classroom takes the grade from workflow annotations, as printed by
``classroom-resources/autograding-grading-reporter`` (``src/notify-classroom.js``):
a notice titled "Autograding complete" whose message is ``Points <got>/<max>``,
followed by a notice titled "Autograding report" holding
``{"totalPoints": <got>, "maxPoints": <max>}`` as compact JSON. We print both,
the same way, so a grader step of ours can stand in for the reporter. Like
the reporter, we print no points when the maximum is 0; a submission that
could not be graded gets an error annotation with the reason instead of a
0 that would read as a real grade.

Workflow commands are parsed from stdout line by line, so their text is
escaped the way ``@actions/core`` does it (``%``, CR and LF in the message;
also ``:`` and ``,`` in properties): a student's message can never end the
command early or start a command of its own.
"""

from __future__ import annotations

import json

from grader.model import SubmissionResult, SubmissionStatus
from grader.reports.markdown import (
    NEXT_STEPS,
    clean_text,
    escape_markdown,
    exercise_table,
    failed_item,
    footer,
    format_points,
    not_gradable_reason,
    notes_section,
)

__all__ = ["classroom_notice", "github_step_summary"]


def github_step_summary(result: SubmissionResult) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: totals, the checks that did not pass, notes.

    The summary page is visible to everyone who can see the repository's
    runs, the student included; it carries the same cleaned, escaped text as
    ``feedback.md`` and nothing meant for staff.
    """
    name = escape_markdown(clean_text(result.submission, limit=120, max_lines=1))
    if result.status is SubmissionStatus.NOT_GRADABLE:
        reason = escape_markdown(not_gradable_reason(result)).replace("\n", "  \n")
        parts = [f"## Autograding: {name} — not graded", f"**Why:** {reason}", NEXT_STEPS]
    else:
        total = f"{format_points(result.score)} / {format_points(result.max_score)}"
        parts = [f"## Autograding: {name} — {total} points", exercise_table(result)]
        failed = [check for check in result.checks if not check.passed]
        if failed:
            items = "\n".join(failed_item(check) for check in failed)
            parts.append(f"### Not passed ({len(failed)})\n\n{items}")
        elif result.checks:
            parts.append("All checks passed.")
    parts += [notes_section(result.notes), footer(result)]
    return "\n\n".join(part for part in parts if part) + "\n"


def classroom_notice(result: SubmissionResult) -> str:
    """The annotation lines to print on stdout for GitHub Classroom ("" when there is no grade).

    For a graded submission, two lines::

        ::notice title=Autograding complete::Points 87/100
        ::notice title=Autograding report::{"totalPoints":87,"maxPoints":100}
    """
    if result.status is SubmissionStatus.NOT_GRADABLE:
        reason = " ".join(not_gradable_reason(result).split("\n"))
        return _command("error", "Autograding failed", f"Not gradable: {reason}")
    if not result.max_score:
        return ""
    points = f"Points {format_points(result.score)}/{format_points(result.max_score)}"
    report = json.dumps(
        {"totalPoints": _js_number(result.score), "maxPoints": _js_number(result.max_score)},
        separators=(",", ":"),
    )
    return "\n".join(
        [
            _command("notice", "Autograding complete", points),
            _command("notice", "Autograding report", report),
        ]
    )


def _command(kind: str, title: str, message: str) -> str:
    return f"::{kind} title={_escape_property(title)}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _js_number(value: float) -> int | float:
    """A number as JavaScript's JSON.stringify writes it: 87, not 87.0."""
    value = round(float(value), 4)
    return int(value) if value.is_integer() else value
