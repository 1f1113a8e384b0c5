"""feedback.md: what the student reads, and the text rules every writer shares."""

from __future__ import annotations

import re
import time

import pytest
from report_samples import check, graded, not_gradable

from grader.model import SubmissionResult, SubmissionStatus
from grader.reports import feedback_markdown
from grader.reports.markdown import (
    LESSON_HINTS,
    STAFF_LINE,
    clean_text,
    escape_markdown,
    format_points,
    lesson_hint,
)

markdown_it = pytest.importorskip("markdown_it")

HOSTILE = (
    "got <script>alert('x')</script> \x1b[32mPASSED\x1b[0m\r"
    "\n\n# ex03_forward_pass — 10 / 10\n"
    "- **softmax_manual** — rows sum to one: PASSED\n"
    "===\n"
    "1. [click](https://evil.example) ![img](x.png) | a | b |\n"
    "<img src=x onerror=alert(1)> &amp; \u202eevil\x07\x00"
)


def _html(markdown: str) -> str:
    return markdown_it.MarkdownIt("commonmark").enable("table").render(markdown)


def test_graded_feedback_has_title_table_sections_and_footer() -> None:
    text = feedback_markdown(graded())
    assert text.startswith("# Feedback: alice — 12.5 / 20 points\n")
    assert "| ex03\\_forward\\_pass | 6.5 / 10 | 2 of 5 |" in text
    assert "| **Total** | **12.5 / 20** | 4 of 9 |" in text
    assert "## ex03\\_forward\\_pass — 6.5 / 10" in text
    assert (
        "- **softmax\\_manual** — rows sum to one: rows sum to 0.7311 but should sum to 1" in text
    )
    assert "*0 / 1.5 points · wrong result*" in text
    assert "took too long" in text
    assert "Passed: **linear\\_forward** — output shape · values" in text
    assert (
        "All checks passed: **one\\_hot** — values; **predict\\_proba** — rows sum to one" in text
    )
    assert "## Notes" in text and "shell escape" in text
    assert "isolation level L2 (namespaces, rlimits)" in text
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_lesson_hints_follow_mistake_codes() -> None:
    text = feedback_markdown(graded())
    assert text.count("Lesson hint:") == 2
    assert f"Lesson hint: {escape_markdown(LESSON_HINTS['softmax_twice'])}" in text
    assert "(here: F.softmax)" in text
    assert (
        lesson_hint("shortcut_used:F.softmax")
        == f"{LESSON_HINTS['shortcut_used']} (here: F.softmax)"
    )
    assert lesson_hint("no_such_code") is None
    assert lesson_hint("no_such_code:x") is None
    assert lesson_hint(None) is None
    assert lesson_hint("missing_zero_grad") == LESSON_HINTS["missing_zero_grad"]


def test_every_listed_mistake_code_has_a_hint() -> None:
    codes = {
        "softmax_twice",
        "unstable_softmax",
        "weight_not_transposed",
        "shortcut_used",
        "missing_zero_grad",
        "unweighted_batch_mean",
        "no_eval_mode",
        "grad_tracked_in_eval",
        "params_changed_in_eval",
        "lesson_constant",
    }
    assert set(LESSON_HINTS) == codes


def test_grader_errors_show_one_plain_line_and_no_staff_detail() -> None:
    result = graded(staff_log="Traceback (most recent call last): secret_reference_value = 42")
    text = feedback_markdown(result)
    assert escape_markdown(STAFF_LINE) in text
    assert "KeyError" not in text and "test_ex05_optimizer" not in text
    assert "secret_reference_value" not in text


def test_tracebacks_in_messages_are_cut() -> None:
    message = (
        "value was wrong\nTraceback (most recent call last):\n"
        '  File "grader/checks/test_ex01.py", line 9, in test_values\n    expected = ref.one_hot(t)'
    )
    text = feedback_markdown(
        graded("a", check("ex01_multiclass", "one_hot", "v", 0, 1, "failed", message))
    )
    assert "value was wrong" in text and "(traceback omitted)" in text
    assert "test_ex01.py" not in text and "ref.one_hot" not in text


def test_hostile_message_renders_as_text_only() -> None:
    result = graded(
        "eve", check("ex03_forward_pass", "softmax_manual", "rows", 0, 2, "failed", HOSTILE)
    )
    markdown = feedback_markdown(result)
    assert "\x1b" not in markdown and "\x00" not in markdown and "\x07" not in markdown
    assert "\u202e" not in markdown and "\r" not in markdown
    html = _html(markdown)
    assert "<script" not in html and "<img" not in html and "<a " not in html
    # the only structure is ours: one h1, one h2 per exercise, one list item per failure
    assert len(re.findall(r"<h1>", html)) == 1
    assert re.findall(r"<h2>(.*?)</h2>", html) == ["ex03_forward_pass — 0 / 2", "Notes"]
    assert html.count("<li>") == 2  # the failed check and the note
    assert "<ol" not in html and "<hr" in html and html.count("<hr") == 1
    assert "<table>" in html and html.count("<tr>") == 3  # header, ex03, total
    # the words survive, inside the failed item
    item = html[html.index("<li>") : html.index("</li>")]
    assert "PASSED" in item and "&lt;script&gt;" in item and "evil.example" in item


def test_huge_message_is_truncated_quickly() -> None:
    message = "x" * (10 * 1024 * 1024)
    result = graded("big", check("ex01_multiclass", "one_hot", "v", 0, 1, "error", message))
    started = time.perf_counter()
    text = feedback_markdown(result)
    assert time.perf_counter() - started < 0.5
    assert len(text) < 5_000
    assert "(shortened; 10,485,760 characters in all)" in text


def test_many_lines_are_truncated() -> None:
    cleaned = clean_text("\n".join(f"line {i}" for i in range(100)))
    assert cleaned.count("\n") == 14 and "line 14" in cleaned and "line 15" not in cleaned
    assert "shortened" in cleaned


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[1;31mred\x1b[0m", "red"),
        ("\x1b]8;;http://x\x07link\x1b]8;;\x07", "link"),
        ("FAILED\rPASSED", "FAILED\nPASSED"),
        ("a\tb", "a    b"),
        ("\u202eabc\u2066", "abc"),
        ("null\x00 bell\x07 del\x7f c1\x85", "null bell del c1"),
        ("\n\n  spaced  \n\n", "spaced"),
        ("", ""),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [(14.0, "14"), (12.5, "12.5"), (0.1 + 0.2, "0.3"), (-0.0, "0"), (1e-9, "0"), (2 / 3, "0.6667")],
)
def test_format_points_has_no_float_noise(value: float, text: str) -> None:
    assert format_points(value) == text


def test_escape_markdown_neutralises_line_starts_and_inline_markers() -> None:
    assert escape_markdown("# h\n- item\n+ x\n= y\n12. z\n  3) w") == (
        "\\# h\n\\- item\n\\+ x\n\\= y\n12\\. z\n3\\) w"
    )
    assert escape_markdown("a_b*c`d[e]f|g~h$i\\j") == "a\\_b\\*c\\`d\\[e\\]f\\|g\\~h\\$i\\\\j"
    assert escape_markdown("<b>&") == "&lt;b&gt;&amp;"


def test_not_gradable_explains_reason_and_next_steps() -> None:
    text = feedback_markdown(not_gradable(reason="The zip file is damaged.\n<b>really</b>"))
    assert text.startswith("# Feedback: bob — not graded\n")
    assert "**Why:** The zip file is damaged.  \n&lt;b&gt;really&lt;/b&gt;" in text
    assert "## What to do" in text and "submit again" in text
    assert "Total" not in text
    assert "isolation level L2" in text


def test_no_checks_says_so_instead_of_an_empty_table() -> None:
    result = SubmissionResult(
        "a", SubmissionStatus.GRADED, notes=("No exercise files were found.",)
    )
    text = feedback_markdown(result)
    assert "No checks ran on this submission." in text and "| **Total**" not in text
    assert "No exercise files were found." in text


def test_a_lesson_hint_is_shown_once_per_mistake_not_per_check() -> None:
    twice = [
        check("ex01_multiclass", "cross_entropy_manual", name, 0, 1, "failed", "softmax twice",
              mistake="softmax_twice")
        for name in ("values", "large logits", "by hand")
    ]  # fmt: skip
    text = feedback_markdown(graded("dave", *twice))
    assert text.count("Lesson hint:") == 1
    assert text.count("softmax twice") == 3
