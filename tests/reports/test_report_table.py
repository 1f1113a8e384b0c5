"""The terminal summary: rich table, literal student text, plain-text fallback."""

from __future__ import annotations

import io
import sys
from dataclasses import replace

import pytest
from report_samples import graded, not_gradable
from rich.console import Console

from grader.reports import summary_table, summary_text


def _render(results: list) -> str:  # type: ignore[type-arg]
    console = Console(file=io.StringIO(), width=200, record=True, color_system=None)
    summary_table(results, console=console)
    return console.export_text()


def test_rich_table_has_scores_per_exercise_and_reasons() -> None:
    text = _render([graded("alice"), not_gradable("bob", "zip is damaged")])
    header = next(line for line in text.splitlines() if "submission" in line)
    for column in ("status", "score", "ex01", "ex03", "ex05", "reason"):
        assert column in header
    alice = next(line for line in text.splitlines() if "alice" in line)
    assert "12.5/20" in alice and "6/6" in alice and "6.5/10" in alice and "0/4" in alice
    bob = next(line for line in text.splitlines() if "bob" in line)
    assert "not gradable" in bob and "zip is damaged" in bob
    assert "2 submissions, 1 graded, 1 not gradable; mean score 12.5" in text


def test_student_text_is_never_console_markup() -> None:
    text = _render([not_gradable("[bold red]mallory[/]", "\x1b[2J[link=http://x]click[/link]")])
    assert "[bold red]mallory[/]" in text
    assert "[link=http://x]click[/link]" in text and "\x1b" not in text


def test_reason_column_only_when_needed() -> None:
    assert "reason" not in _render([graded("alice")])


def test_plain_text_is_aligned() -> None:
    text = summary_text([graded("alice"), not_gradable("bob", "bad")])
    lines = text.splitlines()
    assert lines[0].split() == ["submission", "status", "score", "ex01", "ex03", "ex05", "reason"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split()[:3] == ["alice", "graded", "12.5/20"]
    assert lines[3].startswith("bob ") and lines[3].endswith("bad")
    assert lines[0].index("score") == lines[2].index("12.5/20")


def test_falls_back_to_plain_text_without_rich(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "rich.table", None)  # import now raises ImportError
    summary_table([graded("alice")])
    assert capsys.readouterr().out == summary_text([graded("alice")])


LONG_REASON = (
    "ex03_forward_pass.ipynb: Notebook could not be parsed: it is not valid JSON "
    "(Expecting value at line 97, column 4). Open it in Jupyter, save it, and submit again."
)


def test_a_long_reason_stays_on_one_line_and_says_where_the_rest_is() -> None:
    text = _render([graded("alice"), not_gradable("bob", LONG_REASON)])
    bob = [line for line in text.splitlines() if "bob" in line]
    assert len(bob) == 1 and "Notebook could not be" in bob[0] and "…" in bob[0]
    assert not any(line.strip("│ ").startswith("JSON") for line in text.splitlines())
    assert "each is whole in its submission's feedback.md" in text
    plain = summary_text([not_gradable("bob", LONG_REASON)]).splitlines()
    assert plain[2].endswith("…") and len(plain[2]) < 90


def test_the_mean_is_rounded_to_what_the_points_allow() -> None:
    from report_samples import check

    thirds = [graded(n, check("ex01_multiclass", "one_hot", "v", p, 1)) for n, p in
              [("a", 1), ("b", 0), ("c", 0)]]  # fmt: skip
    # whole points: one decimal finer than a score can be, not 0.3333
    assert summary_text(thirds).rstrip().endswith("mean score 0.3")
    halves = [graded(n, check("ex01_multiclass", "one_hot", "v", p, 1)) for n, p in
              [("a", 1), ("b", 0.5), ("c", 0)]]  # fmt: skip
    assert summary_text(halves).rstrip().endswith("mean score 0.5")
    mixed = [graded("h", check("ex01_multiclass", "one_hot", "v", 0.5, 1)), *thirds]
    assert summary_text(mixed).rstrip().endswith("mean score 0.38")  # 0.375 rounds up


def test_one_submission_is_singular() -> None:
    assert "1 submission, 1 graded;" in summary_text([graded("alice")])
    assert "2 submissions, 2 graded;" in summary_text([graded("a"), graded("b")])


def test_class_rows_name_the_student_and_show_missing_and_final_scores() -> None:
    from grader.model import Adjustment, Student, SubmissionResult, SubmissionStatus

    late = graded("48213", student=Student("48213", "Kim Lee"))
    late = replace(late, adjustments=(Adjustment("late", "total", -2.5, "one day"),))
    missing = SubmissionResult(
        submission="", status=SubmissionStatus.MISSING, reason="nothing handed in",
        student=Student("70002", "Zoë Brontë"),
    )  # fmt: skip
    text = summary_text([late, missing])
    kim = next(line for line in text.splitlines() if "Kim Lee (48213)" in line)
    assert "10/20" in kim  # the final score, after the late penalty
    zoe = next(line for line in text.splitlines() if "Zoë Brontë (70002)" in line)
    assert "missing" in zoe and "not gradable" not in zoe
    assert "1 submission, 1 graded; 1 on the roster handed in nothing; mean score 10" in text


def test_junit_leaves_out_students_who_handed_in_nothing() -> None:
    from grader.model import Student, SubmissionResult, SubmissionStatus
    from grader.reports import junit_xml

    missing = SubmissionResult(
        submission="", status=SubmissionStatus.MISSING, student=Student("70002", "Zoë")
    )
    text = junit_xml([graded("alice"), missing])
    assert text.count("<testsuite ") == 1 and "Zoë" not in text
