"""``grader check`` and ``grader.check``: the public checks on a student's own exercises."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from course_files import COURSE

import grader
from grader.assignment import EXERCISES
from grader.cli import main
from grader.grading import grade_submission
from grader.intake import load_submission
from grader.model import CheckStatus
from grader.runner import run_checks
from grader.student import LABEL, CheckError, check, default_path, resolve_exercises

ROOT = COURSE.root
CLASS = ROOT / "examples" / "class"


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A student's folder holding the reference solutions as .py files."""
    folder = tmp_path_factory.mktemp("solved")
    for exercise in EXERCISES:
        shutil.copy(ROOT / "solutions" / f"{exercise}.py", folder)
    return folder


def test_solutions_pass_every_public_check_and_nothing_hidden_runs(
    solved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = check(path=solved)
    assert report.passed
    assert {r.exercise for r in report.results} == set(EXERCISES)
    assert all(r.visibility == "public" for r in report.results)
    assert 25 <= len(report.results) <= 45  # about a third of the ~94 checks
    out = capsys.readouterr().out
    assert LABEL in out
    assert f"{len(report.results)} of {len(report.results)} public checks pass" in out
    assert "all tests passed" not in out.lower()  # users' complaint #7


def test_stubs_fail_and_every_failure_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    report = check(["ex03", "ex08_activations"], ROOT / "exercises")
    assert not report.passed
    assert report.exercises == ("ex03_forward_pass", "ex08_activations")
    assert {r.exercise for r in report.results} == {"ex03_forward_pass", "ex08_activations"}
    assert all(r.status is CheckStatus.ERROR for r in report.results)
    out = capsys.readouterr().out
    assert out.count("NotImplementedError") == len(report.results)
    assert "0 of 4 pass" in out and LABEL in out


def test_a_lesson_mistake_is_named_with_its_hint() -> None:
    report = check("ex03", CLASS / "dave", show=False)
    failed = {r.function: r for r in report.failed}
    assert failed["linear_forward"].mistake == "weight_not_transposed"
    text = report.text()
    assert "weight.T" in text and "Lesson hint:" in text and LABEL in text


def test_notebooks_are_checked_too() -> None:
    report = check("ex05", CLASS / "bob", show=False)
    assert report.passed
    assert report.origins["ex05_optimizer"].endswith(".ipynb")


def test_a_missing_exercise_file_fails_its_checks(solved: Path, tmp_path: Path) -> None:
    shutil.copy(solved / "ex09_capacity.py", tmp_path)
    report = check(["ex09", "ex08"], tmp_path, show=False)
    assert not report.passed
    missing = [r for r in report.results if r.exercise == "ex08_activations"]
    assert missing and all("not found" in r.message for r in missing)
    assert "not found" in report.text()


def test_exercise_names_resolve_and_unknown_ones_are_errors() -> None:
    assert resolve_exercises(None) == list(EXERCISES)
    assert resolve_exercises("ex03") == ["ex03_forward_pass"]
    assert resolve_exercises(["ex03_forward_pass.ipynb", "ex03", "ex01"]) == [
        "ex03_forward_pass",
        "ex01_multiclass",
    ]
    with pytest.raises(CheckError, match="unknown exercise 'ex99'") as caught:
        resolve_exercises(["ex99"])
    assert "ex01_multiclass" in caught.value.hint


def test_default_path_finds_the_exercises(tmp_path: Path) -> None:
    notebooks = tmp_path / "exercises" / "notebooks"
    notebooks.mkdir(parents=True)
    (notebooks / "ex03_forward_pass.ipynb").write_text("{}")
    assert default_path(tmp_path) == tmp_path / "exercises"
    # a notebook runs in exercises/notebooks/: check the whole exercises/ folder
    assert default_path(notebooks) == tmp_path / "exercises"
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "ex01_multiclass.py").write_text("")
    assert default_path(loose) == loose


def test_cli_exit_codes_and_usage_errors(
    solved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "ex04", "--path", str(solved)]) == 0
    assert main(["check", "ex04", "--path", str(ROOT / "exercises")]) == 1
    capsys.readouterr()
    assert main(["check", "--path", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "nope" in err and "hint:" in err
    assert main(["check", "ex42", "--path", str(solved)]) == 2
    assert main(["check", "--path", str(tmp_path)]) == 2  # an empty folder: no exercise files
    assert "no exercise files" in capsys.readouterr().err


def test_check_is_part_of_the_public_door() -> None:
    assert grader.check is check
    assert "check" in grader.__all__ and "CheckReport" in grader.__all__
    assert dir(grader) == grader.__all__


def notebook_that_calls_check(folder: Path) -> Path:
    """Bob's correct ex03 notebook plus the cell the README suggests (and a typo'd one)."""
    notebook = json.loads((CLASS / "bob" / "ex03_forward_pass.ipynb").read_text())
    for source in ('from grader import check\ncheck("ex03_forward_pass")', 'check("ex3")'):
        cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": source}
        notebook["cells"].append({**cell, "execution_count": None})
    path = folder / "ex03_forward_pass.ipynb"
    path.write_text(json.dumps(notebook))
    return path


def test_a_notebook_that_calls_check_is_checked_and_graded_normally(tmp_path: Path) -> None:
    notebook_that_calls_check(tmp_path)
    assert check("ex03", tmp_path, show=False).passed  # no recursion into itself
    source = load_submission(tmp_path).exercises["ex03_forward_pass"].source
    results = run_checks({"ex03_forward_pass": source}, exercises=["ex03_forward_pass"])
    assert results and all(r.passed for r in results), [r.message for r in results]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox host needs Linux")
def test_a_notebook_that_calls_check_loses_nothing_in_the_sandbox(tmp_path: Path) -> None:
    notebook_that_calls_check(tmp_path)
    result = grade_submission(tmp_path, exercises=["ex03_forward_pass"])
    assert result.score == result.max_score > 0, [c.message for c in result.checks]


def _notebook(folder: Path, name: str, cells: list[str]) -> None:
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
        for c in cells
    ]}  # fmt: skip
    (folder / f"{name}.ipynb").write_text(json.dumps(nb))


def test_check_cuts_an_endless_function_at_the_call_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It once hung `grader check` forever; grading cut it at the call timeout.
    import faulthandler

    (tmp_path / "ex08_activations.py").write_text(
        "def relu_grad(x):\n    while True:\n        pass\n"
    )
    monkeypatch.setenv("GRADER_LIMITS", "call_timeout=1")  # what --limit call_timeout=1 sets
    faulthandler.dump_traceback_later(120, exit=True)  # bound: a hang ends the test run
    try:
        report = check("ex08", tmp_path, show=False)
    finally:
        faulthandler.cancel_dump_traceback_later()
    relu = [r for r in report.results if r.function == "relu_grad"]
    assert relu and all(r.status is CheckStatus.TIMEOUT for r in relu)
    assert relu[0].message == "timed out after 1 s while running `relu_grad`"


def test_check_names_a_notebook_cell_and_line_as_grading_does(tmp_path: Path) -> None:
    _notebook(tmp_path, "ex08_activations", [
        "import torch\n",
        "def relu_grad(x):\n    y = float(x)\n    raise ValueError('not yet')\n",
    ])  # fmt: skip
    report = check("ex08", tmp_path, show=False)
    relu = next(r for r in report.results if r.function == "relu_grad")
    assert relu.message == (
        "ValueError: not yet (ex08_activations.ipynb, code cell 2, line 3)"
    ), relu.message
    graded = grade_submission(tmp_path, exercises=["ex08_activations"])
    same = next(c for c in graded.checks if c.id == relu.id)
    assert same.message == relu.message
