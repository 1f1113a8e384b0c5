"""Hidden checks for ex08_activations: activation functions and their gradients.

`relu_grad` and `leaky_relu_and_grad` are meant to use autograd, but any
correct value is accepted. `elu_manual` and `sigmoid_grad` must be written by
hand: their "by hand" checks first ask for a right answer on a simple input
(an empty stub scores nothing), then judge shortcuts by what ran and by the source.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from grader.checklib import by_hand
from grader.checklib.cache import memo
from grader.checklib.inputs import generator, uniform
from grader.compare import CheckFailed, describe_type, expect_scalar, expect_tensor, fmt_number

EXERCISE = "ex08_activations"

_ELU_SHORTCUTS = ("F.elu", "F.elu_", "nn.ELU", "F.celu", "nn.CELU", "torch.celu", "torch._C._nn")
_SIGMOID_GRAD_SHORTCUTS = ("backward", "torch.autograd")
_LESSON_RELU = (1.5, 1.0)  # input, gradient printed by the lesson
_LESSON_LEAKY = (-2.0, (-0.02, 0.01))


def _expect_grad(got: Any, expected: float, *, x: float) -> None:
    if isinstance(got, float) and got == _LESSON_RELU[1] and expected != got:
        raise CheckFailed(
            f"relu_grad({fmt_number(x)}) returned {fmt_number(got)}, the lesson's gradient at "
            f"{_LESSON_RELU[0]}; compute the gradient at x with autograd "
            "(requires_grad=True, backward, x.grad)",
            mistake="lesson_constant",
        )
    expect_scalar(got, expected, what=f"relu_grad({fmt_number(x)})", rtol=1e-5, atol=1e-6)


@memo
def _reference_scalar(reference: Any, function: str, args: tuple[float, ...]) -> Any:
    return getattr(reference, function)(*args)


class TestReluGrad:
    """Checks of `relu_grad`."""

    @pytest.mark.grade(exercise=EXERCISE, function="relu_grad", points=1, public=True)
    def test_both_sides_of_zero(self, student: Any) -> None:
        handle = student.exercise(EXERCISE)
        for x, expected in ((-0.8, 0.0), (2.5, 1.0)):
            _expect_grad(handle.call("relu_grad", x), expected, x=x)

    @pytest.mark.grade(exercise=EXERCISE, function="relu_grad", points=1)
    def test_hidden_values(self, student: Any, ref: Any) -> None:
        handle = student.exercise(EXERCISE)
        for x in _points("ex08.relu_grad", 4):
            _expect_grad(
                handle.call("relu_grad", x),
                _reference_scalar(ref(EXERCISE), "relu_grad", (x,)),
                x=x,
            )


def _points(name: str, n: int) -> list[float]:
    """`n` values away from 0 (where ReLU has no derivative), both signs."""
    values = uniform(name, n, low=0.2, high=4.0)
    signs = torch.tensor([(-1.0) ** i for i in range(n)])
    return [round(float(v), 4) for v in values * signs]


def _expect_leaky(got: Any, expected: tuple[float, float], *, call: str) -> None:
    if not isinstance(got, tuple | list) or len(got) != 2:
        raise CheckFailed(
            f"{call} must return a tuple (output, gradient) of two floats, got {describe_type(got)}"
        )
    if (
        all(isinstance(v, float) for v in got)
        and all(abs(g - e) < 1e-6 for g, e in zip(got, _LESSON_LEAKY[1], strict=True))
        and any(abs(g - e) > 1e-6 for g, e in zip(got, expected, strict=True))
    ):
        raise CheckFailed(
            f"{call} returned the lesson's values for x = {_LESSON_LEAKY[0]} "
            f"({_LESSON_LEAKY[1][0]}, {_LESSON_LEAKY[1][1]}); compute them at the given x "
            "and negative_slope",
            mistake="lesson_constant",
        )
    for part, g, e in zip(("output", "gradient"), got, expected, strict=True):
        expect_scalar(g, e, what=f"the {part} from {call}", rtol=1e-5, atol=1e-6)


class TestLeakyReluAndGrad:
    """Checks of `leaky_relu_and_grad`."""

    @pytest.mark.grade(exercise=EXERCISE, function="leaky_relu_and_grad", points=1, public=True)
    def test_positive_input(self, student: Any) -> None:
        got = student.exercise(EXERCISE).call("leaky_relu_and_grad", 3.0)
        _expect_leaky(got, (3.0, 1.0), call="leaky_relu_and_grad(3.0)")

    @pytest.mark.grade(exercise=EXERCISE, function="leaky_relu_and_grad", points=1)
    def test_other_slopes(self, student: Any, ref: Any) -> None:
        handle = student.exercise(EXERCISE)
        x = _points("ex08.leaky", 3)
        # each slope on a negative input too, the only place it changes anything
        for args in ((x[0], 0.2), (-x[0], 0.2), (x[1],), (x[2], 0.05), (-x[2], 0.05)):
            expected = _reference_scalar(ref(EXERCISE), "leaky_relu_and_grad", args)
            call = f"leaky_relu_and_grad({', '.join(fmt_number(a) for a in args)})"
            _expect_leaky(handle.call("leaky_relu_and_grad", *args), expected, call=call)


@memo
def _activation_input(name: str) -> torch.Tensor:
    """A (3, 5) float32 input: moderate values both sides of 0, plus a few large ones."""
    x = torch.randn(3, 5, generator=generator(name)) * 2
    x[0, 0], x[1, 1], x[2, 2] = -30.0, 25.0, 0.0
    return x


@memo
def _reference_tensor(reference: Any, function: str, name: str, *kwargs: tuple[str, float]) -> Any:
    return getattr(reference, function)(_activation_input(name), **dict(kwargs))


def _expect_elu(student: Any, ref: Any, name: str, alpha: float | None) -> None:
    kwargs = () if alpha is None else (("alpha", alpha),)
    got = student.exercise(EXERCISE).call("elu_manual", _activation_input(name), **dict(kwargs))
    expected = _reference_tensor(ref(EXERCISE), "elu_manual", name, *kwargs)
    what = "elu_manual" if alpha is None else f"elu_manual(x, alpha={alpha})"
    expect_tensor(got, expected, what=what, rtol=1e-5, atol=1e-6)


class TestEluManual:
    """Checks of `elu_manual`."""

    @pytest.mark.grade(exercise=EXERCISE, function="elu_manual", points=1)
    def test_matches_f_elu(self, student: Any, ref: Any) -> None:
        _expect_elu(student, ref, "ex08.elu.default", None)
        _expect_elu(student, ref, "ex08.elu.alpha", 0.7)
        # equal to F.elu at the extremes too: exp(1000) is inf in float32, and inf * 0
        # (a mask multiplied in instead of torch.where) is nan
        x = torch.tensor([[-1000.0, -100.0, -1.0, 0.0, 1.0, 100.0, 1000.0]])
        got = student.exercise(EXERCISE).call("elu_manual", x, alpha=0.7)
        expected = torch.nn.functional.elu(x, alpha=0.7)
        what = "elu_manual(x, alpha=0.7) at inputs of -1000 to 1000"
        expect_tensor(got, expected, what=what, rtol=1e-5, atol=1e-6)

    @pytest.mark.grade(exercise=EXERCISE, function="elu_manual", points=1, public=True)
    def test_by_hand(self, student: Any) -> None:
        x = torch.tensor([[-2.0, -0.5, 0.0, 0.5, 2.0]])
        got, trace = student.exercise(EXERCISE).traced("elu_manual", x)
        expect_tensor(got, torch.nn.functional.elu(x), what="elu_manual", rtol=1e-5, atol=1e-6)
        by_hand(
            student, EXERCISE, "elu_manual", trace, forbidden=_ELU_SHORTCUTS,
            hint="Use torch.where with x and alpha * (exp(x) - 1)",
        )  # fmt: skip


class TestSigmoidGrad:
    """Checks of `sigmoid_grad`."""

    @pytest.mark.grade(exercise=EXERCISE, function="sigmoid_grad", points=1)
    def test_values(self, student: Any, ref: Any) -> None:
        got = student.exercise(EXERCISE).call("sigmoid_grad", _activation_input("ex08.sigmoid"))
        expected = _reference_tensor(ref(EXERCISE), "sigmoid_grad", "ex08.sigmoid")
        expect_tensor(got, expected, what="sigmoid_grad", rtol=1e-5, atol=1e-6)

    @pytest.mark.grade(exercise=EXERCISE, function="sigmoid_grad", points=1, public=True)
    def test_by_hand(self, student: Any) -> None:
        x = torch.tensor([-3.0, -1.0, 0.0, 1.0, 3.0])
        got, trace = student.exercise(EXERCISE).traced("sigmoid_grad", x)
        s = torch.sigmoid(x)
        expect_tensor(got, s * (1 - s), what="sigmoid_grad", rtol=1e-5, atol=1e-6)
        by_hand(
            student, EXERCISE, "sigmoid_grad", trace, forbidden=_SIGMOID_GRAD_SHORTCUTS,
            hint="Compute sigmoid(x) * (1 - sigmoid(x)) directly, without autograd",
        )  # fmt: skip
