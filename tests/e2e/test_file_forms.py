"""End to end through the real CLI and sandbox: files as students' tools save them.

One submission holds a correct ex02 saved as a Python script under ``.ipynb``, a
correct ex03 exported from VS Code (``# %%`` cells, magics as ``get_ipython()``
calls), a correct ex04 saved by Notepad as UTF-16, and an R notebook for ex05.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from course_files import COURSE

from grader.cli import main
from grader.sandbox.trusted.limits import OVERRIDES_VARIABLE

SOLUTIONS = COURSE.root / "solutions"
GRADED = ("ex02_regression_binary", "ex03_forward_pass", "ex04_backward_pass", "ex05_optimizer")
R_REASON = (
    "ex05_optimizer.ipynb: This notebook runs R, not Python, so it cannot be graded. Open the "
    "course's notebook in Jupyter with a Python 3 kernel, put your code in it, and submit again."
)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("forms")
    student = root / "sam"
    student.mkdir()
    (student / "ex02_regression_binary.ipynb").write_bytes(
        (SOLUTIONS / "ex02_regression_binary.py").read_bytes()
    )
    (student / "ex03_forward_pass.py").write_text(
        "# %%\n"
        + (SOLUTIONS / "ex03_forward_pass.py").read_text(encoding="utf-8")
        + "\n# %%\nget_ipython().run_line_magic('matplotlib', 'inline')\n"
        "get_ipython().system('pip install torch')\n",
        encoding="utf-8",
    )
    (student / "ex04_backward_pass.py").write_bytes(
        (SOLUTIONS / "ex04_backward_pass.py").read_text(encoding="utf-8").encode("utf-16")
    )
    r_notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}},
        "cells": [{"cell_type": "code", "metadata": {}, "source": "x <- 1", "outputs": []}],
    }
    (student / "ex05_optimizer.ipynb").write_text(json.dumps(r_notebook), encoding="utf-8")
    out = root / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(OVERRIDES_VARIABLE, "")
        only = [arg for exercise in GRADED for arg in ("--exercise", exercise)]
        assert main(["grade", str(student), "--out", str(out), "-q", *only]) == 0
    return out


def test_every_file_form_of_a_correct_exercise_gets_full_marks(graded: Path) -> None:
    report = json.loads((graded / "sam" / "report.json").read_text(encoding="utf-8"))
    magic = len((SOLUTIONS / "ex03_forward_pass.py").read_text(encoding="utf-8").splitlines()) + 4

    for exercise in GRADED[:3]:
        result = report["exercises"][exercise]
        assert (result["status"], result["score"]) == ("graded", result["max_score"]), exercise
    assert report["exercises"]["ex05_optimizer"]["status"] == "not_gradable"
    assert report["exercises"]["ex05_optimizer"]["reason"] == R_REASON
    assert report["notes"] == [
        "ex02_regression_binary.ipynb: the file is a Python script, not a Jupyter notebook (it "
        "is not JSON); it was graded as a script. Save notebooks from Jupyter with File > Save.",
        f"ex03_forward_pass.py: line {magic}: `%matplotlib inline` has no effect when grading",
        f"ex03_forward_pass.py: line {magic + 1}: shell escape `!pip install torch` was not run",
        "ex04_backward_pass.py: the file is not saved as UTF-8; it was read as UTF-16. If any "
        "accented text looks wrong, save it as UTF-8 and submit again.",
    ]


def test_the_r_notebook_is_named_once_in_feedback_and_gradebook(graded: Path) -> None:
    feedback = (graded / "sam" / "feedback.md").read_text(encoding="utf-8")
    (row,) = csv.DictReader((graded / "gradebook.csv").open(encoding="utf-8"))

    assert feedback.count("This notebook runs R, not Python") == 1
    assert R_REASON in row["reason"]
