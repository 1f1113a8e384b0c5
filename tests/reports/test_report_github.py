"""GitHub Actions: the Classroom notices, exactly as the grading reporter prints them."""

from __future__ import annotations

from report_samples import check, graded, not_gradable

from grader.reports import classroom_notice, github_step_summary


def test_notice_lines_match_the_reporter() -> None:
    result = graded("a", check("ex01_multiclass", "one_hot", "v", 87, 100, "failed", "partly"))
    assert classroom_notice(result) == (
        "::notice title=Autograding complete::Points 87/100\n"
        '::notice title=Autograding report::{"totalPoints":87,"maxPoints":100}'
    )


def test_fractional_points_have_no_float_noise() -> None:
    result = graded(
        "a",
        check("ex01_multiclass", "one_hot", "a", 0.1, 10),
        check("ex01_multiclass", "one_hot", "b", 0.2, 10),
    )
    notice = classroom_notice(result)
    assert notice.splitlines()[0].endswith("::Points 0.3/20")
    assert '{"totalPoints":0.3,"maxPoints":20}' in notice


def test_no_points_when_there_is_nothing_to_score() -> None:
    assert classroom_notice(graded("a", check("ex01_multiclass", "one_hot", "v", 0, 0))) == ""


def test_not_gradable_is_one_escaped_error_line() -> None:
    notice = classroom_notice(not_gradable("b", "100% broken\n::set-output name=score::100\r"))
    assert notice == (
        "::error title=Autograding failed::Not gradable: 100%25 broken ::set-output name=score::100"
    )
    assert len(notice.splitlines()) == 1  # the student's text cannot start a command of its own


def test_step_summary_lists_what_did_not_pass() -> None:
    text = github_step_summary(graded("alice"))
    assert text.startswith("## Autograding: alice — 12.5 / 20 points\n")
    assert "| **Total** | **12.5 / 20** | 4 of 9 |" in text
    assert "### Not passed (5)" in text
    assert "Lesson hint:" in text and "KeyError" not in text
    assert "isolation level L2" in text


def test_step_summary_all_passed_and_not_gradable() -> None:
    assert "All checks passed." in github_step_summary(
        graded("a", check("ex01_multiclass", "one_hot", "v", 1, 1))
    )
    text = github_step_summary(not_gradable("b", "<b>no files</b>"))
    assert "not graded" in text and "&lt;b&gt;no files&lt;/b&gt;" in text
