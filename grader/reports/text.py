"""The text rules every report shares: cleaning student text, points, status words, hints.

Check messages are student text in the widest sense: a check may quote the
student's exception message, which the student controls completely. So no
message reaches a report as is. :func:`clean_text` strips terminal escapes and
control characters, cuts tracebacks and bounds the length; each writer then
escapes the cleaned text for its own format (Markdown, HTML, XML, CSV, a
terminal). Every writer takes its words from here, so a student sees the same
words everywhere.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from grader.model import CheckResult, CheckStatus, SubmissionResult

__all__ = [
    "LESSON_HINTS",
    "MAX_MESSAGE_CHARS",
    "MAX_MESSAGE_LINES",
    "STAFF_LINE",
    "check_message",
    "clean_text",
    "count",
    "format_mean",
    "format_points",
    "lesson_hint",
    "not_gradable_reason",
    "one_line",
    "points_decimals",
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


def not_gradable_reason(result: SubmissionResult) -> str:
    """The cleaned reason a submission could not be graded."""
    return clean_text(result.reason or "") or "no reason was recorded"


def count(number: int, word: str, plural: str | None = None) -> str:
    """``1 submission``, ``2 submissions``, ``0 submissions``."""
    return f"{number} {word if number == 1 else plural or word + 's'}"


def points_decimals(results: Iterable[SubmissionResult]) -> int:
    """How many decimals a score can need: 0 for whole points, 1 for halves, 2 for quarters."""
    decimals = 0
    for result in results:
        for check in result.checks:
            for value in (check.points, check.max_points):
                text = format_points(value)
                if "." in text:
                    decimals = max(decimals, len(text.partition(".")[2]))
    return decimals


def format_mean(value: float, decimals: int) -> str:
    """A mean or median of scores whose points need ``decimals``, rounded to what they allow.

    One decimal finer than a score can be: enough to tell two means apart,
    without the noise of a division ("67.1" for whole points, not "67.1111").
    Halves round up, as people round.
    """
    step = Decimal(1).scaleb(-(decimals + 1))
    return format_points(float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP)))


def one_line(text: str, limit: int) -> str:
    """Cleaned ``text`` as one line of at most ``limit`` characters, cut at a word with "…".

    For table cells: the full text stays in the reports the cell stands for.
    """
    line = " ".join(clean_text(text, limit=limit * 4, max_lines=3).split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"
