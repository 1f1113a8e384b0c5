"""A class rerun regrades everyone when what decides a score changed, and only then."""

from __future__ import annotations

import shutil
from pathlib import Path

from course_files import COURSE

from grader.assignment import load
from grader.classrun import grading_fingerprint

TENSOR_BASICS = COURSE.root / "examples" / "assignments" / "tensor_basics"


def test_the_fingerprint_follows_checks_solutions_and_the_assignment_file(tmp_path: Path) -> None:
    root = shutil.copytree(TENSOR_BASICS, tmp_path / "course")
    assignment = load(root)
    first = grading_fingerprint(assignment)
    assert grading_fingerprint(assignment) == first  # stable
    (root / "exercises" / "unrelated.txt").write_text("students' stubs decide no score\n")
    (assignment.checks_dir / ".expected").mkdir(exist_ok=True)
    (assignment.checks_dir / ".expected" / "cache.bin").write_bytes(b"judges write this")
    assert grading_fingerprint(assignment) == first
    for changed in (
        next(assignment.checks_dir.glob("check_*.py")),
        next(assignment.solutions_dir.glob("*.py")),
        assignment.checks_dir / "seed.txt",
        root / "assignment.toml",
    ):
        before = grading_fingerprint(assignment)
        changed.write_text(changed.read_text() + "\n# edited\n")
        assert grading_fingerprint(assignment) != before, changed.name
    assert grading_fingerprint(load(COURSE.root)) != grading_fingerprint(assignment)
