"""A second assignment, examples/assignments/tensor_basics, graded by the same engine.

Its solutions score full marks and its stubs zero; a class of three (a
correct module, the generated notebook with the solutions filled in, a
wrong submission) is graded end to end through the CLI; ``release`` ships
only its public checks and ``gradescope`` packs its checks and solutions.
"""

from __future__ import annotations

import ast
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from course_files import active

from grader import grading
from grader.assignment import current
from grader.cli import main

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "examples" / "assignments" / "tensor_basics"
EXERCISES = ("tb01_shapes", "tb02_reduce")
MAX_SCORE = 14.0  # 3 + 4 + 4 + 3, as assignment.toml declares

WRONG_TB01 = """\
import torch


def flatten_rows(x):
    return x.view(x.shape[0], -1)  # fails on a non-contiguous input


def pairwise_sq_dist(a, b):
    return torch.cdist(a.double(), b.double()).pow(2).to(a.dtype)  # right values, not by hand
"""

WRONG_TB02 = """\
import torch


def masked_mean(x, mask):
    x = x.masked_fill_(~mask, 0.0)  # changes the caller's x
    return x.sum(dim=1) / mask.sum(dim=1)  # an empty row gives nan


def standardize(x, eps=1e-5):
    return (x - x.mean(dim=0)) / (x.std(dim=0) + eps)  # the sample std, not the population one
"""


@pytest.fixture
def tensor_basics() -> Iterator[Path]:
    """Make tensor_basics the active assignment; restore the bundled course afterwards."""
    with active(ASSIGNMENT) as path:
        yield path


def _solution_functions(exercise: str) -> dict[str, str]:
    source = (ASSIGNMENT / "solutions" / f"{exercise}.py").read_text(encoding="utf-8")
    return {
        node.name: ast.get_source_segment(source, node) or ""
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef)
    }


def _solved_notebook(exercise: str, out: Path) -> None:
    """The generated notebook, each stubbed function cell replaced by the solution's code."""
    path = ASSIGNMENT / "exercises" / "notebooks" / f"{exercise}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    functions = _solution_functions(exercise)
    filled = 0
    for cell in notebook.cells:
        if cell.cell_type != "code" or "NotImplementedError" not in cell.source:
            continue
        (node,) = [n for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]
        cell.source = functions[node.name]
        filled += 1
    assert filled == len(functions)
    nbformat.write(notebook, out)


def test_verify_solutions_full_marks_stubs_zero(tensor_basics: Path) -> None:
    solutions, stubs = grading.verify()
    assert solutions.score == solutions.max_score == MAX_SCORE
    assert stubs.score == 0
    assert grading.verify_problems(solutions, stubs) == []
    assert {c.exercise for c in solutions.checks} == set(EXERCISES)


def test_class_graded_end_to_end(tensor_basics: Path, tmp_path: Path) -> None:
    klass, out = tmp_path / "class", tmp_path / "out"
    (klass / "ana").mkdir(parents=True)
    (klass / "ben").mkdir()
    (klass / "cleo").mkdir()
    for exercise in EXERCISES:
        solution = (ASSIGNMENT / "solutions" / f"{exercise}.py").read_text(encoding="utf-8")
        (klass / "ana" / f"{exercise}.py").write_text(solution, encoding="utf-8")
        _solved_notebook(exercise, klass / "ben" / f"{exercise}.ipynb")
    (klass / "cleo" / "tb01_shapes.py").write_text(WRONG_TB01, encoding="utf-8")
    (klass / "cleo" / "tb02_reduce.py").write_text(WRONG_TB02, encoding="utf-8")

    argv = ["grade", "--assignment", str(ASSIGNMENT), "--class", str(klass), "--out", str(out)]
    assert main([*argv, "--jobs", "1", "-q"]) == 0

    def report(name: str) -> dict:
        return json.loads((out / name / "report.json").read_text(encoding="utf-8"))

    for name in ("ana", "ben"):
        data = report(name)
        assert data["status"] == "graded", name
        assert data["score"] == data["max_score"] == MAX_SCORE, name

    cleo = report("cleo")
    assert cleo["status"] == "graded"
    assert cleo["max_score"] == MAX_SCORE
    lost = {}
    for check in cleo["checks"]:
        if check["status"] != "passed":
            lost[check["function"]] = lost.get(check["function"], 0) + check["max_points"]
    # flatten_rows: the non-contiguous check (0.5); pairwise_sq_dist: the by-hand check (1.5);
    # masked_mean: the empty row and the unchanged input (1 + 1); standardize: all three (3).
    assert lost == {
        "flatten_rows": 0.5,
        "pairwise_sq_dist": 1.5,
        "masked_mean": 2,
        "standardize": 3,
    }
    assert cleo["score"] == MAX_SCORE - 7
    assert cleo["exercises"]["tb01_shapes"]["score"] == 5
    assert cleo["exercises"]["tb02_reduce"]["score"] == 2
    mistakes = {c["mistake"] for c in cleo["checks"] if c["mistake"]}
    assert mistakes == {"shortcut_used:torch.cdist", "input_mutated", "empty_row_nan"}
    by_id = {c["id"]: c for c in cleo["checks"]}
    assert "Broadcast a[:, None, :]" in by_id["tb01_shapes.pairwise_sq_dist.by_hand"]["message"]
    assert "view size" in by_id["tb01_shapes.flatten_rows.non_contiguous"]["message"]


def test_release_ships_only_public_checks(tensor_basics: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    assert main(["release", "--assignment", str(ASSIGNMENT), str(out)]) == 0
    shipped = out / "grader" / "_assignment"
    checks = sorted(p.name for p in (shipped / "checks").iterdir())
    assert checks == ["check_tb01_shapes.py", "check_tb02_reduce.py"]
    for path in (shipped / "checks").iterdir():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        tests = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        ]
        assert tests, path.name
        for node in tests:
            assert "public=True" in ast.unparse(node.decorator_list[0]), (path.name, node.name)
    assert not (shipped / "checks" / "seed.txt").exists()
    assert not (shipped / "solutions").exists()
    assert not list(out.rglob("solutions/tb0*.py"))


def test_gradescope_zip_holds_checks_and_solutions(tensor_basics: Path, tmp_path: Path) -> None:
    path = tmp_path / "autograder.zip"
    assert main(["gradescope", "--assignment", str(ASSIGNMENT), str(path)]) == 0
    names = set(zipfile.ZipFile(path).namelist())
    assert "assignment/checks/check_tb01_shapes.py" in names
    assert "assignment/checks/check_tb02_reduce.py" in names
    assert any(name.startswith("assignment/solutions/") for name in names)
    assert "assignment/solutions/tb01_shapes.py" in names


def test_the_bundled_course_is_active_again() -> None:
    """What the fixture restores is what the other test modules rely on."""
    before = current().root
    env = os.environ.get("GRADER_ASSIGNMENT")
    with active(ASSIGNMENT):
        assert current().root == ASSIGNMENT.resolve()
    assert current().root == before != ASSIGNMENT.resolve()
    assert os.environ.get("GRADER_ASSIGNMENT") == env
