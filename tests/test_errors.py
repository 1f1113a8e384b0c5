"""One base for user-fixable errors, caught once by the command line."""

from __future__ import annotations

import pickle

import pytest

from grader import cli
from grader.assignment import AssignmentError
from grader.authoring.stubs import MarkerError
from grader.batch import JudgeStartError
from grader.errors import GraderError
from grader.gradescope_bundle import BundleError
from grader.intake.submission import SubmissionError
from grader.merge import MergeError
from grader.release import ReleaseError
from grader.sandbox.trusted.errors import IsolationError
from grader.student import CheckError

USER_FIXABLE = [
    AssignmentError,
    BundleError,
    CheckError,
    IsolationError,
    JudgeStartError,
    MergeError,
    ReleaseError,
    SubmissionError,
]


@pytest.mark.parametrize("kind", USER_FIXABLE, ids=lambda kind: kind.__name__)
def test_every_user_fixable_error_is_a_grader_error_that_survives_pickling(kind):
    error = kind("ex02_shapes.py: broken", "fix it")
    assert isinstance(error, GraderError)
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is kind
    assert (back.message, back.hint) == ("ex02_shapes.py: broken", "fix it")
    assert str(back) == error.message


def test_default_hints_say_what_to_do():
    assert "--shard" in MergeError("two shards graded alice").hint
    assert "grader release" in ReleaseError("a public check reads a secret").hint
    assert MergeError("x", "own hint").hint == "own hint"


def test_marker_error_keeps_its_place_and_pickles():
    error = MarkerError(7, "END without BEGIN", path="solutions/ex01.py")
    back = pickle.loads(pickle.dumps(error))
    assert (back.line, back.path, back.message) == (7, "solutions/ex01.py", error.message)
    assert error.message == "solutions/ex01.py:7: END without BEGIN"


def test_the_cli_prints_any_grader_error_once_with_its_hint(monkeypatch, capsys):
    def fail(_args):
        raise MergeError("shard 2 graded bob twice")

    parser = cli.build_parser()
    args = parser.parse_args(["verify"])
    args.func = fail
    monkeypatch.setattr(cli, "build_parser", lambda: _Fixed(parser, args))
    assert cli.main(["verify"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err.splitlines()
    assert err == ["error: shard 2 graded bob twice", f"hint: {MergeError.default_hint}"]


class _Fixed:
    def __init__(self, parser, args):
        self.parser, self.args = parser, args

    def parse_args(self, _argv):
        return self.args
