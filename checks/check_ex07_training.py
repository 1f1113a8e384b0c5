"""Hidden checks for ex07_training: the salary model, the training loop and evaluation.

Data sets are a dozen samples with batch sizes that leave a short last batch,
so a mean of batch means (instead of a mean over samples) shows. The parent
replays every run with the reference solution, and with the lesson's typical
mistakes (no `zero_grad`, unweighted batch means) to name them when they match.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from grader.assignment import reference
from grader.checklib import expect_trained_state, same_trained_state
from grader.checklib.cache import memo
from grader.checklib.inputs import generator, seed_for, seeded, worker_seed
from grader.compare import CheckFailed, expect_equal, expect_scalar, expect_tensor
from grader.sandbox.confined.probe_runtime import (
    build_criterion,
    build_model,
    build_optimizer,
    describe_model,
    make_loader,
    state_of,
)

EXERCISE = "ex07_training"

State = dict[str, torch.Tensor]

_SALARY_LAYERS = [["linear", 4, 2], ["linear", 2, 1]]
_DROPOUT_LAYERS = [["linear", 4, 6], ["relu"], ["dropout", 0.5], ["linear", 6, 1]]

# name -> (layers, samples, batch size, optimizer, epochs)
_RUNS: dict[str, tuple[list[list[Any]], int, int, dict[str, Any], int]] = {
    # lr 0: the parameters never move, so each epoch's loss is a plain average
    "frozen": (_SALARY_LAYERS, 10, 4, {"kind": "sgd", "lr": 0.0}, 2),
    "training": (_SALARY_LAYERS, 12, 4, {"kind": "sgd", "lr": 0.05, "momentum": 0.0}, 3),
    "uneven": (_SALARY_LAYERS, 10, 4, {"kind": "sgd", "lr": 0.0}, 1),
    "dropout": (_DROPOUT_LAYERS, 8, 4, {"kind": "sgd", "lr": 0.0}, 1),
}


@memo
def _run(name: str) -> dict[str, Any]:
    """The model spec and data of one run, from seeds the student never saw."""
    layers, n, batch, optimizer, epochs = _RUNS[name]
    gen = generator(f"ex07.{name}.data")
    with seeded(seed_for(f"ex07.{name}.model")):
        state = state_of(build_model({"layers": layers}))
    return {
        "model": {"layers": layers, "state": state},
        "optimizer": optimizer,
        "features": torch.rand(n, 4, generator=gen),
        "target": torch.rand(n, 1, generator=gen),
        "batch_size": batch,
        "num_epochs": epochs,
    }


def _replay_train(train: Callable[..., Any], name: str) -> tuple[list[float], State]:
    run = _run(name)
    model = build_model(run["model"])
    optimizer = build_optimizer(run["optimizer"], model.parameters())
    loader = make_loader(run["features"], run["target"], run["batch_size"])
    losses = train(model, loader, build_criterion("mse"), optimizer, run["num_epochs"])
    return [float(v) for v in losses], state_of(model)


def _train_variant(*, zero_grad: bool, weighted: bool) -> Callable[..., list[float]]:
    """The lesson's loop with one of its typical mistakes switched on."""

    def train(model: Any, loader: Any, criterion: Any, optimizer: Any, epochs: int) -> list[float]:
        losses = []
        for _ in range(epochs):
            batch_losses, sizes = [], []
            for x, y in loader:
                if zero_grad:
                    optimizer.zero_grad()
                loss = criterion(model(x), y)
                loss.backward()
                optimizer.step()
                batch_losses.append(loss.item())
                sizes.append(len(x))
            losses.append(_mean(batch_losses, sizes if weighted else None))
        return losses

    return train


def _mean(values: list[float], sizes: list[int] | None) -> float:
    if sizes is None:
        return sum(values) / len(values)
    return sum(v * n for v, n in zip(values, sizes, strict=True)) / sum(sizes)


@memo
def _expected_train(name: str) -> tuple[list[float], State]:
    return _replay_train(reference(EXERCISE).train, name)


@memo
def _variant_train(name: str, zero_grad: bool, weighted: bool) -> tuple[list[float], State]:
    return _replay_train(_train_variant(zero_grad=zero_grad, weighted=weighted), name)


def _probe_train(student: Any, name: str) -> dict[str, Any]:
    run = _run(name)
    report = student.exercise(EXERCISE).probe(
        "train",
        run["model"],
        run["optimizer"],
        "mse",
        run["features"],
        run["target"],
        run["batch_size"],
        run["num_epochs"],
    )
    epochs = run["num_epochs"]
    losses = report["losses"]
    if not isinstance(losses, list | tuple):
        raise CheckFailed(f"train must return a list of epoch losses, got {report['type']}")
    if len(losses) != epochs:
        raise CheckFailed(
            f"train(..., num_epochs={epochs}) returned {len(losses)} losses; "
            "it must return one mean loss per epoch"
        )
    for i, (value, kind) in enumerate(zip(losses, report["item_types"], strict=True)):
        if not isinstance(value, float):
            raise CheckFailed(
                f"each epoch loss returned by train must be a Python float; item {i} is {kind}"
                + (" (use loss.item())" if kind == "torch.Tensor" else "")
            )
    return report


def _close(got: list[float], expected: list[float]) -> bool:
    return all(abs(g - e) <= 1e-6 + 1e-4 * abs(e) for g, e in zip(got, expected, strict=True))


# ---------------------------------------------------------------- build_salary_model


class TestBuildSalaryModel:
    """Checks of `build_salary_model`."""

    @pytest.mark.grade(exercise=EXERCISE, function="build_salary_model", points=1, public=True)
    def test_layers(self, student: Any) -> None:
        got = student.exercise(EXERCISE).probe("describe_model", "build_salary_model")
        if not got["is_module"]:
            raise CheckFailed(f"build_salary_model must return an nn.Sequential, got {got['type']}")
        expected = [["linear", 4, 2, True], ["linear", 2, 1, True]]  # public: no reference here
        expect_equal(got["layers"], expected, what="the layers of build_salary_model()")

    @pytest.mark.grade(exercise=EXERCISE, function="build_salary_model", points=1)
    def test_seed_reproduces_reference(self, student: Any) -> None:
        # seed 0 is a seed too; the worker's own generator is seeded otherwise, so a
        # build that tests `if seed:` and skips seeding shows
        worker = worker_seed("ex07.build.worker")
        for seed in (seed_for("ex07.build.a") % 10_000, seed_for("ex07.build.b") % 10_000, 0):
            # the seed goes positionally: `seed=` seeds the worker, not the function
            got = student.exercise(EXERCISE).probe(
                "describe_model", "build_salary_model", seed, seed=worker
            )
            expected = _reference_model(seed)
            if not got["is_module"] or got["layers"] != expected["layers"]:
                raise CheckFailed("build_salary_model must build Linear(4, 2) then Linear(2, 1)")
            try:
                expect_trained_state(
                    got["state"], expected["state"], when=f"of build_salary_model({seed})"
                )
            except CheckFailed as failed:
                if seed:
                    raise
                raise CheckFailed(
                    f"{failed.message}: seed=0 is a seed too, so test `seed is not None`, "
                    "not `if seed:`"
                ) from None


@memo
def _reference_model(seed: int | None) -> dict[str, Any]:
    with seeded(0 if seed is None else seed):
        return describe_model(reference(EXERCISE).build_salary_model(seed))


# ---------------------------------------------------------------- train


class TestTrain:
    """Checks of `train`."""

    @pytest.mark.grade(exercise=EXERCISE, function="train", points=1, public=True)
    def test_returns_epoch_losses(self, student: Any) -> None:
        report = _probe_train(student, "training")
        for epoch, value in enumerate(report["losses"], start=1):
            if not (math.isfinite(value) and value >= 0):
                raise CheckFailed(f"train's loss for epoch {epoch} is {value}, not a mean MSE loss")

    @pytest.mark.grade(exercise=EXERCISE, function="train", points=2)
    def test_epoch_loss_weighted_by_batch_size(self, student: Any) -> None:
        report = _probe_train(student, "frozen")
        expected, _ = _expected_train("frozen")
        unweighted, _ = _variant_train("frozen", True, False)
        if not _close(report["losses"], expected) and _close(report["losses"], unweighted):
            raise CheckFailed(
                "train's epoch loss is the plain mean of the batch losses, so the short last batch "
                "(2 of 10 samples, batches of 4) counts as much as a full one: weight each batch "
                "loss by its batch size and divide by the number of samples",
                mistake="unweighted_batch_mean",
            )
        for epoch, (got, exp) in enumerate(zip(report["losses"], expected, strict=True), start=1):
            expect_scalar(got, exp, what=f"train's loss for epoch {epoch}", rtol=1e-4, atol=1e-6)

    @pytest.mark.grade(exercise=EXERCISE, function="train", points=3)
    def test_parameters_and_losses_match_reference(self, student: Any) -> None:
        report = _probe_train(student, "training")
        expected_losses, expected_state = _expected_train("training")
        _, stale_state = _variant_train("training", False, True)
        got = report["state"]
        if not same_trained_state(got, expected_state) and same_trained_state(got, stale_state):
            raise CheckFailed(
                "after train the parameters are those of a loop that never clears the gradients: "
                "each batch's gradients were added to the earlier ones. Call optimizer.zero_grad() "
                "before loss.backward() in every batch",
                mistake="missing_zero_grad",
            )
        expect_trained_state(got, expected_state, when="after 3 epochs of train")
        for epoch, (value, exp) in enumerate(
            zip(report["losses"], expected_losses, strict=True), 1
        ):
            expect_scalar(value, exp, what=f"train's loss for epoch {epoch}", rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------- evaluate


def _probe_evaluate(student: Any, name: str) -> dict[str, Any]:
    run = _run(name)
    report = student.exercise(EXERCISE).probe(
        "evaluate", run["model"], "mse", run["features"], run["target"], run["batch_size"]
    )
    if report["forward_calls"] == 0:
        raise CheckFailed("evaluate never ran the model on the batches of the data loader")
    return report


@memo
def _expected_evaluate(name: str) -> tuple[float, float]:
    """The reference's value, and the unweighted mean of batch losses (in eval mode)."""
    run = _run(name)
    model = build_model(run["model"])
    loader = make_loader(run["features"], run["target"], run["batch_size"])
    criterion = build_criterion("mse")
    value = float(reference(EXERCISE).evaluate(model, loader, criterion))
    model.eval()
    with torch.no_grad():
        batch_losses = [float(criterion(model(x), y)) for x, y in loader]
    return value, _mean(batch_losses, None)


class TestEvaluate:
    """Checks of `evaluate`."""

    @pytest.mark.grade(exercise=EXERCISE, function="evaluate", points=2)
    def test_average_weighted_by_batch_size(self, student: Any) -> None:
        report = _probe_evaluate(student, "uneven")
        expected, unweighted = _expected_evaluate("uneven")
        value = report["value"]
        if isinstance(value, float) and abs(value - unweighted) < 1e-6 < abs(expected - unweighted):
            raise CheckFailed(
                f"evaluate returned {value:.6f}, the plain mean of the batch losses; the short "
                "last batch (2 of 10 samples, batches of 4) must count less: weight each batch "
                f"loss by its batch size and divide by the number of samples ({expected:.6f})",
                mistake="unweighted_batch_mean",
            )
        if not isinstance(value, float):
            raise CheckFailed(
                f"evaluate must return a Python float, got {report['type']}"
                + (" (use loss.item())" if report["type"] == "torch.Tensor" else "")
            )
        expect_scalar(value, expected, what="evaluate", rtol=1e-4, atol=1e-6)

    @pytest.mark.grade(exercise=EXERCISE, function="evaluate", points=1)
    def test_runs_in_eval_mode(self, student: Any) -> None:
        report = _probe_evaluate(student, "dropout")
        if report["train_mode_calls"]:
            raise CheckFailed(
                "evaluate ran the model in training mode, so Dropout still dropped values: "
                "call model.eval() before the loop",
                mistake="no_eval_mode",
            )
        if not report["training_after"]:
            raise CheckFailed(
                "evaluate left the model in eval mode; it was handed over in training mode: "
                "note model.training first and put it back after (model.train(was_training)), "
                "so a training loop that evaluates between epochs keeps training with dropout"
            )

    @pytest.mark.grade(exercise=EXERCISE, function="evaluate", points=1)
    def test_runs_without_gradients(self, student: Any) -> None:
        report = _probe_evaluate(student, "uneven")
        if report["grad_enabled_calls"]:
            raise CheckFailed(
                "evaluate ran the model with gradient tracking on: wrap the loop in "
                "`with torch.no_grad():` (evaluation needs no gradients)",
                mistake="grad_tracked_in_eval",
            )

    @pytest.mark.grade(exercise=EXERCISE, function="evaluate", points=1, public=True)
    def test_leaves_parameters_unchanged(self, student: Any) -> None:
        run = _run("uneven")
        report = _probe_evaluate(student, "uneven")
        if not same_trained_state(report["state"], run["model"]["state"]):
            raise CheckFailed(
                "evaluate changed the model's parameters; evaluation must only measure the loss "
                "(no backward, no optimizer step)",
                mistake="params_changed_in_eval",
            )
        if report["grads_set"]:
            raise CheckFailed(
                "evaluate left gradients in the model's parameters (.grad is set): evaluation "
                "runs no backward(), so the caller's model comes back as it was",
                mistake="params_changed_in_eval",
            )


# ---------------------------------------------------------------- to_usd


class TestToUsd:
    """Checks of `to_usd`."""

    @pytest.mark.grade(exercise=EXERCISE, function="to_usd", points=1)
    def test_back_to_dollars(self, student: Any) -> None:
        pred, low, high = _usd_case()
        report = student.exercise(EXERCISE).probe("to_usd", pred, low, high)
        expected = _expected_usd()
        got = report["value"]
        if not isinstance(got, np.ndarray):
            raise CheckFailed(f"to_usd must return a numpy.ndarray, got {report['type']}")
        expect_tensor(
            torch.tensor(got),
            torch.tensor(expected),
            what="to_usd",
            dtype="floating",
            rtol=1e-5,
            atol=1e-2,
        )


@memo
def _usd_case() -> tuple[torch.Tensor, float, float]:
    """Scaled predictions and the salary range a scaler was fitted on."""
    pred = torch.rand(5, 1, generator=generator("ex07.to_usd.pred"))
    return pred, 4_000.0 + seed_for("ex07.to_usd.min") % 5_000, 350_000.0


@memo
def _expected_usd() -> np.ndarray:
    from sklearn.preprocessing import MinMaxScaler

    pred, low, high = _usd_case()
    scaler = MinMaxScaler().fit(np.array([[low], [high]]))
    return np.asarray(reference(EXERCISE).to_usd(pred, scaler))
