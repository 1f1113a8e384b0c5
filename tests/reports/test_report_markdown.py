"""feedback.md: what the student reads, and the text rules every writer shares."""

from __future__ import annotations

import re
import time

import pytest
from report_samples import check, graded, not_gradable

from grader.model import Isolation, SubmissionResult, SubmissionStatus
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
    assert "| ex03_forward_pass | 6.5 / 10 | 2 of 5 |" in text
    assert "| **Total** | **12.5 / 20** | 4 of 9 |" in text
    assert "### ex03_forward_pass — 6.5 / 10" in text
    assert "**softmax_manual** — 2.5 points lost" in text
    assert (
        "- rows sum to one — 0 / 1.5 points, wrong result: rows sum to 0.7311 but should sum to 1"
    ) in text
    assert "- large inputs — 0 / 1 point, took too long:" in text
    assert "- ex03_forward_pass, 2 of 5 checks: **linear_forward** — output shape · values" in text
    assert (
        "- ex01_multiclass, all 2 checks: **one_hot** — values; **predict_proba** — rows sum to one"
    ) in text
    assert "## Notes" in text and "shell escape" in text
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_sections_come_in_the_order_a_student_fixes_things() -> None:
    result = graded(
        "erin",
        check("ex01_multiclass", "one_hot", "values", 4, 4),
        check("ex01_multiclass", "as_row", "shape", 0, 1, "failed", "got (3,) but expected (1, 3)"),
        *[
            check("ex03_forward_pass", fn, name, 0, 2, "error", UNREADABLE)
            for fn, name in [("linear_forward", "a"), ("linear_forward", "b"), ("softmax", "c")]
        ],
        *[check("ex05_optimizer", "train_step", n, 0, 1, "error", MISSING) for n in ("x", "y")],
    )  # fmt: skip
    text = feedback_markdown(result)
    headings = re.findall(r"^#+ .*", text, flags=re.M)
    assert headings == [
        "# Feedback: erin — 4 / 13 points",
        "## Fix these first",
        "## What did not pass",
        "### ex01_multiclass — 4 / 5",
        "### ex03_forward_pass — 0 / 6",
        "### ex05_optimizer — 0 / 2",
        "## What passed",
        "## Notes",
    ]
    fix_first = text[text.index("## Fix these first") : text.index("## What did not pass")]
    # each cause once, the most points first, with what fixing it is worth
    assert fix_first.index("ex03_forward_pass") < fix_first.index("ex05_optimizer")
    assert "- **ex03_forward_pass** (6 points, 3 checks): ex03" in fix_first
    assert "- **ex05_optimizer** (2 points, 2 checks): ex05" in fix_first
    assert text.count("could not be parsed") == 1 and text.count("was not found") == 1
    assert "All 3 checks failed for the reason under *Fix these first* above." in text
    assert "*Graded with grader 0.1.0 and torch 2.13.0, isolation level L2.*" in text


UNREADABLE = "ex03_forward_pass.ipynb: Notebook could not be parsed: it is not valid JSON"
MISSING = "ex05_optimizer.py (or ex05_optimizer.ipynb) was not found in your submission"


def test_one_diagnosis_per_function_then_what_each_check_adds() -> None:
    diagnosis = (
        "cross_entropy_manual looks like softmax was applied before cross-entropy "
        "(softmax twice, like the lesson's 1.0857 instead of 1.0591)"
    )
    checks = [
        check("ex01_multiclass", "cross_entropy_manual", name, 0, points, "failed",
              f"{diagnosis}: got {got} but expected {want}; cross-entropy takes raw logits",
              mistake="softmax_twice")
        for name, points, got, want in [
            ("values", 1, "1.5491", "2.4615"),
            ("large logits", 1, "1.4373", "2.2027"),
            ("confident right answers cost little", 0.5, "0.7438", "1.362e-04"),
        ]
    ]  # fmt: skip
    text = feedback_markdown(graded("dave", *checks))
    assert text.count("looks like softmax was applied") == 1
    assert text.count("Lesson hint:") == 1
    assert (
        f"**cross_entropy_manual** — 2.5 points lost: {diagnosis}; cross-entropy takes raw logits"
    ) in text
    assert "- values — 0 / 1 point, wrong result: got 1.5491 but expected 2.4615\n" in text
    assert "- large logits — 0 / 1 point, wrong result: got 1.4373 but expected 2.2027\n" in text


def test_same_message_for_every_check_of_a_function_is_said_once() -> None:
    same = "forward_manual raised a shape error on a net with non-square layers"
    checks = [
        check("ex03_forward_pass", "forward_manual", n, 0, 1, "failed", same) for n in "abc"
    ]
    text = feedback_markdown(graded("d", check("ex03_forward_pass", "x", "y", 1, 1), *checks))
    assert text.count(same) == 1
    assert "- a — 0 / 1 point, wrong result\n" in text


def test_unrelated_messages_keep_their_whole_text() -> None:
    checks = [
        check("ex03_forward_pass", "f", "a", 0, 1, "failed", "rows sum to 0.7311 not 1"),
        check("ex03_forward_pass", "f", "b", 0, 1, "timeout", "f did not return within 5 s"),
    ]
    text = feedback_markdown(graded("d", *checks))
    assert "**f** — 2 points lost\n" in text
    assert "- a — 0 / 1 point, wrong result: rows sum to 0.7311 not 1" in text
    assert "- b — 0 / 1 point, took too long: f did not return within 5 s" in text


def test_a_wrong_value_never_blocks_an_exercise() -> None:
    # every check failing with one message is that function's diagnosis, not "fix first"
    checks = [check("ex09_capacity", "f", n, 0, 1, "failed", "got 3 but expected 81") for n in "ab"]
    assert "Fix these first" not in feedback_markdown(graded("d", *checks))


def test_the_footer_is_short_and_whole() -> None:
    layers = tuple(f"layer-number-{i}" for i in range(40))
    result = graded(isolation=Isolation("L3", layers), torch_version="2.13.0+cpu")
    last = feedback_markdown(result).rstrip("\n").rsplit("\n", 1)[1]
    assert last == "*Graded with grader 0.1.0 and torch 2.13.0+cpu, isolation level L3.*"


def test_rendered_markdown_shows_no_escapes() -> None:
    rendered = _html(feedback_markdown(graded()))
    text = re.sub(r"<[^>]+>", "", rendered)
    assert "\\" not in text
    assert "ex03_forward_pass" in text and "grader 0.1.0" in text
    raw = feedback_markdown(graded())
    assert "\\_" not in raw and "0\\." not in raw  # readable raw too, where it is not rendered


def test_lesson_hints_follow_mistake_codes() -> None:
    text = feedback_markdown(graded())
    assert text.count("Lesson hint:") == 2
    assert f"Lesson hint: {escape_markdown(LESSON_HINTS['softmax_twice'], inline=True)}" in text
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
    # the only structure is ours: one h1, our h2 and h3, one list item per failure
    assert len(re.findall(r"<h1>", html)) == 1
    assert re.findall(r"<h2>(.*?)</h2>", html) == ["What did not pass", "Notes"]
    assert re.findall(r"<h3>(.*?)</h3>", html) == ["ex03_forward_pass — 0 / 2"]
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
    assert escape_markdown("# h\n- item\n+ x\n===\n---\n12. z\n  3) w\n#") == (
        "\\# h\n\\- item\n\\+ x\n\\===\n\\---\n12\\. z\n3\\) w\n\\#"
    )
    assert escape_markdown("a*c`d[e]f|g~h$i\\j") == "a\\*c\\`d\\[e\\]f\\|g\\~h\\$i\\\\j"
    assert escape_markdown("<b>&") == "&lt;b&gt;&amp;"


def test_escape_markdown_leaves_what_markdown_reads_as_text() -> None:
    assert escape_markdown("cross_entropy_manual 0.1.0 = 3 #2 -1 a-b") == (
        "cross_entropy_manual 0.1.0 = 3 #2 -1 a-b"
    )
    assert escape_markdown("_x_ __init__ a_") == "\\_x\\_ \\_\\_init\\_\\_ a\\_"
    assert escape_markdown("1. x", inline=True) == "1. x"  # after other text: no list
    assert escape_markdown("a\n1. x", inline=True) == "a\n1\\. x"  # later lines: line starts


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
        check("ex01_multiclass", "cross_entropy_manual", name, 0, 1, "failed",
              f"softmax was applied twice: got {n}", mistake="softmax_twice")
        for n, name in enumerate(("values", "large logits", "by hand"))
    ] + [check("ex01_multiclass", "one_hot", "v", 0, 1, "failed", "x", mistake="softmax_twice")]
    text = feedback_markdown(graded("dave", *twice))  # fmt: skip
    assert text.count("Lesson hint:") == 1
    assert text.count("softmax was applied twice") == 1 and "got 2" in text
