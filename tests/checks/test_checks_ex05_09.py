"""The course tests itself: the hidden checks of ex05–ex09 against known submissions.

The reference solutions score full marks, the generated stubs score zero, a
correct solution written differently scores full marks, and each mistake
fixture (`tests/files/mistakes/<mistake>/<exercise>.py`) loses exactly the
checks listed here, with the lesson-mistake code and the words that tell the
student what to fix. Everything runs through the real runner on the L0
in-process backend.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest
from course_files import COURSE

from grader.assignment import EXERCISES
from grader.authoring.stubs import make_stub
from grader.model import CheckResult, CheckStatus
from grader.runner import run_checks

ROOT = Path(__file__).resolve().parents[2]
MISTAKES = ROOT / "tests" / "files" / "mistakes"
MINE = ("ex05_optimizer", "ex06_data", "ex07_training", "ex08_activations", "ex09_capacity")
POINTS = {
    "ex05_optimizer": 8,
    "ex06_data": 10,
    "ex07_training": 14,
    "ex08_activations": 8,
    "ex09_capacity": 8,
}

# fixture -> {check id: (mistake code or None, words the message must contain)}
EXPECTED_LOSSES: dict[str, dict[str, tuple[str | None, tuple[str, ...]]]] = {
    "missing_zero_grad": {
        "ex05_optimizer.train_step.repeated_steps_do_not_accumulate_gradients": (
            "missing_zero_grad",
            ("zero_grad()", "earlier calls"),
        ),
        "ex07_training.train.parameters_and_losses_match_reference": (
            "missing_zero_grad",
            ("zero_grad()", "every batch"),
        ),
    },
    "unweighted_batch_mean": {
        "ex07_training.train.epoch_loss_weighted_by_batch_size": (
            "unweighted_batch_mean",
            ("short last batch", "batch size"),
        ),
        "ex07_training.evaluate.average_weighted_by_batch_size": (
            "unweighted_batch_mean",
            ("plain mean", "batch size"),
        ),
    },
    "no_eval_mode": {
        "ex07_training.evaluate.runs_in_eval_mode": ("no_eval_mode", ("model.eval()", "Dropout")),
    },
    "grad_tracked_in_eval": {
        "ex07_training.evaluate.runs_without_gradients": (
            "grad_tracked_in_eval",
            ("torch.no_grad()",),
        ),
    },
    "params_changed_in_eval": {
        "ex07_training.evaluate.leaves_parameters_unchanged": (
            "params_changed_in_eval",
            ("changed the model's parameters",),
        ),
        # the copied training loop also tracks gradients and moves the loss
        "ex07_training.evaluate.runs_without_gradients": ("grad_tracked_in_eval", ("no_grad",)),
        "ex07_training.evaluate.average_weighted_by_batch_size": (None, ("evaluate returned",)),
    },
    "loss_after_step": {
        "ex05_optimizer.train_step.returns_loss_before_step": (
            "loss_after_step",
            ("after the step", "before optimizer.step()"),
        ),
    },
    "lesson_constant": {
        "ex05_optimizer.flip_prediction.other_seeds": ("lesson_constant", ("seed 2", "seed=0")),
        "ex08_activations.relu_grad.both_sides_of_zero": ("lesson_constant", ("autograd",)),
        "ex08_activations.relu_grad.hidden_values": ("lesson_constant", ("1.5",)),
        "ex08_activations.leaky_relu_and_grad.positive_input": (
            "lesson_constant",
            ("lesson's values",),
        ),
        "ex08_activations.leaky_relu_and_grad.other_slopes": (
            "lesson_constant",
            ("negative_slope",),
        ),
        "ex09_capacity.calculate_capacity.small_models": (
            "lesson_constant",
            ("81", "8 parameters"),
        ),
        "ex09_capacity.calculate_capacity.other_models": ("lesson_constant", ("81",)),
        "ex09_capacity.build_four_layer_net.structure": (
            None,
            ("n_features=6", "n_classes=4"),
        ),
        "ex09_capacity.build_four_layer_net.any_sizes": (
            "lesson_constant",
            ("same layers",),
        ),
    },
    "shortcut_used": {
        "ex08_activations.elu_manual.by_hand": ("shortcut_used:F.elu", ("F.elu", "line 22")),
        "ex08_activations.sigmoid_grad.by_hand": (
            "shortcut_used:backward",
            ("backward", "line 27"),
        ),
    },
    "target_not_scaled": {
        "ex06_data.load_salary_data.scaled_target": (
            "target_not_scaled",
            ("MinMaxScaler", "dollars"),
        ),
    },
    "dtype_not_kept": {
        "ex06_data.make_dataset.keeps_dtypes": (None, ("torch.float64",)),
        "ex06_data.last_sample.keeps_float64": (None, ("torch.float64",)),
    },
    "loader_ignores_arguments": {
        "ex06_data.make_dataloader.batch_size_and_shuffle": (None, ("batch_size",)),
    },
}

# the functions the lesson_constant fixture hard-codes: they must earn nothing at all
HARD_CODED = {
    ("ex05_optimizer", "flip_prediction"),
    ("ex08_activations", "relu_grad"),
    ("ex08_activations", "leaky_relu_and_grad"),
    ("ex09_capacity", "calculate_capacity"),
    ("ex09_capacity", "build_four_layer_net"),
}


def grade(sources: dict[str, str]) -> dict[str, CheckResult]:
    """Results by check id, for the exercises of ex05–ex09 present in `sources`."""
    results = run_checks(sources, exercises=[ex for ex in MINE if ex in sources])
    return {result.id: result for result in results}


def read_folder(folder: Path, exercises: Iterable[str] = MINE) -> dict[str, str]:
    return {
        ex: (folder / f"{ex}.py").read_text() for ex in exercises if (folder / f"{ex}.py").is_file()
    }


@cache
def grade_fixture(name: str) -> dict[str, CheckResult]:
    """Each fixture is graded once, however many tests look at it."""
    sources = read_folder(MISTAKES / name)
    assert sources, f"no ex05–ex09 files in tests/files/mistakes/{name}"
    return grade(sources)


def stub_sources() -> dict[str, str]:
    """The committed stubs, or the ones `make_stub` generates when none are committed yet."""
    sources = {}
    for exercise in MINE:
        committed = ROOT / "exercises" / f"{exercise}.py"
        if committed.is_file():
            sources[exercise] = committed.read_text()
        else:
            solution = COURSE.solutions_dir / f"{exercise}.py"
            sources[exercise] = make_stub(solution.read_text(), origin=f"solutions/{exercise}.py")
    return sources


@pytest.fixture(scope="module")
def reference_results() -> dict[str, CheckResult]:
    return grade(read_folder(COURSE.solutions_dir))


def test_reference_solutions_score_full_marks(reference_results: dict[str, CheckResult]) -> None:
    failing = {i: r.message for i, r in reference_results.items() if r.status != CheckStatus.PASSED}
    assert failing == {}
    for exercise, points in POINTS.items():
        results = [r for r in reference_results.values() if r.exercise == exercise]
        assert sum(r.points for r in results) == sum(r.max_points for r in results) == points


def test_every_function_is_checked_and_about_a_third_is_public(
    reference_results: dict[str, CheckResult],
) -> None:
    checked = {(r.exercise, r.function) for r in reference_results.values()}
    assert checked == {(ex, fn) for ex in MINE for fn in EXERCISES[ex]}
    public = [r for r in reference_results.values() if r.visibility == "public"]
    assert 0.25 <= len(public) / len(reference_results) <= 0.45


def test_stubs_score_zero() -> None:
    results = grade(stub_sources())
    assert {r.exercise for r in results.values()} == set(MINE)
    assert sum(r.points for r in results.values()) == 0
    assert {r.status for r in results.values()} == {CheckStatus.ERROR}
    assert all("NotImplementedError" in r.message for r in results.values())


def test_a_correct_solution_written_differently_scores_full_marks() -> None:
    results = grade_fixture("correct_alternative")
    assert {r.exercise for r in results.values()} == set(MINE)
    assert {i: r.message for i, r in results.items() if r.status != CheckStatus.PASSED} == {}


@pytest.mark.parametrize("fixture", sorted(EXPECTED_LOSSES))
def test_mistake_fixture_loses_exactly_its_checks(fixture: str) -> None:
    results = grade_fixture(fixture)
    lost = {i: r for i, r in results.items() if r.status != CheckStatus.PASSED}
    assert set(lost) == set(EXPECTED_LOSSES[fixture])
    for check_id, (mistake, words) in EXPECTED_LOSSES[fixture].items():
        result = lost[check_id]
        assert result.status == CheckStatus.FAILED, result.message
        assert result.points == 0
        assert result.mistake == mistake, result.message
        for word in words:
            assert word in result.message


def test_hard_coded_lesson_numbers_earn_nothing() -> None:
    results = grade_fixture("lesson_constant")
    hard_coded = [r for r in results.values() if (r.exercise, r.function) in HARD_CODED]
    assert {(r.exercise, r.function) for r in hard_coded} == HARD_CODED
    assert sum(r.points for r in hard_coded) == 0


def test_the_suite_grades_a_submission_in_well_under_a_second(
    reference_results: dict[str, CheckResult],
) -> None:
    again = grade(read_folder(COURSE.solutions_dir))  # warm: imports and expected values are cached
    assert all(r.status == CheckStatus.PASSED for r in again.values())
    assert sum(r.duration for r in again.values()) < 1.0
