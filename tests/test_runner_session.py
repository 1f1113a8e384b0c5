"""One pytest session per judge, one pass per submission (`grader.runner.CheckSession`).

A pass must grade exactly as a fresh session would, whatever was graded
before it in the same session; and between passes the judge's stdout must be
its own again, since it carries the judge's replies to the orchestrator.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from grader import runner
from grader.intake import load_submission
from grader.runner import CheckSession, StudentView
from grader.sandbox.trusted.inprocess import InProcessSubmission

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "class"


def _view(name: str) -> StudentView:
    submission = load_submission(EXAMPLES / name, name=name)
    sources = {n: src.source for n, src in submission.exercises.items()}
    return StudentView(InProcessSubmission(sources), available=sources)


def _grades(run: runner.CheckRun) -> list[tuple[Any, ...]]:
    return [(r.id, r.status, r.points, r.message, r.mistake) for r in run.results]


@pytest.fixture(scope="module")
def fresh() -> dict[str, list[tuple[Any, ...]]]:
    """Each example graded in a session of its own, through pytest's own protocol."""
    names = ("alice", "carol", "dave", "erin")
    return {
        n: _grades(CheckSession(exercises=None, public_only=False, direct=False).run(_view(n)))
        for n in names
    }


def _new_session() -> CheckSession:
    return CheckSession(exercises=None, public_only=False)


def test_passes_grade_as_fresh_sessions_do_whatever_came_before(fresh: dict) -> None:
    session = _new_session()
    assert session.why_not_direct == ""  # the bundled checks are called directly ...
    # full marks, then partial, then mistakes, then full marks again
    for name in ("alice", "carol", "dave", "erin", "alice", "dave"):
        assert _grades(session.run(_view(name))) == fresh[name], name
    assert fresh["alice"] != fresh["dave"]  # the comparison can tell submissions apart
    # ... and grade as pytest's protocol does, whatever came before


def test_between_passes_the_standard_streams_are_the_judges_own() -> None:
    # The judge reads its next submission from stdin and replies on stdout.
    before = sys.stdin, sys.stdout, sys.stderr
    session = _new_session()
    assert (sys.stdin, sys.stdout, sys.stderr) == before
    session.run(_view("carol"))
    assert (sys.stdin, sys.stdout, sys.stderr) == before
    assert session.plugin._student is None  # nothing of the submission is held


def test_the_checks_are_collected_once_per_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "_SESSIONS", {})
    built: list[CheckSession] = []
    original = CheckSession.__init__

    def counting(self: CheckSession, **kwargs: Any) -> None:
        built.append(self)
        original(self, **kwargs)

    monkeypatch.setattr(CheckSession, "__init__", counting)
    first = runner.run_on_student(_view("dave"), exercises=["ex01_multiclass"])
    again = runner.run_on_student(_view("dave"), exercises=["ex01_multiclass"])
    assert len(built) == 1 and _grades(first) == _grades(again)
    assert {r.exercise for r in first.results} == {"ex01_multiclass"}
    runner.run_on_student(_view("dave"), exercises=["ex02_regression_binary"])
    assert len(built) == 2  # another selection is another session


def test_checks_that_cannot_be_collected_do_not_stop_a_judge_starting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The judge collects before its first submission; a broken check module must
    # still end in per-submission reports that say the grader failed.
    def broken(self: CheckSession, **kwargs: Any) -> None:
        raise runner.GraderSetupError("the hidden checks could not be collected: boom")

    monkeypatch.setattr(runner, "_SESSIONS", {})
    monkeypatch.setattr(CheckSession, "__init__", broken)
    runner.prepare(None)
    assert runner._SESSIONS == {}
    with pytest.raises(runner.GraderSetupError, match="boom"):
        runner.run_on_student(_view("dave"))
