"""results.json in Gradescope's format: valid for every outcome, no leaked totals."""

from __future__ import annotations

import json

import pytest
from report_samples import check, graded, not_gradable

from grader.reports import gradescope_results


def test_top_level_fields() -> None:
    data = gradescope_results(graded())
    assert data["score"] == 12.5
    assert data["execution_time"] == 1.5
    assert data["output_format"] == "md"
    assert data["stdout_visibility"] == "hidden"
    assert data["visibility"] == "visible"
    assert data["extra_data"]["schema_version"] == 1
    assert data["extra_data"]["isolation"] == {"level": "L2", "layers": ["namespaces", "rlimits"]}
    assert len(data["tests"]) == 9
    json.dumps(data, allow_nan=False)  # strict JSON, as Gradescope parses it


def test_each_check_is_a_test() -> None:
    tests = gradescope_results(graded())["tests"]
    first = tests[0]
    assert first == {
        "name": "ex01_multiclass · one_hot · values",
        "score": 4,
        "max_score": 4,
        "status": "passed",
        "output": "Passed.",
        "visibility": "visible",
        "tags": ["ex01_multiclass", "one_hot"],
        "number": "1.1",
    }
    wrong = tests[4]
    assert wrong["name"] == "ex03_forward_pass · softmax_manual · rows sum to one"
    assert (wrong["status"], wrong["score"], wrong["max_score"]) == ("failed", 0, 1.5)
    assert wrong["output"].startswith("Wrong result: rows sum to 0.7311")
    assert "Lesson hint: Apply softmax once." in wrong["output"]
    assert wrong["visibility"] == "after_published"
    assert wrong["number"] == "3.3"
    assert tests[5]["output"].startswith("Took too long: ")
    assert [t["status"] for t in tests].count("passed") == 4


def test_grader_error_output_is_one_plain_line() -> None:
    tests = gradescope_results(graded())["tests"]
    staff = tests[-1]
    assert "KeyError" not in staff["output"] and "problem on our side" in staff["output"]


def test_summary_hides_total_while_hidden_checks_are_hidden() -> None:
    output = gradescope_results(graded())["output"]
    assert "Public checks: 2 of 2 passed." in output
    assert "7 hidden checks are graded too" in output
    assert "12.5" not in output and "Score" not in output


def test_visible_hidden_checks_show_the_total() -> None:
    data = gradescope_results(graded(), hidden_visibility="visible")
    assert {t["visibility"] for t in data["tests"]} == {"visible"}
    assert "**Score: 12.5 / 20** (4 of 9 checks passed)." in data["output"]


def test_hidden_visibility_is_validated() -> None:
    assert {
        t["visibility"]
        for t in gradescope_results(graded(), hidden_visibility="after_due_date")["tests"]
    } == {"visible", "after_due_date"}
    with pytest.raises(ValueError, match="hidden_visibility"):
        gradescope_results(graded(), hidden_visibility="later")


def test_not_gradable_is_still_a_valid_file() -> None:
    data = gradescope_results(not_gradable(reason="No exercise files <b>found</b>."))
    assert data["score"] == 0 and data["tests"] == []
    assert "could not be graded" in data["output"] and "submit again" in data["output"]
    assert "No exercise files &lt;b&gt;found&lt;/b&gt;." in data["output"]
    assert data["extra_data"]["status"] == "not_gradable"
    json.dumps(data, allow_nan=False)


def test_hostile_test_output_is_cleaned() -> None:
    result = graded(
        "e", check("ex01_multiclass", "one_hot", "v", 0, 1, "failed", "\x1b[2Jbad\x00" + "y" * 5000)
    )
    output = gradescope_results(result)["tests"][0]["output"]
    assert "\x1b" not in output and "\x00" not in output
    assert len(output) < 2_000 and "shortened" in output


def test_unknown_exercise_gets_no_number() -> None:
    tests = gradescope_results(graded("a", check("bonus", "f", "n", 1, 1)))["tests"]
    assert "number" not in tests[0]


def test_summary_with_only_hidden_checks() -> None:
    output = gradescope_results(graded("b", check("ex01_multiclass", "one_hot", "v", 1, 1)))[
        "output"
    ]
    assert output.startswith("1 hidden check is graded too;")
    assert "Public checks" not in output


def test_summary_says_when_hidden_results_appear() -> None:
    output = gradescope_results(graded(), hidden_visibility="after_due_date")["output"]
    assert "appear after the due date" in output
    assert "not shown here" in gradescope_results(graded(), hidden_visibility="hidden")["output"]
