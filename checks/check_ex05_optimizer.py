"""Hidden checks for ex05_optimizer: one optimization step, and the lesson's flip demo.

`train_step` runs in the worker through the `train_step` probe on models and
data the student never saw; the parent replays the same step with the
reference solution (and with the lesson's typical mistakes, to name them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

from grader.checklib import expect_trained_state, same_trained_state
from grader.checklib.cache import memo
from grader.checklib.inputs import generator, seed_for, seeded, worker_seed
from grader.compare import CheckFailed, expect_scalar, expect_tensor
from grader.sandbox.confined.probe_runtime import (
    build_criterion,
    build_model,
    build_optimizer,
    state_of,
)

EXERCISE = "ex05_optimizer"

State = dict[str, torch.Tensor]
Step = Callable[..., Any]

# name -> (layers, criterion, optimizer, batch); sizes the lesson never uses
_CASES: dict[str, tuple[list[list[Any]], str, dict[str, Any], int]] = {
    "regression": (
        [["linear", 3, 5], ["relu"], ["linear", 5, 2]],
        "mse",
        {"kind": "sgd", "lr": 0.1, "momentum": 0.0},
        6,
    ),
    "binary": (
        [["linear", 4, 3], ["tanh"], ["linear", 3, 1], ["sigmoid"]],
        "bce",
        {"kind": "sgd", "lr": 0.5, "momentum": 0.9},
        7,
    ),
    "multiclass": (
        [["linear", 5, 4], ["relu"], ["linear", 4, 3]],
        "cross_entropy",
        {"kind": "sgd", "lr": 0.3, "momentum": 0.0},
        8,
    ),
}
_LESSON_FLIP = (torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 0.0]]))
_FLIP_SEEDS = (0, 1, 6, 13)  # first predictions differ from the lesson's seed 2


@memo
def _case(name: str) -> dict[str, Any]:
    """The probe's arguments for one case, from seeds the student never saw."""
    layers, criterion, optimizer, batch = _CASES[name]
    gen = generator(f"ex05.train_step.{name}.data")
    with seeded(seed_for(f"ex05.train_step.{name}.model")):
        state = state_of(build_model({"layers": layers}))
    n_in, n_out = layers[0][1], [e for e in layers if e[0] == "linear"][-1][2]
    x = torch.randn(batch, n_in, generator=gen)
    if criterion == "cross_entropy":
        target = torch.randint(0, n_out, (batch,), generator=gen)
    elif criterion == "bce":
        target = torch.randint(0, 2, (batch, n_out), generator=gen).float()
    else:
        target = torch.randn(batch, n_out, generator=gen)
    return {
        "model": {"layers": layers, "state": state},
        "optimizer": optimizer,
        "criterion": criterion,
        "x": x,
        "target": target,
    }


def _replay(step: Step, case: dict[str, Any], steps: int) -> list[tuple[float, State, float]]:
    """Run `step` `steps` times as the probe does: (returned loss, state after, loss after)."""
    model = build_model(case["model"])
    optimizer = build_optimizer(case["optimizer"], model.parameters())
    criterion = build_criterion(case["criterion"])
    out = []
    for _ in range(steps):
        loss = step(model, optimizer, criterion, case["x"], case["target"])
        with torch.no_grad():
            after = float(criterion(model(case["x"]), case["target"]))
        out.append((float(loss), state_of(model), after))
    return out


def _step_without_zero_grad(model: Any, optimizer: Any, criterion: Any, x: Any, y: Any) -> float:
    """The lesson's mistake: gradients of earlier calls are still in `.grad`."""
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


@memo
def _expected(reference: Any, name: str, steps: int) -> list[tuple[float, State, float]]:
    return _replay(reference.train_step, _case(name), steps)


@memo
def _without_zero_grad(name: str, steps: int) -> list[tuple[float, State, float]]:
    return _replay(_step_without_zero_grad, _case(name), steps)


def _probe(student: Any, name: str, steps: int) -> dict[str, Any]:
    return _probe_case(student, _case(name), steps)


def _public_case() -> dict[str, Any]:
    """A small fixed regression case for the public check: no secret seed, no reference."""
    layers: list[list[Any]] = [["linear", 3, 4], ["relu"], ["linear", 4, 2]]
    with seeded(0):
        state = state_of(build_model({"layers": layers}))
    return {
        "model": {"layers": layers, "state": state},
        "optimizer": {"kind": "sgd", "lr": 0.1, "momentum": 0.0},
        "criterion": "mse",
        "x": torch.linspace(-1.0, 1.0, 18).reshape(6, 3),
        "target": torch.linspace(0.5, -0.5, 12).reshape(6, 2),
    }


def _loss(case: dict[str, Any], state: State) -> float:
    """The case's loss for the model with parameters `state` (nan if they do not fit it)."""
    try:
        model = build_model({"layers": case["model"]["layers"], "state": state})
    except (RuntimeError, TypeError, ValueError):  # the student's step broke the parameters
        return float("nan")
    with torch.no_grad():
        return float(build_criterion(case["criterion"])(model(case["x"]), case["target"]))


def _probe_case(student: Any, case: dict[str, Any], steps: int) -> dict[str, Any]:
    return student.exercise(EXERCISE).probe(
        "train_step",
        case["model"],
        case["optimizer"],
        case["criterion"],
        case["x"],
        case["target"],
        steps=steps,
    )


class TestTrainStep:
    """Checks of `train_step`."""

    @pytest.mark.grade(exercise=EXERCISE, function="train_step", points=1, public=True)
    def test_returns_loss_before_step(self, student: Any) -> None:
        case = _public_case()
        report = _probe_case(student, case, steps=1)
        entry = report["losses"][0]
        value = entry["value"]
        if isinstance(value, str):  # a value the probe could not carry: name its type
            raise CheckFailed(f"train_step must return a Python float, got {entry['type']}")
        # public: the losses come from the model's own parameters before and after its step
        loss, loss_after = _loss(case, case["model"]["state"]), _loss(case, report["states"][0])
        if isinstance(value, float) and abs(value - loss_after) < 1e-6 < abs(loss - loss_after):
            raise CheckFailed(
                f"train_step returned {value:.4f}, the loss after the step; return the loss "
                f"computed before optimizer.step() ({loss:.4f})",
                mistake="loss_after_step",
            )
        expect_scalar(value, loss, what="train_step", rtol=1e-4, atol=1e-6)

    @pytest.mark.grade(exercise=EXERCISE, function="train_step", points=2)
    def test_one_step_updates_like_reference(self, student: Any, ref: Any) -> None:
        for name in ("binary", "multiclass"):
            report = _probe(student, name, steps=1)
            _, state, _ = _expected(ref(EXERCISE), name, 1)[0]
            got = report["states"][0]
            if same_trained_state(got, _case(name)["model"]["state"]):
                raise CheckFailed(
                    f"train_step left the parameters unchanged ({name} model, "
                    f"{_case(name)['criterion']} loss): call optimizer.step() after backward()",
                    mistake="no_optimizer_step",
                )
            expect_trained_state(got, state, when=f"one train_step ({name} model)")

    @pytest.mark.grade(exercise=EXERCISE, function="train_step", points=2)
    def test_repeated_steps_do_not_accumulate_gradients(self, student: Any, ref: Any) -> None:
        steps = 3
        report = _probe(student, "regression", steps=steps)
        expected = _expected(ref(EXERCISE), "regression", steps)
        stale = _without_zero_grad("regression", steps)
        for i in range(steps):
            got = report["states"][i]
            moved_as_if_stale = same_trained_state(got, stale[i][1])
            if i > 0 and not same_trained_state(got, expected[i][1]) and moved_as_if_stale:
                raise CheckFailed(
                    f"after {i + 1} calls of train_step on one model the parameters moved as if "
                    "the gradients of the earlier calls were still there: call "
                    "optimizer.zero_grad() before loss.backward()",
                    mistake="missing_zero_grad",
                )
            expect_trained_state(got, expected[i][1], when=f"train_step call {i + 1} of {steps}")


class TestFlipPrediction:
    """Checks of `flip_prediction`."""

    @pytest.mark.grade(exercise=EXERCISE, function="flip_prediction", points=3)
    def test_other_seeds(self, student: Any, ref: Any) -> None:
        handle = student.exercise(EXERCISE)
        for seed in _FLIP_SEEDS:
            expected = _reference_flip(ref(EXERCISE), seed)
            got = handle.call("flip_prediction", seed)  # positional: `seed=` seeds the worker
            if not isinstance(got, tuple | list) or len(got) != 2:
                raise CheckFailed(
                    "flip_prediction must return a tuple (first, final) of two tensors"
                )
            if _is_lesson_flip(got) and not _is_lesson_flip(expected):
                raise CheckFailed(
                    f"flip_prediction(seed={seed}) returned the lesson's predictions for seed 2; "
                    "use the seed argument (torch.manual_seed(seed)) to build the input and model",
                    mistake="lesson_constant",
                )
            for part, got_part, exp_part in zip(("first", "final"), got, expected, strict=True):
                expect_tensor(
                    got_part,
                    exp_part,
                    what=f"the {part} prediction of flip_prediction(seed={seed})",
                )
        # the default is part of the signature: called without arguments, seed 2
        got = handle.call("flip_prediction", seed=worker_seed("ex05.flip.worker"))
        expected = _reference_default_flip(ref(EXERCISE))
        if not isinstance(got, tuple | list) or len(got) != 2:
            raise CheckFailed("flip_prediction() must return a tuple (first, final) of two tensors")
        for part, got_part, exp_part in zip(("first", "final"), got, expected, strict=True):
            expect_tensor(
                got_part,
                exp_part,
                what=f"the {part} prediction of flip_prediction() (the default seed is 2)",
            )


@memo
def _reference_flip(reference: Any, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    with seeded(seed):
        first, final = reference.flip_prediction(seed)
    return first.detach().clone(), final.detach().clone()


@memo
def _reference_default_flip(reference: Any) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.random.fork_rng(devices=[]):
        first, final = reference.flip_prediction()
    return first.detach().clone(), final.detach().clone()


def _is_lesson_flip(pair: Any) -> bool:
    return all(
        isinstance(t, torch.Tensor) and t.shape == e.shape and bool(torch.equal(t.float(), e))
        for t, e in zip(pair, _LESSON_FLIP, strict=True)
    )
