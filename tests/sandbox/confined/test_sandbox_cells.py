"""Cell-by-cell execution: a failing, endless or unknown-import unit costs only itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from notebook_files import write_notebook

from grader.grading import exercise_outcomes
from grader.intake import load_submission
from grader.model import ExerciseOutcome, SubmissionResult, SubmissionStatus
from grader.reports.gradebook import gradebook_csv
from grader.reports.gradescope import gradescope_results
from grader.reports.markdown import feedback_markdown
from grader.sandbox.trusted.client import Limits
from grader.sandbox.trusted.errors import FunctionNotFound
from grader.sandbox.trusted.inprocess import InProcessSubmission

REPO = Path(__file__).resolve().parents[3]
SOLUTION = (REPO / "solutions" / "ex08_activations.py").read_text()
LIMITS = Limits(import_timeout=4.0, cell_timeout=0.5)


def _run(
    path: Path, function: str, *args: object, limits: Limits = LIMITS
) -> tuple[object, tuple[ExerciseOutcome, ...]]:
    submission = load_submission(path)
    src = submission.exercises["ex08_activations"]
    with InProcessSubmission(
        {"ex08_activations": src.source},
        {"ex08_activations": src.origin},
        limits=limits,
        locate={"ex08_activations": src.describe},
        cells={"ex08_activations": src.cells},
    ) as student:
        try:
            value: object = student.exercise("ex08_activations").call(function, *args)
        except FunctionNotFound as missing:
            value = missing
        return value, exercise_outcomes(submission, student, limits)


def test_a_failing_import_an_endless_loop_and_an_error_cost_nothing(tmp_path: Path) -> None:
    folder = write_notebook(
        tmp_path / "nb",
        ["import seaborn as sns\n", SOLUTION, "while True:\n    pass\n", "x = undefined_name\n"],
    )
    value, outcomes = _run(folder, "relu_grad", 1.5)
    assert value == 1.0
    (outcome,) = outcomes
    notes = "\n".join(outcome.notes)
    # What can be imported is said beside the failed import, as information, not as a
    # fix of its own; the list is the one assignment.toml's `packages` extends.
    assert outcome.notes[0] == (
        "code cell 1 failed: ModuleNotFoundError: No module named 'seaborn' (line 1); the rest "
        "of it was skipped; it defines nothing that is graded, so it cost no points (the "
        "packages available when grading are: matplotlib, numpy, pandas, sklearn, torch, tqdm)"
    )
    assert "code cell 3 was stopped after 0.5 s (the time limit for one cell)" in notes
    assert "code cell 4 failed: NameError" in notes
    assert notes.count("the packages available when grading are: ") == 1
    assert len(outcome.notes) == 3


def test_a_function_missing_because_its_cell_failed_says_so(tmp_path: Path) -> None:
    defines = "def relu_grad(x):\n    return 1.0\n\ndef elu_manual(x):\n    return x\n"
    folder = write_notebook(tmp_path / "nb", ["import torch\nraise ValueError('demo')\n" + defines])
    value, outcomes = _run(folder, "relu_grad", 1.5)
    assert isinstance(value, FunctionNotFound)
    assert value.message == (
        "function `relu_grad` is not defined in ex08_activations.ipynb: code cell 1 failed: "
        "ValueError: demo (line 2)"
    )
    assert "so `relu_grad`, `elu_manual` could not be graded" in outcomes[0].notes[0]


def test_a_py_file_runs_statement_by_statement(tmp_path: Path) -> None:
    (tmp_path / "ex08_activations.py").write_text("import seaborn\n" + SOLUTION)
    value, outcomes = _run(tmp_path / "ex08_activations.py", "relu_grad", 1.5)
    assert value == 1.0
    assert outcomes[0].notes[0].startswith("line 1 failed: ModuleNotFoundError")


def test_top_level_await_runs_as_ipython_runs_it(tmp_path: Path) -> None:
    folder = write_notebook(
        tmp_path / "nb",
        ["import asyncio\nawait asyncio.sleep(0)\nREADY = True\n", SOLUTION],
    )
    value, outcomes = _run(folder, "relu_grad", -1.0)
    assert value == 0.0 and outcomes == ()


def _unread_result() -> SubmissionResult:
    return SubmissionResult(
        submission="alice",
        status=SubmissionStatus.GRADED,
        outcomes=(
            ExerciseOutcome(
                "ex08_activations",
                SubmissionStatus.NOT_GRADABLE,
                reason="ex08_activations.ipynb: Notebook could not be parsed: it is empty",
            ),
        ),
    )


def test_an_unreadable_exercise_is_said_once_in_every_report() -> None:
    result = _unread_result()
    assert SubmissionResult.from_dict(result.to_dict() | {"exercises": {
        "ex08_activations": {"score": 0, "max_score": 8, **result.outcomes[0].to_dict()}
    }}).outcomes == result.outcomes  # fmt: skip
    assert "ex08_activations not graded: ex08_activations.ipynb: Notebook could not be parsed" in (
        gradebook_csv([result])
    )
    summary = gradescope_results(result)["output"]
    assert "ex08_activations could not be graded:" in summary


@pytest.mark.parametrize("checks", [2])
def test_feedback_says_the_reason_once(checks: int) -> None:
    from grader.model import CheckResult, CheckStatus

    reason = "ex08_activations.ipynb: Notebook could not be parsed: it is empty"
    result = SubmissionResult(
        submission="alice",
        status=SubmissionStatus.GRADED,
        checks=tuple(
            CheckResult(
                f"ex08_activations.relu_grad.c{i}",
                "ex08_activations",
                "relu_grad",
                f"c{i}",
                0.0,
                1.0,
                CheckStatus.ERROR,
                message=reason,
            )
            for i in range(checks)
        ),
        outcomes=_unread_result().outcomes,
    )
    text = feedback_markdown(result)
    assert text.count("Notebook could not be parsed") == 1
    fix_first = text.split("## Fix these first", 1)[1].split("##", 1)[0]
    assert "**ex08_activations** was not graded (2 points, 2 checks)" in fix_first
    assert "Notebook could not be parsed" in fix_first


def test_failed_cells_are_in_fix_first_once() -> None:
    from grader.model import CheckResult, CheckStatus

    note = "code cell 1 failed: ModuleNotFoundError: No module named 'seaborn' (line 1)"
    result = SubmissionResult(
        submission="alice",
        status=SubmissionStatus.GRADED,
        checks=(
            CheckResult("ex08_activations.relu_grad.c0", "ex08_activations", "relu_grad", "c0",
                        1.0, 1.0, CheckStatus.PASSED),
        ),
        outcomes=(ExerciseOutcome("ex08_activations", notes=(note,)),),
    )
    text = feedback_markdown(result)
    assert text.count("No module named") == 1
    fix_first = text.split("## Fix these first", 1)[1].split("##", 1)[0]
    assert "**ex08_activations**, while your file was run: code cell 1 failed" in fix_first


def test_plots_and_progress_bars_run_and_cost_nothing(tmp_path: Path) -> None:
    plots = (
        "import io\nimport matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "plt.plot([1, 2], [3, 4])\nplt.savefig(io.BytesIO(), format='png')\nplt.show()\n"
    )
    bars = "from tqdm.auto import tqdm\nfor _ in tqdm(range(3), disable=True):\n    pass\n"
    folder = write_notebook(tmp_path / "nb", [SOLUTION, plots, bars])
    # A first matplotlib import may build its font cache: a generous cell budget here.
    value, outcomes = _run(folder, "relu_grad", 2.0, limits=Limits(cell_timeout=10.0))
    assert value == 1.0 and outcomes == ()


def test_a_cell_over_its_budget_inside_a_library_import_is_cut_only_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A library whose import outlasts the cell budget (torch._inductor, matplotlib's
    # first import on a loaded machine): cut half-way, it would stay half-initialised
    # in sys.modules and break every later call. Its import finishes; the loop after
    # it, in the same cell, is still cut.
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "slowlib_i13.py").write_text(
        "import time\nstart = time.monotonic()\nwhile time.monotonic() - start < 0.8:\n"
        "    pass\nREADY = True\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    monkeypatch.delitem(__import__("sys").modules, "slowlib_i13", raising=False)
    cell = "import slowlib_i13\nassert slowlib_i13.READY\nLOADED = True\nwhile True:\n    pass\n"
    folder = write_notebook(tmp_path / "nb", [cell, SOLUTION])
    value, outcomes = _run(folder, "relu_grad", 1.5)
    assert value == 1.0
    notes = "\n".join(outcomes[0].notes)
    assert "code cell 1 was stopped after 0.5 s (the time limit for one cell)" in notes
    assert __import__("sys").modules["slowlib_i13"].READY is True
