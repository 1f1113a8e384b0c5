"""``grader ci-grade``: the CI grading step, run here as a workflow would run it.

One exercise per run (``--exercise``) keeps each grade to a few seconds.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from course_files import COURSE

from grader import ci
from grader.batch import JudgeStartError
from grader.cli import main
from grader.model import CheckResult, CheckStatus, SubmissionResult, SubmissionStatus

CLASS = COURSE.root / "examples" / "class"
EXERCISE = "ex03_forward_pass"  # alice has it right; dave makes the lesson's mistakes (5/12)


def test_full_marks_summary_and_notice_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("output of an earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = tmp_path / "reports"

    code = main(["ci-grade", str(CLASS / "alice"), "--out", str(out), "--exercise", EXERCISE])

    assert code == 0
    stdout = capsys.readouterr().out
    assert stdout.splitlines() == [
        "::notice title=Autograding complete::Points 12/12",
        '::notice title=Autograding report::{"totalPoints":12,"maxPoints":12}',
    ]
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("output of an earlier step\n\n## Autograding: alice — 12 / 12 points")
    assert "All checks passed." in text
    for name in ("report.json", "feedback.md", "results.json"):
        assert (out / "alice" / name).is_file()
    assert json.loads((out / "alice" / "report.json").read_text())["score"] == 12


def test_low_score_is_not_a_ci_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    summary = tmp_path / "summary.md"
    out = tmp_path / "reports"

    args = ["--out", str(out), "--summary-file", str(summary), "--exercise", EXERCISE]
    code = main(["ci-grade", str(CLASS / "dave"), *args])

    assert code == 0
    assert (
        "::notice title=Autograding complete::Points 5/12" in capsys.readouterr().out.splitlines()
    )
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## Autograding: dave — 5 / 12 points")
    assert "### Not passed" in text and "linear_forward" in text
    assert "nn.Linear stores its weight" in text  # the lesson hint reaches the student
    (row,) = csv.DictReader((out / "gradebook.csv").open(encoding="utf-8"))
    cells = (row["id"], row["status"], row["score"], row["max_score"])
    assert cells == ("dave", "graded", "5", "12")


def test_a_submission_that_cannot_be_graded_fails_the_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # what grade_class returns for an unreadable upload (intake's tests cover the reason)
    result = SubmissionResult(
        "broken", SubmissionStatus.NOT_GRADABLE, reason="not a valid zip archive: broken.zip"
    )
    monkeypatch.setattr(ci, "grade_class", lambda *_a, **_k: [result])
    summary = tmp_path / "summary.md"

    code = main(
        [
            "ci-grade",
            str(CLASS / "alice"),
            "--out",
            str(tmp_path / "out"),
            "--summary-file",
            str(summary),
        ]
    )

    assert code == 1
    [line] = capsys.readouterr().out.splitlines()
    assert line == (
        "::error title=Autograding failed::Not gradable: not a valid zip archive: broken.zip"
    )
    assert "— not graded" in summary.read_text(encoding="utf-8")


def test_missing_submission_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["ci-grade", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 2
    assert "error:" in captured.err and "nope" in captured.err and "hint:" in captured.err
    assert "::notice" not in captured.out
    assert not (tmp_path / "out").exists()


def test_unreachable_isolation_level_means_no_grade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(*_args: object, **kwargs: object) -> list[object]:
        assert kwargs["require"] == "L3"
        raise JudgeStartError("grading could not start: L3 needs root", "use sudo")

    monkeypatch.setattr("grader.ci.grade_class", refuse)
    summary = tmp_path / "summary.md"
    args = ["--out", str(tmp_path / "out"), "--require-isolation", "L3"]
    code = main(["ci-grade", str(CLASS / "alice"), *args, "--summary-file", str(summary)])
    captured = capsys.readouterr()
    assert code == 2
    assert "L3 needs root" in captured.err and "hint: use sudo" in captured.err
    assert captured.out == ""  # no points notice: Classroom must not record a grade
    assert not summary.exists()


def test_unwritable_summary_is_a_warning_not_a_lost_grade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = CheckResult(
        "ex09_capacity.calculate_capacity.small",
        "ex09_capacity",
        "calculate_capacity",
        "small",
        2.5,
        4,
        CheckStatus.FAILED,
        "off by one",
    )
    result = SubmissionResult("alice", SubmissionStatus.GRADED, checks=(check,))
    monkeypatch.setattr(ci, "grade_class", lambda *_a, **_k: [result])

    outcome = ci.ci_grade(
        CLASS / "alice", tmp_path / "out", summary_file=tmp_path / "missing" / "summary.md"
    )

    assert outcome.summary_file is None
    assert "could not append the job summary" in outcome.summary_error
    assert outcome.notice.startswith("::notice title=Autograding complete::Points 2.5/4")
    assert ci.exit_code(outcome.result) == 0


def test_summary_destination_prefers_the_flag() -> None:
    env = {"GITHUB_STEP_SUMMARY": "/env/summary"}
    assert ci.summary_destination(Path("/flag"), env) == Path("/flag")
    assert ci.summary_destination(None, env) == Path("/env/summary")
    assert ci.summary_destination(None, {"GITHUB_STEP_SUMMARY": ""}) is None
