"""The command line itself: help on everything, --version, --exercise, the student bundle's view.

These parse and dispatch in-process with the grading stubbed out, so they
cost nothing; grading itself is tested end to end in ``tests/e2e``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

import grader
import grader.batch
import grader.cli
import grader.commands.grade
from grader.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def _verbs(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_verb_and_option_has_help() -> None:
    parser = build_parser()
    listing = parser.format_help()
    for name, verb in _verbs(parser).items():
        assert re.search(rf"^    {re.escape(name)}\s*\n?\s+\S", listing, re.M), name
        assert verb.description, f"`grader {name} --help` has no description"
        for action in verb._actions:
            assert action.help and action.help.strip(), f"grader {name} {action.option_strings}"


def test_help_cites_only_files_that_exist() -> None:
    parser = build_parser()
    texts = [parser.format_help(), *(v.format_help() for v in _verbs(parser).values())]
    cited = {m for text in texts for m in re.findall(r"[\w./-]+\.md\b", " ".join(text.split()))}
    assert cited, "expected the gradescope verb to point at its documentation"
    for path in cited:
        assert (ROOT / path).is_file(), path


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"grader {grader.__version__}\n"


@pytest.fixture
def graded_with(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """What grade_class was asked to grade; nothing is graded."""
    seen: list[object] = []

    def fake(paths: object, out: object, **kwargs: object) -> list[object]:
        seen.append(kwargs["exercises"])
        return []

    monkeypatch.setattr(grader.batch, "grade_class", fake)
    monkeypatch.setattr(grader.commands.grade, "_host_template", lambda: None)
    return seen


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        (["ex03"], ["ex03_forward_pass"]),
        (["ex03_forward_pass"], ["ex03_forward_pass"]),
        (["ex01", "ex03_forward_pass.ipynb", "ex01_multiclass"], ["ex01_multiclass",
                                                                  "ex03_forward_pass"]),
    ],
)  # fmt: skip
def test_grade_takes_short_and_full_exercise_names(
    typed: list[str], meant: list[str], graded_with: list[object], tmp_path: Path
) -> None:
    flags = [arg for name in typed for arg in ("--exercise", name)]
    args = ["grade", *flags, "-q", "--out", str(tmp_path / "out"), str(tmp_path)]
    assert main(args) == 0
    assert graded_with == [meant]


def test_grade_refuses_an_unknown_exercise(
    graded_with: list[object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["grade", "--exercise", "ex99", "-q", "--out", str(tmp_path), str(tmp_path)])
    assert code == 2 and graded_with == []
    err = capsys.readouterr().err
    assert "error: --exercise 'ex99' is not an exercise of this assignment" in err
    assert "hint: " in err and "ex03_forward_pass" in err


def test_ci_grade_refuses_an_unknown_exercise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import grader.ci

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("graded despite an unknown exercise")

    monkeypatch.setattr(grader.ci, "ci_grade", never)
    assert main(["ci-grade", str(tmp_path), "--out", str(tmp_path), "--exercise", "nope"]) == 2
    assert "'nope' is not an exercise" in capsys.readouterr().err


def test_the_student_bundle_lists_only_what_students_can_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(grader.cli, "is_student_bundle", lambda: True)
    listing = build_parser().format_help()
    listed = re.findall(r"^    (\S+)", listing, re.M)
    assert listed == ["check"]
    monkeypatch.undo()
    assert "    grade " in build_parser().format_help()  # the full install lists every verb
