"""Plain checks called directly, others through pytest (`grader.direct_checks`).

The direct path must grade as pytest's protocol would: the same outcome for a
check that fails, raises, exits or reads stdin, the checks' output kept off
the judge's stdout, and any check that needs more of pytest (parametrize, a
fixture or hook of the course's, a ``skip`` marker) taking pytest's protocol
for the whole session.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from course_files import active

from grader.assignment import current
from grader.runner import CheckSession, StudentView
from grader.sandbox.trusted.inprocess import InProcessSubmission

ROOT = Path(__file__).resolve().parents[1]
TENSOR_BASICS = ROOT / "examples" / "assignments" / "tensor_basics"

HEAD = """\
from typing import Any

import pytest

EX = "tb01_shapes"
grade = pytest.mark.grade(exercise=EX, function="flatten_rows", points=1)
"""

ODD_OUTCOMES = (
    HEAD
    + """
import sys

import torch


@grade
def test_prints_then_passes(student: Any) -> None:
    print("a check that talks", flush=True)
    print("on stderr too", file=sys.stderr)
    assert student.exercise(EX).call("flatten_rows", torch.ones(2, 3, 1)).shape == (2, 3)


@grade
def test_reads_stdin(student: Any) -> None:
    sys.stdin.readline()


@grade
def test_exits(student: Any) -> None:
    raise SystemExit(3)


@grade
def test_fails_by_pytest(student: Any) -> None:
    pytest.fail("not a CheckFailed")
"""
)


@contextlib.contextmanager
def _course_with(tmp_path: Path, files: dict[str, str]) -> Iterator[Path]:
    """A copy of tensor_basics with ``files`` added to its checks, as the active assignment."""
    root = tmp_path / "course"
    shutil.copytree(TENSOR_BASICS, root, ignore=shutil.ignore_patterns(".expected"))
    for name, text in files.items():
        (root / "checks" / name).write_text(text)
    # pytest refuses to import a check whose module name is taken by another file,
    # so modules of those names that other tests loaded step aside meanwhile.
    names = [path.stem for path in (root / "checks").glob("*.py")]
    aside = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    try:
        with active(root):
            yield root
    finally:
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(aside)


def _solutions() -> StudentView:
    folder = current().solutions_dir
    sources = {path.stem: path.read_text() for path in folder.glob("*.py")}
    return StudentView(InProcessSubmission(sources), available=sources)


def _grades(session: CheckSession) -> list[tuple[Any, ...]]:
    run = session.run(_solutions())
    return [(r.id, r.status, r.points, r.message) for r in run.results]


def _both(tmp_path: Path, files: dict[str, str]) -> tuple[CheckSession, list, list]:
    with _course_with(tmp_path, files):
        session = CheckSession(exercises=None, public_only=False)
        direct = _grades(session)
        protocol = _grades(CheckSession(exercises=None, public_only=False, direct=False))
    return session, direct, protocol


def test_odd_outcomes_are_graded_as_pytest_grades_them(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    streams = sys.stdin, sys.stdout, sys.stderr
    session, direct, protocol = _both(tmp_path, {"check_odd.py": ODD_OUTCOMES})
    assert session.why_not_direct == ""
    assert direct == protocol
    odd = {name.rsplit(".", 1)[1]: status for name, status, _, _ in direct}
    assert odd["prints_then_passes"] == "passed"
    assert odd["reads_stdin"] == odd["exits"] == odd["fails_by_pytest"] == "grader_error"
    assert all(status == "passed" for name, status, _, _ in direct if name.startswith("tb02"))
    out, err = capfd.readouterr()
    assert "a check that talks" not in out and "on stderr too" not in err
    assert (sys.stdin, sys.stdout, sys.stderr) == streams  # the judge's own again


PARAMETRIZED = (
    HEAD
    + """
import torch


@pytest.mark.parametrize("rows", [1, 4])
@grade
def test_rows(student: Any, rows: int) -> None:
    got = student.exercise(EX).call("flatten_rows", torch.ones(rows, 2, 2))
    assert got.shape == (rows, 4)
"""
)

OWN_FIXTURE = (
    HEAD
    + """
@pytest.fixture
def rows() -> int:
    return 3


@grade
def test_rows_from_a_fixture(student: Any, rows: int) -> None:
    assert rows == 3
"""
)

SKIPPED = (
    HEAD
    + """
from grader.compare import CheckFailed


@pytest.mark.skip(reason="not this term")
@grade
def test_not_this_term(student: Any) -> None:
    raise CheckFailed("a skipped check ran")  # "failed", where a skip is a grader error
"""
)

CONFTEST_HOOK = """\
import pytest

from grader.compare import CheckFailed


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    if item.name == "test_three_dims":
        raise CheckFailed("failed by the course's own hook")
"""


@pytest.mark.parametrize(
    ("files", "reason", "expected"),
    [
        (
            {"check_more.py": PARAMETRIZED},
            "is parametrized",
            {"rows[1]": "passed", "rows[4]": "passed"},
        ),
        (
            {"check_more.py": OWN_FIXTURE},
            "uses the fixtures rows",
            {"rows_from_a_fixture": "passed"},
        ),
        ({"check_more.py": SKIPPED}, "has the markers skip", {"not_this_term": "grader_error"}),
        (
            {"conftest.py": CONFTEST_HOOK},
            "implements pytest_runtest_call",
            {"three_dims": "failed"},
        ),
    ],
    ids=["parametrize", "fixture", "skip", "conftest-hook"],
)
def test_checks_that_need_more_of_pytest_take_its_protocol(
    tmp_path: Path, files: dict[str, str], reason: str, expected: dict[str, str]
) -> None:
    session, direct, protocol = _both(tmp_path, files)
    assert reason in session.why_not_direct
    assert direct == protocol
    # what pytest made of each one: run with its parameters and fixture, skipped, or
    # failed by the hook (each of which a direct call would have got wrong)
    got = {name.rsplit(".", 1)[1]: status for name, status, _, _ in direct}
    assert {name: got.get(name) for name in expected} == expected
    others = [status for name, status, _, _ in direct if name.rsplit(".", 1)[1] not in expected]
    assert others and all(status == "passed" for status in others)
    if "conftest.py" in files:
        assert ("tb01_shapes.flatten_rows.three_dims", "failed", 0.0,
                "failed by the course's own hook") in direct  # fmt: skip
