"""The assignment file's ``[feedback]`` table, read and enforced where it matters.

``ci_hidden_checks`` decides what the ``ci-grade`` job summary (in the
student's own repository) shows of hidden checks; the default must be the
safe one, and a typo must be refused rather than fall back silently.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from course_files import COURSE

from grader import assignment, ci
from grader.assignment import AssignmentError, Feedback
from grader.model import CheckResult, CheckStatus, SubmissionResult, SubmissionStatus


def _write(folder: Path, feedback: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "assignment.toml").write_text(
        f'[assignment]\nname = "tiny"\n\n[exercises.ex01_tiny]\nfunctions = ["f"]\n\n{feedback}',
        encoding="utf-8",
    )
    return folder


def test_the_default_shows_names_and_points_only(tmp_path: Path) -> None:
    assert Feedback().ci_hidden_checks == "names"
    assert assignment.load(_write(tmp_path, "")).feedback == Feedback()
    assert COURSE.feedback.ci_hidden_checks == "names"  # the bundled course says so too


def test_a_setting_is_read(tmp_path: Path) -> None:
    folder = _write(tmp_path, '[feedback]\nci_hidden_checks = "messages"\n')
    assert assignment.load(folder).feedback.ci_hidden_checks == "messages"


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ('ci_hidden_checks = "all"', "'all' is not one of count, names, hints, messages"),
        ("ci_hidden_checks = true", "True is not one of"),
        ('show_hidden = "names"', "unknown key show_hidden"),
    ],
)
def test_a_wrong_setting_is_refused_with_the_file_named(
    tmp_path: Path, table: str, said: str
) -> None:
    folder = _write(tmp_path, f"[feedback]\n{table}\n")
    with pytest.raises(AssignmentError) as caught:
        assignment.load(folder)
    assert str(folder / "assignment.toml") in caught.value.message
    assert said in caught.value.message and caught.value.hint


def _hidden_failure() -> SubmissionResult:
    check = CheckResult(
        "ex01_tiny.f.secret", "ex01_tiny", "f", "secret input", 0, 3,
        CheckStatus.FAILED, "f of the secret input returned 5",
    )  # fmt: skip
    return SubmissionResult("alice", SubmissionStatus.GRADED, checks=(check,))


@pytest.mark.parametrize(
    ("setting", "shown"), [("", False), ('ci_hidden_checks = "messages"', True)]
)
def test_ci_grade_writes_the_summary_the_assignment_allows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, shown: bool
) -> None:
    monkeypatch.setattr(ci, "grade_class", lambda *_a, **_k: [_hidden_failure()])
    monkeypatch.setenv("GRADER_ASSIGNMENT", str(COURSE.root))  # use() sets it; restore after
    assignment.use(_write(tmp_path / "course", f"[feedback]\n{setting}\n"))
    try:
        summary = tmp_path / "summary.md"
        ci.ci_grade(tmp_path, tmp_path / "out", summary_file=summary)
    finally:
        assignment.use(COURSE.root)
    text = summary.read_text(encoding="utf-8")
    assert "secret input" in text and "0 / 3 points" in text
    assert ("f of the secret input returned 5" in text) is shown
    student = tmp_path / "out" / ci.STUDENT_FOLDER  # all the workflow uploads
    assert (student / "summary.md").read_text(encoding="utf-8") == text
    pages = sorted(p.name for p in student.iterdir())
    assert pages == (["feedback.html", "feedback.md", "summary.md"] if shown else ["summary.md"])
    for page in student.iterdir():
        assert ("f of the secret input returned 5" in page.read_text(encoding="utf-8")) is shown
