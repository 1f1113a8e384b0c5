"""``results.json`` in Gradescope's autograder format.

Gradescope shows ``output`` (the summary) and each test's ``output`` to the
student, and keeps the autograder's stdout for instructors only; we keep it
that way (``stdout_visibility: hidden``). Hidden checks default to
``after_published``: while any test is not visible Gradescope hides the total,
so our summary must not leak it either. It then reports only the public
checks and says plainly that hidden checks are pending (students were misled
by "all tests passed" followed by a lower grade, otter-grader#138).

A submission that cannot be graded still gets a valid file with score 0 and
the reason: Gradescope treats a missing ``results.json`` as an autograder
failure and tells the student nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grader.assignment import EXERCISES
from grader.model import SCHEMA_VERSION, CheckResult, SubmissionResult, SubmissionStatus
from grader.reports.markdown import (
    NEXT_STEPS,
    check_message,
    clean_text,
    escape_markdown,
    format_points,
    lesson_hint,
    not_gradable_reason,
    notes_items,
    notes_section,
    status_words,
)
from grader.reports.text import count

__all__ = ["VISIBILITIES", "gradescope_results"]

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
_WHEN_SHOWN = {
    "after_published": "their results and your total appear when grades are published",
    "after_due_date": "their results and your total appear after the due date",
    "hidden": "their results are not shown here",
}


def gradescope_results(
    result: SubmissionResult, *, hidden_visibility: str = "after_published"
) -> dict[str, Any]:
    """The ``results.json`` payload for ``result``.

    ``hidden_visibility`` is what Gradescope does with hidden checks:
    ``after_published`` (default), ``after_due_date``, ``visible`` or
    ``hidden`` (never shown; Gradescope means that for tests worth no points).
    Public checks are always ``visible``.
    """
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(
            f"hidden_visibility {hidden_visibility!r} is not one of {', '.join(VISIBILITIES)}"
        )
    unread = {o.exercise for o in result.outcomes if o.status is SubmissionStatus.NOT_GRADABLE}
    tests = [
        _test(check, number, hidden_visibility, unread=check.exercise in unread)
        for check, number in zip(result.checks, _numbers(result.checks), strict=True)
    ]
    return {
        "score": result.score if result.status is SubmissionStatus.GRADED else 0,
        "execution_time": round(result.duration, 2),
        "output": _summary(result, hidden_visibility),
        "output_format": "md",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "schema_version": SCHEMA_VERSION,
            "status": result.status.value,
            "isolation": result.isolation.to_dict(),
            "grader_version": result.grader_version,
            "torch_version": result.torch_version,
            "fingerprint": result.fingerprint,
        },
    }


def _test(
    check: CheckResult, number: str | None, hidden_visibility: str, *, unread: bool = False
) -> dict[str, Any]:
    output = (
        f"Not graded: {check.exercise} could not be read (the reason is above)."
        if unread
        else _test_output(check)
    )
    test: dict[str, Any] = {
        "name": f"{check.exercise} · {check.function} · {check.name}",
        "score": check.points,
        "max_score": check.max_points,
        "status": "passed" if check.passed else "failed",
        "output": output,
        "visibility": "visible" if check.visibility == "public" else hidden_visibility,
        "tags": [check.exercise, check.function],
    }
    if number:
        test["number"] = number
    return test


def _test_output(check: CheckResult) -> str:
    """Plain text (Gradescope puts it in a <pre>): status, message, lesson hint."""
    if check.passed:
        return "Passed."
    lines = [f"{status_words(check.status).capitalize()}: {check_message(check)}"]
    hint = lesson_hint(check.mistake)
    if hint:
        lines.append(f"Lesson hint: {hint}")
    return "\n".join(lines)


def _numbers(checks: Sequence[CheckResult]) -> list[str | None]:
    """Numbers like "3.2" (second check of ex03), so Gradescope lists checks in lesson order."""
    order = {exercise: n for n, exercise in enumerate(EXERCISES, start=1)}
    seen: dict[str, int] = {}
    numbers: list[str | None] = []
    for check in checks:
        seen[check.exercise] = seen.get(check.exercise, 0) + 1
        n = order.get(check.exercise)
        numbers.append(f"{n}.{seen[check.exercise]}" if n else None)
    return numbers


def _summary(result: SubmissionResult, hidden_visibility: str) -> str:
    """The top-level Markdown shown above the tests."""
    if result.status is SubmissionStatus.NOT_GRADABLE:
        reason = escape_markdown(not_gradable_reason(result)).replace("\n", "  \n")
        return f"**This submission could not be graded.**\n\n{reason}\n\n{NEXT_STEPS}"
    lines: list[str] = []
    hidden = [c for c in result.checks if c.visibility != "public"]
    if hidden and hidden_visibility != "visible":
        public = [c for c in result.checks if c.visibility == "public"]
        if public:
            passed = sum(c.passed for c in public)
            lines.append(f"**Public checks: {passed} of {len(public)} passed.**")
        are = "1 hidden check is" if len(hidden) == 1 else f"{len(hidden)} hidden checks are"
        lines.append(f"{are} graded too; {_WHEN_SHOWN[hidden_visibility]}.")
    else:
        passed = sum(c.passed for c in result.checks)
        lines.append(
            f"**Score: {format_points(result.score)} / {format_points(result.max_score)}** "
            f"({passed} of {count(len(result.checks), 'check')} passed)."
        )
    for outcome in result.outcomes:
        name = escape_markdown(outcome.exercise)
        if outcome.status is SubmissionStatus.NOT_GRADABLE:
            reason = escape_markdown(clean_text(outcome.reason or "") or "no reason was recorded")
            lines.append(
                f"**{name} could not be graded:** {reason.replace(chr(10), '  ' + chr(10))}"
            )
        elif outcome.notes:
            lines.append(f"**{name}**, while your file was run:\n\n" + notes_items(outcome.notes))
    lines.append(notes_section(result.notes))
    return "\n\n".join(line for line in lines if line)
