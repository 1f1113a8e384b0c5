"""GitHub Actions: the Classroom notices, exactly as the grading reporter prints them."""

from __future__ import annotations

import pytest
from report_samples import check, graded, not_gradable

from grader.model import SubmissionResult
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
    assert "**softmax_manual** — rows sum to one (hidden check)" in text
    assert "Lesson hint:" not in text and "KeyError" not in text  # hidden: names and points
    assert "Lesson hint:" in github_step_summary(graded("alice"), hidden="hints")
    assert "isolation level L2" in text


def test_step_summary_all_passed_and_not_gradable() -> None:
    assert "All checks passed." in github_step_summary(
        graded("a", check("ex01_multiclass", "one_hot", "v", 1, 1))
    )
    text = github_step_summary(not_gradable("b", "<b>no files</b>"))
    assert "not graded" in text and "&lt;b&gt;no files&lt;/b&gt;" in text


def _public_and_hidden() -> SubmissionResult:
    return graded(
        "a",
        check(
            "ex01_multiclass", "one_hot", "values", 0, 4, "failed", "got 3, expected 4", public=True
        ),
        check(
            "ex01_multiclass",
            "one_hot",
            "large classes",
            0.5,
            2,
            "failed",
            "for labels [9, 7, 9] row 1 is wrong",
            mistake="softmax_twice",
        ),
    )


def test_step_summary_shows_hidden_checks_by_name_and_points_only_by_default() -> None:
    text = github_step_summary(_public_and_hidden())
    assert "**one_hot** — values: got 3, expected 4" in text  # a public check, in full
    assert "**one_hot** — large classes (hidden check)" in text
    assert "*0.5 / 2 points · wrong result*" in text
    assert "[9, 7, 9]" not in text and "Lesson hint" not in text
    assert "1 hidden check did not pass (1.5 points lost)" in text


def test_step_summary_hidden_levels_each_add_one_thing() -> None:
    result = _public_and_hidden()
    counted = github_step_summary(result, hidden="count")
    assert "large classes" not in counted and "1 hidden check did not pass" in counted
    assert "got 3, expected 4" in counted
    hints = github_step_summary(result, hidden="hints")
    assert "Lesson hint: Apply softmax once" in hints and "[9, 7, 9]" not in hints
    messages = github_step_summary(result, hidden="messages")
    assert "large classes: for labels \\[9, 7, 9\\] row 1 is wrong" in messages
    assert "hidden check did not pass" not in messages
    with pytest.raises(ValueError, match="one of count, names, hints, messages"):
        github_step_summary(result, hidden="all")


def test_a_hidden_check_worth_one_point_says_point() -> None:
    from grader.reports.markdown import points_line

    one = check("ex03_forward_pass", "linear_forward", "values", 0, 1, "failed", "secret")
    two = check("ex03_forward_pass", "linear_forward", "by hand", 0.5, 2, "failed", "secret")
    assert points_line(one) == "  *0 / 1 point · wrong result*"
    assert points_line(two) == "  *0.5 / 2 points · wrong result*"
    text = github_step_summary(graded("alice", one, two), hidden="names")
    assert "*0 / 1 point · wrong result*" in text and "secret" not in text
