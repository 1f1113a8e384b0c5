"""The bundled example class is generated, never edited by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from course_files import COURSE, demo_module

_demo = demo_module()
MISTAKES, _patched, build_example_class = _demo.MISTAKES, _demo._patched, _demo.build_example_class


def test_committed_example_class_equals_a_fresh_generation() -> None:
    root = COURSE.root
    for relative, text in build_example_class(root).items():
        path = root / relative
        assert path.is_file(), f"{relative} is missing: run python examples/demo.py --build"
        assert path.read_text() == text, f"{relative} is stale: run python examples/demo.py --build"


def test_every_planned_mistake_changes_its_solution() -> None:
    files = build_example_class(COURSE.root)
    for exercise in MISTAKES:
        dave = files[next(p for p in files if p.parts[-2] == "dave" and p.stem == exercise)]
        alice = files[next(p for p in files if p.parts[-2] == "alice" and p.stem == exercise)]
        assert dave != alice


def test_an_edit_that_no_longer_matches_is_an_error() -> None:
    with pytest.raises(ValueError, match="no longer matches"):
        _patched("x = 1\n", [("y = 2\n", "y = 3\n")], "solutions/ex99.py")


def test_erin_notebook_is_broken_json_and_bob_notebooks_are_valid() -> None:
    files = build_example_class(COURSE.root)
    for path, text in files.items():
        if path.suffix != ".ipynb":
            continue
        if path.parts[-2] == "erin":
            with pytest.raises(json.JSONDecodeError):
                json.loads(text)
        else:
            assert json.loads(text)["nbformat"] == 4


def test_the_demo_canvas_download_reads_as_canvas_with_a_missing_student(tmp_path: Path) -> None:
    from grader.classrun import _unpacked
    from grader.intake.layouts import detect_layout, read_layout
    from grader.intake.roster import read_roster, read_timestamps
    from grader.intake.staging import stage_students

    root = _unpacked(_demo.write_canvas_zip(COURSE.root, tmp_path / "dl.zip"), tmp_path / "x")
    assert detect_layout(root) == "canvas"
    intake = read_layout(root, "canvas")
    planned = {p.id: p for p in stage_students(intake.students, tmp_path / "staged")}
    roster = {s.id for s in read_roster(COURSE.root / _demo.CANVAS / "roster.csv")}
    assert len(roster - set(planned)) == 1  # one roster student handed in nothing
    assert set(planned) <= roster
    times = read_timestamps(COURSE.root / _demo.CANVAS / "times.csv")
    assert {p.id for p in planned.values() if p.late_marker} <= set(times)  # LATE has a time
    bob, carol = planned["40002"], planned["40003"]
    assert len(list(bob.path.glob("*.ipynb"))) == len(list(COURSE.exercises))  # "Ex01 Multiclass"
    staged = (carol.path / "ex01_multiclass.py").read_text()
    assert staged == (COURSE.root / "examples/class/carol/exercises/ex01_multiclass.py").read_text()
    assert any("not the older" in note for note in carol.notes)
