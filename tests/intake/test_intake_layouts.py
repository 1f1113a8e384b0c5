"""LMS layouts: who handed in what, the newest copy wins, nothing is dropped silently."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.classrun import _unpacked
from grader.intake.layouts import LayoutError, detect_layout, read_layout
from grader.intake.names import match_exercise, student_slug
from grader.intake.staging import stage_students

FILES = Path(__file__).resolve().parent.parent / "files" / "lms"
PATTERN = r"(?P<student>[^-]+)--(?P<exercise>ex\d\d_\w+)--(?P<timestamp>[0-9T]+)\.py$"


def _class(tmp_path: Path, layout: str, packed: bool) -> Path:
    if packed:
        return _unpacked(FILES / f"{layout}.zip", tmp_path / "unzipped")
    return FILES / layout


def _staged(tmp_path: Path, layout: str, packed: bool, pattern: str | None = None):
    root = _class(tmp_path, layout, packed)
    found = detect_layout(root) if pattern is None else layout
    intake = read_layout(root, found, pattern)
    students = {p.id: p for p in stage_students(intake.students, tmp_path / "staged")}
    return found, intake, students


def _graded(student) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(student.path.iterdir())}


@pytest.mark.parametrize("packed", [False, True], ids=["folder", "zip"])
def test_canvas_download_groups_by_user_and_the_latest_attachment_wins(
    tmp_path: Path, packed: bool
) -> None:
    layout, intake, students = _staged(tmp_path, "canvas", packed)

    assert layout == "canvas"
    assert sorted(students) == ["48213", "51234", "60001"]  # one entry per student
    kim = students["48213"]
    assert kim.name == "kimlee" and kim.late_marker
    files = _graded(kim)
    assert set(files) == {"ex01_multiclass.py", "ex04_backward_pass.ipynb"}
    assert "X = 2" in files["ex04_backward_pass.ipynb"]  # attachment 991024 over 990001
    assert any("not the older kimlee_48213_990001_ex04" in n for n in kim.notes)
    assert _graded(students["51234"]) == {"ex03_forward_pass.py": "X = 4\n"}
    assert any("notes.txt matches no exercise" in n for n in students["60001"].notes)
    assert intake.unmatched == ["grades_export.csv"]


@pytest.mark.parametrize("packed", [False, True], ids=["folder", "zip"])
def test_moodle_folders_keep_names_and_forgive_browser_copies(tmp_path: Path, packed: bool) -> None:
    layout, _, students = _staged(tmp_path, "moodle", packed)

    assert layout == "moodle"
    assert students["1001"].name == "José García"  # accents and spaces kept
    assert students["1002"].name == "Jose Garcia"
    assert students["1001"].slug != students["1002"].slug
    ann = students["1003"]
    assert any("onlinetext" in n for n in ann.notes)
    assert _graded(ann) == {"ex01_multiclass.py": "X = 1\n"}
    assert list(_graded(students["1001"])) == ["ex05_optimizer.ipynb"]


@pytest.mark.parametrize("packed", [False, True], ids=["folder", "zip"])
def test_blackboard_attempts_newest_wins_and_receipt_names_the_student(
    tmp_path: Path, packed: bool
) -> None:
    layout, _, students = _staged(tmp_path, "blackboard", packed)

    assert layout == "blackboard"
    jane = students["jdoe"]
    assert jane.name == "Jane Doe"
    assert _graded(jane) == {"ex01_multiclass.py": "X = 2\n"}
    assert jane.submitted_at is not None and jane.submitted_at.day == 2
    assert list(_graded(students["mroe"])) == ["ex02_regression_binary.py"]


@pytest.mark.parametrize("packed", [False, True], ids=["folder", "zip"])
def test_gradescope_export_reads_submitters_and_times(tmp_path: Path, packed: bool) -> None:
    layout, _, students = _staged(tmp_path, "gradescope", packed)

    assert layout == "gradescope"
    assert students["s1"].name == "Zoë Ng"
    assert students["s1"].path.name == "submission_111"
    assert students["s2"].submitted_at is not None and students["s2"].submitted_at.day == 3


@pytest.mark.parametrize("packed", [False, True], ids=["folder", "zip"])
def test_github_classroom_repositories_are_named_by_username(tmp_path: Path, packed: bool) -> None:
    root = tmp_path / "repos"
    shutil.copytree(_class(tmp_path, "github", packed), root)
    (root / "hw3-alice" / ".git").mkdir()

    assert detect_layout(root) == "github"
    intake = read_layout(root, "github")
    assert sorted(s.id for s in intake.students) == ["alice", "bob-smith"]


@pytest.mark.parametrize("packed", [False, True], ids=["folder", "zip"])
def test_file_pattern_with_named_groups_picks_the_newest_timestamp(
    tmp_path: Path, packed: bool
) -> None:
    _, intake, students = _staged(tmp_path, "pattern", packed, PATTERN)

    assert intake.layout == "pattern"
    assert _graded(students["alice"]) == {"ex01_multiclass.py": "X = 2\n"}
    assert list(_graded(students["bob"])) == ["ex09_capacity.py"]


def test_file_pattern_without_a_student_group_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match="named group `student`"):
        read_layout(FILES / "pattern", "pattern", r"(?P<exercise>ex\d\d)")


@pytest.mark.parametrize(
    ("name", "exercise", "copy"),
    [
        ("ex04_backward_pass.ipynb", "ex04_backward_pass", 0),
        ("EX04_Backward_Pass.ipynb", "ex04_backward_pass", 0),
        ("ex04 backward pass.py", "ex04_backward_pass", 0),
        ("ex04-backward-pass.py", "ex04_backward_pass", 0),
        ("ex05_optimizer (1).ipynb", "ex05_optimizer", 1),
        ("ex04_backward_pass-3.ipynb", "ex04_backward_pass", 3),
    ],
)
def test_forgiving_exercise_names(name: str, exercise: str, copy: int) -> None:
    found = match_exercise(name)
    assert found is not None and (found.exercise, found.copy) == (exercise, copy)


@pytest.mark.parametrize("name", ["ex4_backward.py", "notes.txt", "ex04_backward_pass.txt"])
def test_names_that_are_not_exercises_stay_unmatched(name: str) -> None:
    assert match_exercise(name) is None


def test_slugs_never_merge_students_whatever_folds() -> None:
    names = ["Alice B", "Alice_B", "alice_b", "José", "Jose", "jose", "JOSE", "Alice", "alice"]
    slugs = [student_slug(name) for name in names]
    assert len(set(slugs)) == len(names)
    assert len({s.casefold() for s in slugs}) == len(names)  # even on a case-folding disk
    assert student_slug("alice") == "alice"
    assert student_slug("José") == student_slug("José")  # stable


def test_folders_layout_groups_loose_files_by_student(tmp_path: Path) -> None:
    for name in ("alice_ex01_multiclass.py", "alice_ex02_regression_binary.ipynb", "bob.zip"):
        (tmp_path / name).write_text("X = 1\n")
    (tmp_path / "carol").mkdir()
    (tmp_path / "grades.xlsx").write_text("")

    intake = read_layout(tmp_path, "folders")

    assert [s.id for s in intake.students] == ["alice", "bob", "carol"]
    assert len(intake.students[0].files) == 2
    assert intake.unmatched == ["grades.xlsx"]
