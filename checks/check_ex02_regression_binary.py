"""Hidden checks for ex02_regression_binary: regression, binary labels, losses (14 points)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch

from grader.checklib import (
    by_hand,
    expect_form,
    expect_linear_stack,
    expect_seeded_state,
    inputs,
)
from grader.compare import CheckFailed, expect_scalar, expect_tensor, fmt_number

EX = "ex02_regression_binary"
# What the lesson prints for its own batch (see solutions/ex02_regression_binary.py).
LESSON_PRINTED = {"mse_manual": 5.1743, "mae_manual": 2.0877, "bce_manual": 0.6077}


def grade(function: str, points: float, *, public: bool = False) -> pytest.MarkDecorator:
    return pytest.mark.grade(exercise=EX, function=function, points=points, public=public)


def _near(a: float, b: float, tol: float = 1e-4) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))


def name_lesson_constant(value: float, expected: float, function: str) -> None:
    """Name ``lesson_constant`` when a loss is the lesson's printed number on another input."""
    printed = LESSON_PRINTED[function]
    if _near(value, printed, 1e-5) and not _near(expected, printed, 1e-3):
        raise CheckFailed(
            f"{function} returned the lesson's printed {printed} for a different input: "
            "compute it from the arguments",
            mistake="lesson_constant",
        )


# --- build_regression_net ---------------------------------------------------


class TestBuildRegressionNet:
    @grade("build_regression_net", 1, public=True)
    def test_two_linear_layers_to_one_output(self, student: Any) -> None:
        ex = student.exercise(EX)
        report = ex.probe("core_build_net", "build_regression_net", {})
        expect_linear_stack(report, (5, 4, 1), call="build_regression_net()")
        report = ex.probe(
            "core_build_net", "build_regression_net", {"n_features": 7, "n_hidden": 3}
        )
        expect_linear_stack(report, (7, 3, 1), call="build_regression_net(7, 3)")

    @grade("build_regression_net", 1)
    def test_seed_reproduces_torch_initialisation(self, student: Any, ref: Any) -> None:
        sizes = (6, 5)
        # seed 0 under a worker generator seeded otherwise: `if seed:` skips seeding
        worker = inputs.worker_seed("ex02.build.worker")
        for seed in (inputs.seed_for("ex02.build.seed"), 0):
            kwargs = {"n_features": 6, "n_hidden": 5, "seed": seed}
            report = student.exercise(EX).probe(
                "core_build_net", "build_regression_net", kwargs, seed=worker
            )
            call = f"build_regression_net(6, 5, seed={'...' if seed else 0})"
            expect_linear_stack(report, (*sizes, 1), call=call)
            expect_seeded_state(
                report["state"],
                ref(EX).build_regression_net,
                sizes,
                seed,
                lesson_seed=ref(EX).LESSON_SEED,
                call=call,
            )

    @grade("build_regression_net", 1)
    def test_output_is_one_number_per_sample(self, student: Any) -> None:
        x = inputs.logits("ex02.build.x", 9, 8)
        kwargs = {"n_features": 8, "n_hidden": 3}
        report = student.exercise(EX).probe("core_build_net", "build_regression_net", kwargs, x)
        call = "build_regression_net(8, 3)"
        expect_linear_stack(report, (8, 3, 1), call=call)
        if report["out_error"]:
            raise CheckFailed(f"running {call} on a (9, 8) batch raised {report['out_error']}")
        state = report["state"]
        hidden = x @ state["0.weight"].T + state["0.bias"]
        expected = hidden @ state["1.weight"].T + state["1.bias"]
        expect_tensor(report["out"], expected, what=f"the output of {call}", atol=1e-5, rtol=1e-4)


# --- mse_manual / mae_manual ------------------------------------------------

_LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "mse_manual": lambda p, t: ((p - t) ** 2).mean(),
    "mae_manual": lambda p, t: (p - t).abs().mean(),
}


def judge_regression_loss(
    got: Any, function: str, ref: Any, pred: torch.Tensor, target: torch.Tensor
) -> None:
    """A regression loss against the reference, naming the usual slips first."""
    expected = float(getattr(ref(EX), function)(pred, target))
    value = expect_scalar(got, expected, what=function, kinds=("tensor0d",), atol=math.inf)
    name_lesson_constant(value, expected, function)
    slips = {
        "the sum over all values instead of their mean": expected * pred.numel(),
        "the square root of the mean squared error (RMSE), not the MSE": math.sqrt(expected),
        "the mean absolute error": float(_LOSSES["mae_manual"](pred, target)),
        "the mean squared error": float(_LOSSES["mse_manual"](pred, target)),
        "the mean of the differences without abs()": float((pred - target).mean()),
    }
    for slip, slipped in slips.items():
        if _near(value, slipped) and not _near(value, expected):
            raise CheckFailed(
                f"{function} returned {fmt_number(value)}, {slip}; expected {fmt_number(expected)}"
            )
    expect_scalar(got, expected, what=function, kinds=("tensor0d",), atol=1e-5, rtol=1e-4)


class TestMseManual:
    @grade("mse_manual", 0.5, public=True)
    def test_zero_for_equal_and_one_for_unit_gaps(self, student: Any) -> None:
        pred = torch.tensor([[0.5], [-1.5], [2.0], [0.25], [3.0]])
        ex = student.exercise(EX)
        expect_scalar(ex.call("mse_manual", pred, pred.clone()), 0.0, what="mse_manual",
                      kinds=("tensor0d",))  # fmt: skip
        gaps = pred + torch.tensor([[1.0], [-1.0], [1.0], [-1.0], [1.0]])
        expect_scalar(ex.call("mse_manual", pred, gaps), 1.0, what="mse_manual",
                      kinds=("tensor0d",), atol=1e-6)  # fmt: skip

    @grade("mse_manual", 1)
    def test_values(self, student: Any, ref: Any) -> None:
        for name, shape in (("ex02.mse.column", (7, 1)), ("ex02.mse.matrix", (3, 4))):
            pred, target = inputs.logits(name, *shape), inputs.logits(name + "/t", *shape)
            got = student.exercise(EX).call("mse_manual", pred, target)
            judge_regression_loss(got, "mse_manual", ref, pred, target)

    @grade("mse_manual", 0.5)
    def test_by_hand(self, student: Any, ref: Any) -> None:
        pred, target = inputs.logits("ex02.mse.hand", 4, 1), inputs.logits("ex02.mse.hand/t", 4, 1)
        got, trace = student.exercise(EX).traced("mse_manual", pred, target)
        judge_regression_loss(got, "mse_manual", ref, pred, target)
        by_hand(student, EX, "mse_manual", trace)


class TestMaeManual:
    @grade("mae_manual", 0.5, public=True)
    def test_zero_for_equal_and_gap_size_otherwise(self, student: Any) -> None:
        pred = torch.tensor([[0.5], [-1.5], [2.0], [0.25]])
        ex = student.exercise(EX)
        expect_scalar(ex.call("mae_manual", pred, pred.clone()), 0.0, what="mae_manual",
                      kinds=("tensor0d",))  # fmt: skip
        expect_scalar(ex.call("mae_manual", pred, pred + 2.0), 2.0, what="mae_manual",
                      kinds=("tensor0d",), atol=1e-6)  # fmt: skip

    @grade("mae_manual", 1)
    def test_values(self, student: Any, ref: Any) -> None:
        for name, shape in (("ex02.mae.column", (6, 1)), ("ex02.mae.matrix", (2, 5))):
            pred, target = inputs.logits(name, *shape), inputs.logits(name + "/t", *shape)
            got = student.exercise(EX).call("mae_manual", pred, target)
            judge_regression_loss(got, "mae_manual", ref, pred, target)

    @grade("mae_manual", 0.5)
    def test_by_hand(self, student: Any, ref: Any) -> None:
        pred, target = inputs.logits("ex02.mae.hand", 4, 1), inputs.logits("ex02.mae.hand/t", 4, 1)
        got, trace = student.exercise(EX).traced("mae_manual", pred, target)
        judge_regression_loss(got, "mae_manual", ref, pred, target)
        by_hand(student, EX, "mae_manual", trace)


# --- predict_binary ---------------------------------------------------------


def judge_binary(got: Any, expected: torch.Tensor, logits: torch.Tensor, threshold: float) -> None:
    expect_form(got, expected.shape, what="predict_binary", dtype=expected.dtype)
    if torch.equal(got, expected):
        return
    if torch.equal(got, (logits > threshold).float()):
        raise CheckFailed(
            f"predict_binary compared the logits with threshold={threshold}; apply the "
            "sigmoid first and compare the probabilities"
        )
    if torch.equal(got, (torch.sigmoid(logits) >= threshold).float()):
        raise CheckFailed(
            "predict_binary returned 1 where sigmoid(logits) equals the threshold; "
            "use a strict > comparison"
        )
    expect_tensor(got, expected, what="predict_binary", atol=0, rtol=0)


class TestPredictBinary:
    @grade("predict_binary", 0.5, public=True)
    def test_float_zeros_and_ones(self, student: Any) -> None:
        logits = torch.tensor([[-3.0], [-0.1], [0.1], [3.0]])
        got = student.exercise(EX).call("predict_binary", logits)
        judge_binary(got, torch.tensor([[0.0], [0.0], [1.0], [1.0]]), logits, 0.5)

    @grade("predict_binary", 1)
    def test_values_at_the_default_threshold(self, student: Any, ref: Any) -> None:
        logits = inputs.logits("ex02.binary", 8, 1)
        logits[3, 0] = 0.0  # sigmoid(0) is exactly 0.5: not above the threshold
        got = student.exercise(EX).call("predict_binary", logits)
        judge_binary(got, ref(EX).predict_binary(logits), logits, 0.5)

    @grade("predict_binary", 0.5)
    def test_custom_threshold(self, student: Any, ref: Any) -> None:
        logits = inputs.logits("ex02.binary.threshold", 9, 1, scale=1.5)
        logits[0, 0], logits[1, 0] = 1.0, 0.9  # probabilities 0.73, 0.71: above 0.5, below 0.8
        got = student.exercise(EX).call("predict_binary", logits, threshold=0.8)
        judge_binary(got, ref(EX).predict_binary(logits, threshold=0.8), logits, 0.8)


# --- bce_manual ---------------------------------------------------------------


def judge_bce(got: Any, ref: Any, probs: torch.Tensor, target: torch.Tensor) -> None:
    expected = float(ref(EX).bce_manual(probs, target))
    value = expect_scalar(got, expected, what="bce_manual", kinds=("tensor0d",), atol=math.inf)
    name_lesson_constant(value, expected, "bce_manual")
    slips = {
        "the sum over the samples instead of their mean": expected * probs.numel(),
        "the negative of the loss (the minus sign is missing)": -expected,
    }
    for slip, slipped in slips.items():
        if _near(value, slipped) and not _near(value, expected):
            raise CheckFailed(
                f"bce_manual returned {fmt_number(value)}, {slip}; expected {fmt_number(expected)}"
            )
    expect_scalar(got, expected, what="bce_manual", kinds=("tensor0d",), atol=1e-5, rtol=1e-4)


def _bce_inputs(name: str, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    probs = inputs.probabilities(name, n, 1)
    target = (inputs.uniform(name + "/t", n, 1) > 0).float()
    return probs, target


class TestBceManual:
    @grade("bce_manual", 0.5, public=True)
    def test_even_odds_cost_log_two(self, student: Any) -> None:
        probs, target = torch.full((4, 1), 0.5), torch.tensor([[1.0], [0.0], [0.0], [1.0]])
        got = student.exercise(EX).call("bce_manual", probs, target)
        expect_scalar(got, math.log(2), what="bce_manual", kinds=("tensor0d",), atol=1e-5)

    @grade("bce_manual", 1)
    def test_values(self, student: Any, ref: Any) -> None:
        for name, n in (("ex02.bce.a", 8), ("ex02.bce.b", 5)):
            probs, target = _bce_inputs(name, n)
            judge_bce(student.exercise(EX).call("bce_manual", probs, target), ref, probs, target)
        # confident predictions, right and wrong, still inside (0, 1): an epsilon added
        # inside the log (log(p + 1e-7)) shows here, where it is not small against p
        probs = torch.tensor([[1e-6], [1 - 1e-6], [1e-4], [1 - 1e-4], [0.3], [2e-5]])
        target = torch.tensor([[1.0], [0.0], [0.0], [1.0], [1.0], [0.0]])
        judge_bce(student.exercise(EX).call("bce_manual", probs, target), ref, probs, target)

    @grade("bce_manual", 0.5)
    def test_by_hand(self, student: Any, ref: Any) -> None:
        probs, target = _bce_inputs("ex02.bce.hand", 4)
        got, trace = student.exercise(EX).traced("bce_manual", probs, target)
        judge_bce(got, ref, probs, target)
        by_hand(student, EX, "bce_manual", trace)


# --- bce_grad_manual ----------------------------------------------------------


def judge_bce_grad(got: Any, ref: Any, probs: torch.Tensor, target: torch.Tensor) -> None:
    expected = ref(EX).bce_grad_manual(probs, target)
    expect_form(got, expected.shape, what="bce_grad_manual")
    n = probs.numel()
    if n > 1 and torch.allclose(got * n, expected, rtol=1e-4, atol=1e-5):
        raise CheckFailed(
            f"bce_grad_manual divided by the number of samples ({n}): that is the gradient of "
            "the mean loss; return the elementwise dL/dp = -y/p + (1-y)/(1-p)"
        )
    if torch.allclose(got, -expected, rtol=1e-4, atol=1e-5):
        raise CheckFailed("bce_grad_manual has the wrong sign: dL/dp = -y/p + (1-y)/(1-p)")
    expect_tensor(got, expected, what="bce_grad_manual", atol=1e-5, rtol=1e-4)


class TestBceGradManual:
    @grade("bce_grad_manual", 0.5, public=True)
    def test_even_odds(self, student: Any) -> None:
        probs, target = torch.full((3, 1), 0.5), torch.tensor([[1.0], [0.0], [1.0]])
        got = student.exercise(EX).call("bce_grad_manual", probs, target)
        expect_tensor(got, torch.tensor([[-2.0], [2.0], [-2.0]]), what="bce_grad_manual")

    @grade("bce_grad_manual", 1.5)
    def test_values(self, student: Any, ref: Any) -> None:
        for name, n in (("ex02.bce_grad.a", 7), ("ex02.bce_grad.b", 3)):
            probs, target = _bce_inputs(name, n)
            got = student.exercise(EX).call("bce_grad_manual", probs, target)
            judge_bce_grad(got, ref, probs, target)

    @grade("bce_grad_manual", 1)
    def test_by_hand(self, student: Any, ref: Any) -> None:
        probs, target = _bce_inputs("ex02.bce_grad.hand", 4)
        got, trace = student.exercise(EX).traced("bce_grad_manual", probs, target)
        judge_bce_grad(got, ref, probs, target)
        by_hand(student, EX, "bce_grad_manual", trace)
