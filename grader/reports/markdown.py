"""``feedback.md``: what the student reads, and the text rules every writer shares.

Check messages are student text in the widest sense: a check may quote the
student's exception message, which the student controls completely. So no
message reaches a report as is. :func:`clean_text` strips terminal escapes and
control characters, cuts tracebacks and bounds the length;
:func:`escape_markdown` then makes sure the text can only ever render as
text, never as a heading, a list, a link or HTML. A hostile message can say
"PASSED" but cannot make the report look like it passed.

The other writers (Gradescope, JUnit, CSV, GitHub, the terminal table) import
:func:`clean_text`, :func:`check_message`, :func:`lesson_hint` and
:func:`format_points` from here, so a student sees the same words everywhere.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from grader.model import (
    CheckResult,
    CheckStatus,
    ExerciseScore,
    SubmissionResult,
    SubmissionStatus,
)

__all__ = [
    "LESSON_HINTS",
    "NEXT_STEPS",
    "check_message",
    "clean_text",
    "escape_markdown",
    "exercise_table",
    "failed_item",
    "feedback_markdown",
    "footer",
    "format_points",
    "lesson_hint",
    "not_gradable_reason",
    "notes_section",
    "status_words",
]

MAX_MESSAGE_CHARS = 1500
MAX_MESSAGE_LINES = 15

STAFF_LINE = (
    "The grader could not run this check (a problem on our side, not in your code); "
    "staff have been told."
)

# Short reminders of the lesson, keyed by the mistake code a check reports.
# A code may carry a detail after ':' (``shortcut_used:F.softmax``), shown as "here: ...".
LESSON_HINTS: dict[str, str] = {
    "softmax_twice": (
        "Apply softmax once. CrossEntropyLoss takes raw logits and applies log-softmax itself, "
        "so feeding it probabilities squashes them a second time."
    ),
    "unstable_softmax": (
        "Subtract each row's maximum before exp(): softmax does not change, "
        "and large inputs no longer overflow to inf or nan."
    ),
    "weight_not_transposed": (
        "nn.Linear stores its weight as (out_features, in_features), "
        "so the layer computes x @ weight.T + bias."
    ),
    "shortcut_used": (
        "This function must be written by hand from basic tensor operations; "
        "the built-in is for checking your answer, not for giving it."
    ),
    "missing_zero_grad": (
        "Zero the gradients every step (optimizer.zero_grad()): backward() adds new "
        "gradients to the ones already stored."
    ),
    "unweighted_batch_mean": (
        "Weight each batch's loss by its size before averaging: the last batch is often "
        "smaller, and a plain mean of batch losses over-counts it."
    ),
    "no_eval_mode": (
        "Call model.eval() before evaluating, so layers such as dropout and batch norm "
        "behave as they do at inference time."
    ),
    "grad_tracked_in_eval": (
        "Evaluate inside torch.no_grad(): evaluation needs no gradients, "
        "and tracking them costs memory and time."
    ),
    "params_changed_in_eval": (
        "Evaluating must leave the model unchanged: no backward(), no optimizer step, "
        "no in-place edits of the parameters."
    ),
    "lesson_constant": (
        "Compute from the function's arguments, not from the lesson's constants: "
        "the hidden checks call it on other inputs."
    ),
}

# What a student whose submission could not be graded should do next.
NEXT_STEPS = (
    "- Name each file exactly as the exercise file you were given, as a `.py` module or "
    "an `.ipynb` notebook.\n"
    "- Check that each notebook opens in Jupyter and each `.py` file runs on its own.\n"
    "- Then submit again. If it still cannot be graded, or you think the problem is on "
    "our side, contact the course staff and quote your submission's name."
)

_STATUS_WORDS = {
    CheckStatus.PASSED: "passed",
    CheckStatus.FAILED: "wrong result",
    CheckStatus.ERROR: "your code raised an error",
    CheckStatus.TIMEOUT: "took too long",
    CheckStatus.CRASHED: "the process running your code stopped",
    CheckStatus.GRADER_ERROR: "not checked (our fault)",
}

_ANSI = re.compile(
    r"""
      \x1b\[[0-?]*[ -/]*[@-~]            # CSI: colours, cursor moves, erase line
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)? # OSC: window titles, hyperlinks
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?      # DCS, SOS, PM, APC strings
    | \x1b[@-Z\\-_]                      # the other two-byte escapes
    | \x9b[0-?]*[ -/]*[@-~]              # 8-bit CSI
    """,
    re.VERBOSE,
)
# C0 controls but tab and newline, DEL, C1 controls, bidi overrides (which can
# reorder what a reader sees), BOM, lone surrogates and XML's noncharacters.
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ufeff\ud800-\udfff\ufffe\uffff]"
)
_TRACEBACK = "Traceback (most recent call last)"

_MD_INLINE = re.compile(r"([\\`*_\[\]|~$])")
_MD_LINE_START = re.compile(r"^([#+\-=]|\d+(?=[.)]))")


def clean_text(
    text: str, *, limit: int = MAX_MESSAGE_CHARS, max_lines: int = MAX_MESSAGE_LINES
) -> str:
    """Untrusted text made safe to show anywhere, still in plain words.

    Removes ANSI escapes and control characters (a carriage return could
    otherwise overwrite "FAILED" in a terminal), cuts anything from a Python
    traceback on (tracebacks point into check code), drops blank lines and
    bounds the result to ``limit`` characters and ``max_lines`` lines, saying
    so when it cut. Work is bounded too: a 10 MB message costs as much as a
    short one.
    """
    raw = text[: limit * 4 + 64]
    shortened = len(raw) < len(text)
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    raw = raw.replace("\u2029", "\n")
    raw = _CONTROL.sub("", _ANSI.sub("", raw)).replace("\t", "    ")
    cut = raw.find(_TRACEBACK)
    if cut >= 0:
        raw = raw[:cut] + "(traceback omitted)"
    lines = [line.strip() for line in raw.split("\n")]
    lines = [line for line in lines if line]
    if len(lines) > max_lines:
        lines, shortened = lines[:max_lines], True
    cleaned = "\n".join(lines)
    if len(cleaned) > limit:
        cleaned, shortened = cleaned[:limit].rstrip(), True
    if shortened:
        cleaned += f" … (shortened; {len(text):,} characters in all)"
    return cleaned


def escape_markdown(text: str) -> str:
    """Escape ``text`` so Markdown and HTML render it literally, line by line.

    ``& < >`` become entities (no raw HTML, no autolinks); the inline markers
    (emphasis, code, links, tables, strikethrough, math) get a backslash; and
    so do block markers at the start of a line (headings, lists, setext
    underlines, ordered lists), so a line of student text can never become
    structure.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    lines = [_MD_INLINE.sub(r"\\\1", line) for line in text.split("\n")]
    return "\n".join(_MD_LINE_START.sub(_escape_line_start, line.lstrip()) for line in lines)


def _escape_line_start(match: re.Match[str]) -> str:
    marker = match.group(1)
    if marker.isdigit():  # "1." or "1)" would start an ordered list: escape the dot
        return marker + "\\"
    return "\\" + marker


def format_points(value: float) -> str:
    """A score as a person writes it: ``14``, ``12.5``, ``0.3`` (no ``0.30000000000000004``)."""
    if not math.isfinite(value):
        return str(value)
    text = f"{round(value, 4):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def check_message(check: CheckResult) -> str:
    """The cleaned, student-facing message of a check that did not pass.

    A ``grader_error`` always shows one fixed plain line, whatever the check
    recorded: it is our fault, and its details are for staff. An empty message
    falls back to a plain description of the status.
    """
    if check.status is CheckStatus.GRADER_ERROR:
        return STAFF_LINE
    return clean_text(check.message) or _STATUS_WORDS[check.status]


def status_words(status: CheckStatus) -> str:
    """A check status in the student's words ("took too long", not "timeout")."""
    return _STATUS_WORDS[status]


def lesson_hint(mistake: str | None) -> str | None:
    """The short lesson reminder for a mistake code, or None for unknown codes."""
    if not mistake:
        return None
    code, _, detail = mistake.partition(":")
    hint = LESSON_HINTS.get(code.strip())
    if hint is None:
        return None
    detail = clean_text(detail, limit=80, max_lines=1)
    return f"{hint} (here: {detail})" if detail else hint


def feedback_markdown(result: SubmissionResult) -> str:
    """The student's feedback page: totals, what did not pass and why, and notes."""
    name = escape_markdown(clean_text(result.submission, limit=120, max_lines=1))
    if result.status is SubmissionStatus.NOT_GRADABLE:
        parts = [f"# Feedback: {name} — not graded", *_not_gradable_sections(result)]
    else:
        total = f"{format_points(result.score)} / {format_points(result.max_score)}"
        table = exercise_table(result) if result.checks else "No checks ran on this submission."
        parts = [f"# Feedback: {name} — {total} points", table]
        scores = result.by_exercise()
        parts += [_exercise_section(scores[name], checks) for name, checks in _grouped(result)]
    parts.append(notes_section(result.notes))
    parts.append(f"---\n\n{footer(result)}")
    return "\n\n".join(part for part in parts if part) + "\n"


def exercise_table(result: SubmissionResult) -> str:
    """Score per exercise and the total, as a Markdown table."""
    counts = {exercise: checks for exercise, checks in _grouped(result)}
    rows = ["| Exercise | Score | Checks passed |", "|---|---:|---:|"]
    for exercise, score in result.by_exercise().items():
        checks = counts[exercise]
        passed = sum(c.passed for c in checks)
        rows.append(
            f"| {escape_markdown(exercise)} "
            f"| {format_points(score.score)} / {format_points(score.max_score)} "
            f"| {passed} of {len(checks)} |"
        )
    passed = sum(c.passed for c in result.checks)
    rows.append(
        f"| **Total** | **{format_points(result.score)} / {format_points(result.max_score)}** "
        f"| {passed} of {len(result.checks)} |"
    )
    return "\n".join(rows)


def failed_item(check: CheckResult, *, show_hint: bool = True) -> str:
    """One check that did not pass: "**function** — name: message", then points and hint."""
    message = escape_markdown(check_message(check)).replace("\n", "  \n  ")
    lines = [
        f"- **{escape_markdown(check.function)}** — {escape_markdown(check.name)}: {message}",
        f"  *{format_points(check.points)} / {format_points(check.max_points)} points · "
        f"{_STATUS_WORDS[check.status]}*",
    ]
    hint = lesson_hint(check.mistake) if show_hint else None
    if hint:
        lines.append(f"  Lesson hint: {escape_markdown(hint)}")
    return "  \n".join(lines)


def footer(result: SubmissionResult) -> str:
    """How the grade was obtained: isolation level and versions, for trust and for appeals."""
    isolation = escape_markdown(clean_text(result.isolation.level, limit=40, max_lines=1))
    layers = ", ".join(result.isolation.layers)
    if layers:
        isolation += f" ({escape_markdown(clean_text(layers, limit=200, max_lines=1))})"
    versions = [f"isolation level {isolation}"]
    if result.grader_version:
        versions.append(f"grader {escape_markdown(result.grader_version)}")
    if result.torch_version:
        versions.append(f"torch {escape_markdown(result.torch_version)}")
    return "*Graded with " + " · ".join(versions) + ".*"


def _grouped(result: SubmissionResult) -> list[tuple[str, list[CheckResult]]]:
    groups: dict[str, list[CheckResult]] = {}
    for check in result.checks:
        groups.setdefault(check.exercise, []).append(check)
    return list(groups.items())


def _exercise_section(score: ExerciseScore, checks: list[CheckResult]) -> str:
    total = f"{format_points(score.score)} / {format_points(score.max_score)}"
    parts = [f"## {escape_markdown(score.exercise)} — {total}"]
    failed = [c for c in checks if not c.passed]
    passed = [c for c in checks if c.passed]
    if failed:
        parts.append("Not passed:")
        hinted: set[str | None] = set()  # one lesson hint per mistake, not per check
        items = []
        for check in failed:
            items.append(failed_item(check, show_hint=check.mistake not in hinted))
            hinted.add(check.mistake)
        parts.append("\n".join(items))
    if passed:
        label = "All checks passed" if not failed else "Passed"
        parts.append(f"{label}: {_compact(passed)}")
    return "\n\n".join(parts)


def _compact(checks: Iterable[CheckResult]) -> str:
    by_function: dict[str, list[str]] = {}
    for check in checks:
        by_function.setdefault(check.function, []).append(escape_markdown(check.name))
    return "; ".join(
        f"**{escape_markdown(function)}** — {' · '.join(names)}"
        for function, names in by_function.items()
    )


def _not_gradable_sections(result: SubmissionResult) -> list[str]:
    reason = escape_markdown(not_gradable_reason(result)).replace("\n", "  \n")
    return [
        "Your submission could not be graded, so it has no score yet.",
        f"**Why:** {reason}",
        f"## What to do\n\n{NEXT_STEPS}",
    ]


def not_gradable_reason(result: SubmissionResult) -> str:
    """The cleaned reason a submission could not be graded."""
    return clean_text(result.reason or "") or "no reason was recorded"


def notes_section(notes: Iterable[str]) -> str:
    """The submission's notes ("shell escapes were not run") as a section; "" if none."""
    cleaned = [clean_text(note, limit=300, max_lines=3) for note in notes]
    items = [f"- {escape_markdown(note)}".replace("\n", "  \n  ") for note in cleaned if note]
    return "## Notes\n\n" + "\n".join(items) if items else ""
