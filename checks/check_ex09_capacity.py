"""Hidden checks for ex09_capacity: counting parameters and a four-layer net.

`calculate_capacity` gets models other than the lesson's (whose answer, 81,
is printed in the lesson); `build_four_layer_net` is asked for sizes the
lesson never uses, down to one feature and one class.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from grader.checklib.cache import memo
from grader.checklib.inputs import seed_for
from grader.compare import CheckFailed, expect_equal, expect_scalar
from grader.sandbox.confined.probe_runtime import build_model

EXERCISE = "ex09_capacity"

_LESSON_CAPACITY = 81
_MIN_PARAMS = 120  # "more than 120 parameters"


Layers = tuple[tuple[Any, ...], ...]


def _capacity(
    student: Any, layers: Layers, expected: int, frozen: tuple[str, ...] = ()
) -> None:
    """`calculate_capacity` on the model `layers` must be `expected`, as an int.

    `frozen` names parameters that do not require grad: they count all the same.
    """
    spec = {"layers": [list(layer) for layer in layers], "frozen": list(frozen)}
    report = student.exercise(EXERCISE).probe("calculate_capacity", spec)
    value = report["value"]
    shown = " -> ".join(_show(layer) for layer in layers)
    if frozen:
        shown += f" (with {', '.join(frozen)} frozen: requires_grad=False)"
    if type(value) is not int:
        raise CheckFailed(
            f"calculate_capacity must return a Python int, got {report['type']}"
            + (" (use .item() or int(...))" if report["type"] == "torch.Tensor" else "")
        )
    if value == _LESSON_CAPACITY != expected:
        raise CheckFailed(
            f"calculate_capacity returned 81, the lesson's count, for the model {shown} "
            f"which has {expected} parameters; count the parameters of the model you are given",
            mistake="lesson_constant",
        )
    expect_scalar(value, expected, what=f"calculate_capacity for {shown}", kinds=("int",))


def _show(layer: tuple[Any, ...]) -> str:
    if layer[0] == "linear":
        no_bias = ", bias=False" if len(layer) > 3 and not layer[3] else ""
        return f"Linear({layer[1]}, {layer[2]}{no_bias})"
    names = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "dropout": "Dropout"}
    return f"{names.get(layer[0], layer[0])}()"


@memo
def _reference_capacity(reference: Any, layers: Layers, frozen: tuple[str, ...] = ()) -> int:
    spec = {"layers": [list(e) for e in layers], "frozen": list(frozen)}
    return int(reference.calculate_capacity(build_model(spec)))


class TestCalculateCapacity:
    """Checks of `calculate_capacity`."""

    @pytest.mark.grade(exercise=EXERCISE, function="calculate_capacity", points=1, public=True)
    def test_small_models(self, student: Any) -> None:
        # public, so counted here without the reference: 3*2 + 2, then (2*3 + 3) + (3*1 + 1)
        _capacity(student, (("linear", 3, 2),), 8)
        _capacity(student, (("linear", 2, 3), ("relu",), ("linear", 3, 1)), 13)

    @pytest.mark.grade(exercise=EXERCISE, function="calculate_capacity", points=2)
    def test_other_models(self, student: Any, ref: Any) -> None:
        a, b, c = (3 + seed_for(f"ex09.capacity.{i}") % 9 for i in range(3))
        deep = (("linear", a, b), ("tanh",), ("linear", b, c), ("relu",), ("linear", c, 2))
        wide = (("linear", 16, a), ("dropout", 0.2), ("linear", a, 1), ("sigmoid",))
        for layers in (deep, wide):
            _capacity(student, layers, _reference_capacity(ref(EXERCISE), layers))
        # a layer without bias, and a frozen layer: its parameters count all the same
        no_bias = (("linear", a, b, False), ("relu",), ("linear", b, 1))
        _capacity(student, no_bias, _reference_capacity(ref(EXERCISE), no_bias))
        frozen = ("0.weight", "0.bias")
        _capacity(student, deep, _reference_capacity(ref(EXERCISE), deep, frozen), frozen)


def _probe_net(student: Any, n_features: int, n_classes: int) -> dict[str, Any]:
    report = student.exercise(EXERCISE).probe("build_four_layer_net", n_features, n_classes)
    if not report["is_module"]:
        raise CheckFailed(
            f"build_four_layer_net({n_features}, {n_classes}) must return an nn.Module "
            f"(an nn.Sequential), got {report['type']}"
        )
    return report


def _judge_net(report: dict[str, Any], n_features: int, n_classes: int) -> None:
    """Four Linear layers, more than 120 parameters, (batch, n_features) -> (batch, n_classes)."""
    call = f"build_four_layer_net({n_features}, {n_classes})"
    linear = report["linear"]
    if len(linear) != 4:
        raise CheckFailed(f"{call} has {len(linear)} nn.Linear layers; it must have exactly 4")
    if report["n_params"] <= _MIN_PARAMS:
        raise CheckFailed(
            f"{call} has {report['n_params']} parameters; it must have more than {_MIN_PARAMS} "
            "(make the hidden layers wider)"
        )
    if linear[0][0] != n_features or linear[-1][1] != n_classes:
        raise CheckFailed(
            f"{call} maps {linear[0][0]} features to {linear[-1][1]} outputs; the first layer "
            f"must take n_features={n_features} and the last give n_classes={n_classes}"
        )
    if report["output_error"] is not None:
        raise CheckFailed(
            f"the model from {call} failed on a batch of shape (3, {n_features}): "
            f"{report['output_error']}"
        )
    output = report["output"]
    if not isinstance(output, torch.Tensor):
        raise CheckFailed(
            f"the model from {call} must return a tensor, got {report['output_type']}"
        )
    expect_equal(list(output.shape), [3, n_classes], what=f"the output shape of {call} on 3 rows")


class TestBuildFourLayerNet:
    """Checks of `build_four_layer_net`."""

    @pytest.mark.grade(exercise=EXERCISE, function="build_four_layer_net", points=2, public=True)
    def test_structure(self, student: Any) -> None:
        _judge_net(_probe_net(student, 6, 4), 6, 4)

    @pytest.mark.grade(exercise=EXERCISE, function="build_four_layer_net", points=3)
    def test_any_sizes(self, student: Any) -> None:
        sizes = [
            (1, 1),
            (2 + seed_for("ex09.net.features") % 40, 2 + seed_for("ex09.net.classes") % 9),
        ]
        reports = [_probe_net(student, *size) for size in sizes]
        if reports[0]["linear"] == reports[1]["linear"]:
            raise CheckFailed(
                "build_four_layer_net built the same layers for "
                f"{' and '.join(f'({f}, {c})' for f, c in sizes)}: use n_features for the first "
                "layer's inputs and n_classes for the last layer's outputs",
                mistake="lesson_constant",
            )
        for report, size in zip(reports, sizes, strict=True):
            _judge_net(report, *size)
