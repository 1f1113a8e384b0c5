"""Hidden checks for ex03_forward_pass: the forward pass by hand (12 points)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import torch

from grader.checklib import (
    by_hand,
    close,
    expect_form,
    expect_unchanged,
    finite_or_unstable,
    inputs,
    rows_sum_to_one,
)
from grader.compare import CheckFailed, expect_tensor
from grader.sandbox.trusted.errors import StudentRaised

EX = "ex03_forward_pass"
TRANSPOSE = "use x @ weight.T: nn.Linear stores weight as (out, in)"


def grade(function: str, points: float, *, public: bool = False) -> pytest.MarkDecorator:
    return pytest.mark.grade(exercise=EX, function=function, points=points, public=public)


# --- linear_forward -----------------------------------------------------------


def _layer(name: str, n_in: int, n_out: int, n: int) -> tuple[torch.Tensor, ...]:
    x = inputs.logits(name + "/x", n, n_in, scale=1.0)
    weight = inputs.logits(name + "/w", n_out, n_in, scale=0.5)
    bias = inputs.logits(name + "/b", n_out, scale=0.5)
    return x, weight, bias


def judge_linear(
    got: Any, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, expected: torch.Tensor
) -> None:
    """Compare with ``expected``, naming an untransposed square weight."""
    untransposed = x @ weight + bias if weight.shape[0] == weight.shape[1] else None
    if untransposed is not None and close(got, untransposed) and not close(expected, untransposed):
        raise CheckFailed(
            f"linear_forward computed x @ weight + bias; {TRANSPOSE}",
            mistake="weight_not_transposed",
        )
    expect_tensor(got, expected, what="linear_forward", atol=1e-5, rtol=1e-4)


def _shape_error(error: StudentRaised) -> bool:
    return "shapes cannot be multiplied" in error.message or "size mismatch" in error.message


def call_linear(student: Any, *args: torch.Tensor, traced: bool = False) -> Any:
    """Call ``linear_forward``, naming the shape error an untransposed weight raises.

    ``traced``: return ``(value, trace)`` for the by-hand rule.
    """
    handle = student.exercise(EX)
    try:
        if traced:
            return handle.traced("linear_forward", *args)
        return handle.call("linear_forward", *args)
    except StudentRaised as error:
        if not _shape_error(error):
            raise
        out, n_in = args[1].shape
        raise CheckFailed(
            f"linear_forward raised a shape error for a ({out}, {n_in}) weight: {TRANSPOSE}",
            mistake="weight_not_transposed",
        ) from None


def judge_linear_call(student: Any, ref: Any, *args: torch.Tensor, traced: bool = False) -> Any:
    """Judge one call's values; with ``traced``, return what the worker recorded."""
    got, trace = call_linear(student, *args, traced=True) if traced else (
        call_linear(student, *args), None)  # fmt: skip
    judge_linear(got, *args, expected=ref(EX).linear_forward(*args))
    return trace


class TestLinearForward:
    @grade("linear_forward", 0.5, public=True)
    def test_one_row_per_sample_one_column_per_output(self, student: Any) -> None:
        x = torch.tensor([[1.0, 2.0, 3.0, 4.0], [0.5, 0.0, -1.0, 2.0], [0.0, 0.0, 0.0, 0.0]])
        weight = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, -1.0]])  # (out=2, in=4)
        bias = torch.tensor([0.5, -0.5])
        got = call_linear(student, x, weight, bias)
        expect_form(got, (3, 2), what="linear_forward")
        judge_linear(got, x, weight, bias, expected=x @ weight.T + bias)

    @grade("linear_forward", 1)
    def test_square_weight_is_transposed(self, student: Any, ref: Any) -> None:
        judge_linear_call(student, ref, *_layer("ex03.linear.square", 4, 4, 6))

    @grade("linear_forward", 1)
    def test_values(self, student: Any, ref: Any) -> None:
        judge_linear_call(student, ref, *_layer("ex03.linear.wide", 6, 3, 5))
        judge_linear_call(student, ref, *_layer("ex03.linear.one", 2, 7, 1))
        # a layer built with bias=False hands over bias=None: nothing to add
        x, weight, _ = _layer("ex03.linear.no_bias", 4, 3, 5)
        try:
            got = student.exercise(EX).call("linear_forward", x, weight, None)
        except StudentRaised as error:
            raise CheckFailed(
                f"linear_forward(x, weight, None) raised {error.message.splitlines()[0]}; a "
                "layer built with bias=False has bias None: add the bias only when there is one"
            ) from None
        expected = ref(EX).linear_forward(x, weight, None)
        judge_linear(got, x, weight, torch.zeros(3), expected=expected)

    @grade("linear_forward", 1)
    def test_by_hand(self, student: Any, ref: Any) -> None:
        trace = judge_linear_call(student, ref, *_layer("ex03.linear.hand", 3, 2, 4), traced=True)
        by_hand(student, EX, "linear_forward", trace)


# --- softmax_manual -----------------------------------------------------------

_SM = "softmax_manual"


def judge_softmax(got: Any, ref: Any, z: torch.Tensor) -> None:
    expected = ref(EX).softmax_manual(z)
    expect_form(got, expected.shape, what=_SM)
    rows_sum_to_one(got, what=_SM)
    if z.dim() > 1 and close(got, torch.softmax(z, dim=0)) and not close(expected, got):
        raise CheckFailed(f"{_SM} normalised over the first dimension; use the last (dim=-1)")
    expect_tensor(got, expected, what=_SM, atol=1e-6, rtol=1e-4)


class TestSoftmaxManual:
    @grade(_SM, 1, public=True)
    def test_rows_sum_to_one(self, student: Any) -> None:
        z = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-2.0, 5.0, 0.5], [3.0, 1.0, 0.2]])
        got = student.exercise(EX).call(_SM, z)
        expect_form(got, z.shape, what=_SM)
        rows_sum_to_one(got, what=_SM)
        if not torch.equal(got.argmax(dim=-1), z.argmax(dim=-1)):
            raise CheckFailed(f"{_SM} changed which entry of a row is the largest")

    @grade(_SM, 0.5, public=True)
    def test_keeps_the_shape_of_a_batch_of_batches(self, student: Any) -> None:
        z = torch.arange(24.0).reshape(2, 3, 4) / 10
        got = student.exercise(EX).call(_SM, z)
        expect_form(got, z.shape, what=_SM)
        rows_sum_to_one(got, what=_SM)

    @grade(_SM, 1)
    def test_values(self, student: Any, ref: Any) -> None:
        for name, shape in (("ex03.softmax.2d", (6, 5)), ("ex03.softmax.3d", (2, 4, 3))):
            z = inputs.logits(name, *shape, scale=3.0)
            judge_softmax(student.exercise(EX).call(_SM, z), ref, z)

    @grade(_SM, 1)
    def test_large_logits(self, student: Any, ref: Any) -> None:
        base = inputs.logits("ex03.softmax.large", 5, 4, scale=3.0)
        judge_softmax(student.exercise(EX).call(_SM, base), ref, base)  # the usual range first
        spread = torch.tensor([[0.0, 200.0, -200.0], [1000.0, 0.0, -1000.0]])
        for z in (base + 1000.0, spread):
            got = student.exercise(EX).call(_SM, z)
            finite_or_unstable(got, what=_SM)
            try:
                judge_softmax(got, ref, z)
            except CheckFailed as failed:
                raise CheckFailed(
                    f"{failed.message}; at logits near 1000 subtract each row's max before exp",
                    mistake="unstable_softmax",
                ) from None

    @grade(_SM, 0.5)
    def test_leaves_input_unchanged(self, student: Any, ref: Any) -> None:
        z = inputs.logits("ex03.softmax.unchanged", 4, 3, scale=2.0) + 3.0
        seen = student.exercise(EX).probe("core_call", _SM, [z])
        judge_softmax(seen["result"], ref, z)
        expect_unchanged(seen["args"][0], z, what=_SM, argument="z")

    @grade(_SM, 1)
    def test_by_hand(self, student: Any, ref: Any) -> None:
        z = inputs.logits("ex03.softmax.hand", 3, 4)
        got, trace = student.exercise(EX).traced(_SM, z)
        judge_softmax(got, ref, z)
        by_hand(student, EX, _SM, trace)


# --- forward_manual -----------------------------------------------------------

_FM = "forward_manual"


def probe_forward(
    student: Any, spec: dict[str, Any], x: torch.Tensor, *, traced: bool = False
) -> Any:
    """Run forward_manual in the worker, naming the shape error of untransposed weights.

    ``traced``: return ``(seen, trace)`` for the by-hand rule.
    """
    handle = student.exercise(EX)
    try:
        if traced:
            return handle.traced_probe("core_forward_manual", spec, x)
        return handle.probe("core_forward_manual", spec, x)
    except StudentRaised as error:
        if not _shape_error(error):
            raise
        raise CheckFailed(
            f"{_FM} raised a shape error on a net with non-square layers: {TRANSPOSE}",
            mistake="weight_not_transposed",
        ) from None


def run_forward(
    student: Any, ref: Any, spec: dict[str, Any], x: torch.Tensor, *, traced: bool = False
) -> Any:
    """Run the student's forward_manual through the probe and judge its values.

    Returns what the probe saw, or ``(seen, trace)`` with ``traced``.
    """
    seen, trace = probe_forward(student, spec, x, traced=True) if traced else (
        probe_forward(student, spec, x), None)  # fmt: skip
    with torch.no_grad():
        expected = ref(EX).forward_manual(inputs.build(spec), x)
    got = seen["result"]
    expect_form(got, expected.shape, what=_FM)
    rows_sum_to_one(got, what=_FM)
    expect_tensor(got, expected, what=_FM, atol=1e-6, rtol=1e-4)
    return (seen, trace) if traced else seen


def _net(name: str, sizes: tuple[int, ...]) -> dict[str, Any]:
    layers = [["linear", a, b] for a, b in itertools.pairwise(sizes)]
    return inputs.model_spec(name, layers)


class TestForwardManual:
    @grade(_FM, 0.5, public=True)
    def test_probabilities_of_the_right_shape(self, student: Any) -> None:
        spec = {"layers": [["linear", 5, 4], ["linear", 4, 3]]}
        seen = probe_forward(student, spec, torch.ones(3, 5))
        expect_form(seen["result"], (3, 3), what=_FM)
        rows_sum_to_one(seen["result"], what=_FM)

    @grade(_FM, 1)
    def test_values_two_layers(self, student: Any, ref: Any) -> None:
        x = inputs.logits("ex03.forward.x2", 7, 6, scale=1.0)
        run_forward(student, ref, _net("ex03.forward.net2", (6, 5, 4)), x)

    @grade(_FM, 1)
    def test_any_number_of_layers(self, student: Any, ref: Any) -> None:
        x = inputs.logits("ex03.forward.x", 4, 3, scale=1.0)
        run_forward(student, ref, _net("ex03.forward.net1", (3, 5)), x)
        run_forward(student, ref, _net("ex03.forward.net3", (3, 6, 4, 2)), x)
        # layers built with bias=False (their bias is None)
        layers = [["linear", 3, 4, False], ["linear", 4, 2, False]]
        run_forward(student, ref, inputs.model_spec("ex03.forward.no_bias", layers), x)

    @grade(_FM, 1)
    def test_by_hand_without_calling_the_net(self, student: Any, ref: Any) -> None:
        x = inputs.logits("ex03.forward.hand", 5, 4, scale=1.0)
        seen, trace = run_forward(
            student, ref, _net("ex03.forward.hand", (4, 3, 3)), x, traced=True
        )
        if seen["forward_calls"]:
            raise CheckFailed(
                f"{_FM} ran the net or its layers ({seen['forward_calls']} forward calls); "
                "compute each layer from its weight and bias with linear_forward instead",
                mistake="shortcut_used:net(x)",
            )
        by_hand(student, EX, _FM, trace)
