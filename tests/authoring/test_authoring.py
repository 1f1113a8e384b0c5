"""The exercises are generated from the solutions, and what is committed is what they generate."""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.authoring import MarkerError, check, generate, make_notebook, make_stub, write
from grader.authoring.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = sorted(path.stem for path in (ROOT / "solutions").glob("ex[0-9][0-9]_*.py"))

TINY = '''\
"""A tiny lesson.

It teaches one thing.
"""

from __future__ import annotations

import math
import os

SCALE = 2


def double(x: float) -> float:
    """Twice x."""
    ### BEGIN SOLUTION (TODO: multiply by SCALE (the constant above))
    return x * SCALE
    ### END SOLUTION


def root(x: float) -> float:
    """The square root."""
    if x < 0:
        raise ValueError("negative")
    ### BEGIN SOLUTION
    return math.sqrt(x)
    ### END SOLUTION


class Box:
    def size(self) -> int:
        ### BEGIN SOLUTION (TODO: return the size)
        return len(os.sep)
        ### END SOLUTION


if __name__ == "__main__":
    print("before any section")
    # %% Doubling
    print(double(2.0))
    # %% Roots
    value = root(9.0)
    print(value)
'''


def solution_source(exercise: str) -> str:
    return (ROOT / "solutions" / f"{exercise}.py").read_text(encoding="utf-8")


# --- make_stub ----------------------------------------------------------------------------


def test_stub_replaces_each_region_at_its_indent() -> None:
    stub = make_stub(TINY, origin="solutions/tiny.py")
    assert (
        "    # TODO: multiply by SCALE (the constant above)\n    raise NotImplementedError\n"
        in stub
    )
    assert "    # TODO: write this part\n    raise NotImplementedError\n" in stub
    assert "        # TODO: return the size\n        raise NotImplementedError\n" in stub
    assert "SOLUTION" not in stub
    assert "x * SCALE" not in stub and "math.sqrt" not in stub and "len(os.sep)" not in stub


def test_stub_keeps_everything_outside_the_regions() -> None:
    stub = make_stub(TINY, origin="solutions/tiny.py")
    kept = (
        '"""A tiny lesson.',
        "SCALE = 2",
        '"""Twice x."""',
        'raise ValueError("negative")',
        'if __name__ == "__main__":',
        "# %% Roots",
    )
    for text in kept:
        assert text in stub
    assert stub.startswith("# Generated from solutions/tiny.py by `python -m grader.authoring`.\n")
    ast.parse(stub)


def test_stub_marks_imports_only_the_solution_used() -> None:
    stub = make_stub(TINY)
    assert "import math  # noqa: F401\n" in stub
    assert "import os  # noqa: F401\n" in stub
    assert "from __future__ import annotations\n" in stub


def test_stub_leaves_used_imports_unmarked() -> None:
    source = TINY.replace("SCALE = 2", "SCALE = int(math.pi)")
    assert "import math\n" in make_stub(source)


@pytest.mark.parametrize(
    ("source", "line", "reason"),
    [
        ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", 2, "never closed"),
        ("def f():\n    return 1\n    ### END SOLUTION\n", 3, "without a BEGIN"),
        (
            "def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    ### END SOLUTION\n",
            3,
            "inside the region",
        ),
        ("def f():\n    ### BEGIN SOLUTION\n    return 1\n  ### END SOLUTION\n", 4, "indented"),
        ("def f():\n    ### BEGIN SOLUTION TODO: x\n    return 1\n", 2, "malformed"),
        ("def f():\n    return 1\n", 1, "no `### BEGIN SOLUTION`"),
    ],
)
def test_malformed_markers_are_reported_with_their_line(
    source: str, line: int, reason: str
) -> None:
    with pytest.raises(MarkerError, match=re.escape(reason)) as info:
        make_stub(source)
    assert info.value.line == line


# --- make_notebook ------------------------------------------------------------------------


def test_tiny_notebook_layout() -> None:
    notebook = make_notebook(TINY, "ex00_tiny")
    nbformat.validate(notebook)
    kinds = [(cell.cell_type, cell.metadata["tags"][0]) for cell in notebook.cells]
    assert kinds == [
        ("markdown", "lesson"),
        ("code", "setup"),
        ("code", "exercise"),
        ("code", "exercise"),
        ("code", "exercise"),
        ("markdown", "demo"),
        ("code", "demo"),
        ("code", "demo"),
        ("code", "demo"),
    ]
    lesson, setup = notebook.cells[0].source, notebook.cells[1].source
    assert lesson.startswith("# ex00_tiny — A tiny lesson\n\nIt teaches one thing.")
    assert setup == "import math\nimport os\n\nSCALE = 2"
    assert notebook.cells[2].source.startswith("def double(x: float) -> float:")
    assert notebook.cells[2].metadata["grader"] == {"function": "double"}
    assert notebook.cells[7].source == (
        '# Doubling\nif __name__ == "__main__":\n    print(double(2.0))'
    )
    assert [cell.id for cell in notebook.cells] == [f"ex00_tiny-{i:02d}" for i in range(9)]
    assert notebook.nbformat == 4 and notebook.nbformat_minor == 5


def test_notebooks_are_deterministic() -> None:
    source = solution_source("ex01_multiclass")
    first = nbformat.writes(make_notebook(source, "ex01_multiclass"))
    assert first == nbformat.writes(make_notebook(source, "ex01_multiclass"))


# --- the committed course -----------------------------------------------------------------


def test_there_are_nine_exercises() -> None:
    assert len(EXERCISES) == 9


def test_committed_exercises_equal_a_fresh_generation() -> None:
    assert check(ROOT) == [], "run `python -m grader.authoring` and commit the result"


def test_generate_names_every_stub_and_notebook() -> None:
    expected = {Path("exercises", f"{name}.py") for name in EXERCISES}
    expected |= {Path("exercises", "notebooks", f"{name}.ipynb") for name in EXERCISES}
    assert set(generate(ROOT)) == expected


@pytest.mark.parametrize("exercise", EXERCISES)
def test_stub_holds_one_raise_per_solution_region(exercise: str) -> None:
    regions = solution_source(exercise).count("### BEGIN SOLUTION")
    stub = (ROOT / "exercises" / f"{exercise}.py").read_text(encoding="utf-8")
    assert regions > 0
    assert stub.count("\n    raise NotImplementedError\n") == regions
    assert "SOLUTION" not in stub


@pytest.mark.parametrize("exercise", EXERCISES)
def test_committed_notebook_is_valid_nbformat_4_5(exercise: str) -> None:
    path = ROOT / "exercises" / "notebooks" / f"{exercise}.ipynb"
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    nbformat.validate(notebook)
    assert (notebook.nbformat, notebook.nbformat_minor) == (4, 5)
    ids = [cell.id for cell in notebook.cells]
    assert ids == [f"{exercise}-{i:02d}" for i in range(len(ids))]
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert "SOLUTION" not in path.read_text(encoding="utf-8")


def _notebook_code(exercise: str) -> tuple[nbformat.NotebookNode, str]:
    path = ROOT / "exercises" / "notebooks" / f"{exercise}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    code = "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    return notebook, code


@pytest.mark.parametrize("exercise", EXERCISES)
def test_notebook_code_is_a_module_defining_every_function(exercise: str) -> None:
    _, code = _notebook_code(exercise)
    tree = ast.parse(code)
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    solution_tree = ast.parse(solution_source(exercise))
    expected = {node.name for node in solution_tree.body if isinstance(node, ast.FunctionDef)}
    assert defined == expected
    namespace: dict[str, object] = {"__name__": f"submission_{exercise}"}
    exec(compile(code, f"{exercise}.ipynb", "exec"), namespace)  # imported: demos do not run
    for name in expected:
        assert callable(namespace[name])


@pytest.mark.parametrize("exercise", EXERCISES)
def test_notebook_demos_run_once_the_functions_are_written(exercise: str) -> None:
    """Swap each stub cell for the solution's function, then run every cell as Jupyter would."""
    notebook, _ = _notebook_code(exercise)
    source = solution_source(exercise)
    tree = ast.parse(source)
    bodies = {
        node.name: ast.get_source_segment(source, node)
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }
    namespace: dict[str, object] = {"__name__": "__main__"}
    output = io.StringIO()
    cwd = Path.cwd()
    try:
        os.chdir(ROOT)
        with contextlib.redirect_stdout(output):
            for cell in notebook.cells:
                if cell.cell_type != "code":
                    continue
                name = cell.metadata.get("grader", {}).get("function")
                code = bodies[name] if name else cell.source
                exec(compile(code, f"{exercise}-{cell.id}", "exec"), namespace)
    finally:
        os.chdir(cwd)
    assert output.getvalue().strip()


@pytest.mark.parametrize("exercise", EXERCISES)
def test_notebook_demo_cells_run_in_jupyter_and_fail_on_the_stubs(exercise: str) -> None:
    _, code = _notebook_code(exercise)
    namespace: dict[str, object] = {"__name__": "__main__"}
    with pytest.raises(NotImplementedError), contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, f"{exercise}.ipynb", "exec"), namespace)


def test_stubs_pass_ruff() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).is_file():
        pytest.skip("ruff is not installed")
    result = subprocess.run(
        [ruff, "check", "--no-cache", "exercises"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- the command line, on a copy of the course --------------------------------------------


@pytest.fixture
def course(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises")
    shutil.copy(ROOT / "assignment.toml", tmp_path / "assignment.toml")
    return tmp_path


def test_check_passes_on_a_fresh_copy(course: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check", "--root", str(course)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_check_lists_edited_missing_and_stale_files(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stub = course / "exercises" / "ex01_multiclass.py"
    stub.write_text(stub.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    (course / "exercises" / "notebooks" / "ex02_regression_binary.ipynb").unlink()
    stale = course / "exercises" / "ex99_gone.py"
    stale.write_text("# Generated from solutions/ex99_gone.py\n", encoding="utf-8")
    assert main(["--check", "--root", str(course)]) == 1
    out = capsys.readouterr().out
    listed = (
        "exercises/ex01_multiclass.py",
        "exercises/notebooks/ex02_regression_binary.ipynb",
        "exercises/ex99_gone.py",
    )
    for path in listed:
        assert f"  {path}\n" in out
    assert "hint:" in out
    assert main(["--root", str(course)]) == 0
    assert not stale.exists()
    assert check(course) == []
    assert write(course) == []


def test_a_marker_error_names_the_solution_file(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = course / "solutions" / "ex09_capacity.py"
    text = path.read_text(encoding="utf-8")
    head, _, tail = text.rpartition("    ### END SOLUTION\n")
    path.write_text(head + tail, encoding="utf-8")
    assert main(["--root", str(course)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: solutions/ex09_capacity.py:")
    assert "never closed" in err
