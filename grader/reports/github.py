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

The job summary lives in the student's own repository, so what it says of a
hidden check follows the assignment's ``[feedback] ci_hidden_checks``
(:class:`grader.assignment.Feedback`): by default the names and points of
the hidden checks that did not pass, never their messages. Public checks are
shown in full, as the student's own ``grader check`` shows them.
"""

from __future__ import annotations

import json

from grader.assignment import CI_HIDDEN_CHECKS, Feedback
from grader.model import CheckResult, SubmissionResult, SubmissionStatus
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
    points_line,
)
from grader.reports.outline import plural
from grader.reports.text import count, lesson_hint

__all__ = ["classroom_notice", "github_step_summary"]


def github_step_summary(
    result: SubmissionResult, *, hidden: str = Feedback.ci_hidden_checks
) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: totals, the checks that did not pass, notes.

    The summary page is visible to everyone who can see the repository's
    runs, the student included; it carries the same cleaned, escaped text as
    ``feedback.md`` for public checks, and for hidden ones only what
    ``hidden`` (one of :data:`grader.assignment.CI_HIDDEN_CHECKS`) allows.
    """
    if hidden not in CI_HIDDEN_CHECKS:
        raise ValueError(f"hidden={hidden!r} is not one of {', '.join(CI_HIDDEN_CHECKS)}")
    name = escape_markdown(clean_text(result.submission, limit=120, max_lines=1))
    if result.status is SubmissionStatus.NOT_GRADABLE:
        reason = escape_markdown(not_gradable_reason(result)).replace("\n", "  \n")
        parts = [f"## Autograding: {name} — not graded", f"**Why:** {reason}", NEXT_STEPS]
    else:
        total = f"{format_points(result.score)} / {format_points(result.max_score)}"
        parts = [f"## Autograding: {name} — {total} points", exercise_table(result)]
        failed = [check for check in result.checks if not check.passed]
        if failed:
            parts.append(f"### Not passed ({len(failed)})\n\n{_failed_list(failed, hidden)}")
        elif result.checks:
            parts.append("All checks passed.")
    parts += [notes_section(result.notes), footer(result)]
    return "\n\n".join(part for part in parts if part) + "\n"


_HIDDEN_SHOWN = {
    "count": "how many hidden checks did not pass",
    "names": "the names and points of hidden checks",
    "hints": "the names, points and lesson hints of hidden checks",
}


def _failed_list(failed: list[CheckResult], hidden: str) -> str:
    """The checks that did not pass: public ones whole, hidden ones as far as ``hidden`` says."""
    if hidden == "messages":
        return "\n".join(failed_item(check) for check in failed)
    secret = [check for check in failed if check.visibility != "public"]
    items = [
        failed_item(check)
        if check.visibility == "public"
        else _hidden_item(check, with_hint=hidden == "hints")
        for check in failed
        if check.visibility == "public" or hidden != "count"
    ]
    parts = ["\n".join(items)] if items else []
    if secret:
        lost = plural(sum(c.max_points - c.points for c in secret), "point")
        parts.append(
            f"{count(len(secret), 'hidden check')} did not pass ({lost} lost). "
            f"This page shows {_HIDDEN_SHOWN[hidden]}, not their messages; "
            "public checks (the ones `grader check` runs) are shown in full."
        )
    return "\n\n".join(parts)


def _hidden_item(check: CheckResult, *, with_hint: bool) -> str:
    """A hidden check that did not pass: its function, name and points, never its message."""
    lines = [
        f"- **{escape_markdown(check.function, inline=True)}** — "
        f"{escape_markdown(check.name, inline=True)} (hidden check)",
        points_line(check),
    ]
    hint = lesson_hint(check.mistake) if with_hint else None
    if hint:
        lines.append(f"  Lesson hint: {escape_markdown(hint, inline=True)}")
    return "  \n".join(lines)


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
