"""Hidden checks for ex04_backward_pass: gradients and the update rule (12 points)."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from grader.checklib import (
    by_hand,
    close,
    expect_form,
    expect_pair,
    expect_unchanged,
    finite_or_unstable,
    inputs,
)
from grader.compare import CheckFailed, describe_type, expect_tensor, fmt_number
from grader.sandbox.confined.probe_runtime import build_criterion

EX = "ex04_backward_pass"


def grade(function: str, points: float, *, public: bool = False) -> pytest.MarkDecorator:
    return pytest.mark.grade(exercise=EX, function=function, points=points, public=public)


# --- output_layer_grads -------------------------------------------------------

_OLG = "output_layer_grads"


def _last_layer(name: str, n: int, p: int, k: int) -> tuple[torch.Tensor, ...]:
    hidden = inputs.logits(name + "/h", n, p, scale=1.0)
    logits = inputs.logits(name + "/z", n, k, scale=1.5)
    return hidden, logits, inputs.targets(name + "/t", n, k)


def judge_output_grads(got: Any, ref: Any, *args: torch.Tensor) -> None:
    expected_w, expected_b = (t.detach() for t in ref(EX).output_layer_grads(*args))
    dw, db = expect_pair(got, what=_OLG, names=("dW", "db"))
    what_w, what_b = f"the dW returned by {_OLG}", f"the db returned by {_OLG}"
    expect_form(dw, expected_w.shape, what=what_w)
    expect_form(db, expected_b.shape, what=what_b)
    n = args[0].shape[0]
    if n > 1 and close(dw, expected_w * n) and close(db, expected_b * n):
        raise CheckFailed(
            f"{_OLG} returned gradients {n} times too large: the loss is the mean over the "
            f"{n} samples, so divide (softmax - one_hot) by n"
        )
    if close(dw, -expected_w) and close(db, -expected_b):
        raise CheckFailed(f"{_OLG} has the wrong sign: dlogits = softmax(logits) - one_hot(target)")
    expect_tensor(dw, expected_w, what=what_w, atol=1e-6, rtol=1e-4)
    expect_tensor(db, expected_b, what=what_b, atol=1e-6, rtol=1e-4)


class TestOutputLayerGrads:
    @grade(_OLG, 1, public=True)
    def test_shapes_of_weight_and_bias(self, student: Any) -> None:
        hidden = torch.tensor([[1.0, 0.0, 2.0], [0.5, -1.0, 0.0], [0.0, 1.0, 1.0], [2.0, 2.0, 0.0]])
        logits = torch.tensor([[0.2, -0.3], [1.0, 0.0], [0.0, 0.5], [-1.0, 1.5]])
        target = torch.tensor([0, 1, 1, 0])
        got = student.exercise(EX).call(_OLG, hidden, logits, target)
        dw, db = expect_pair(got, what=_OLG, names=("dW", "db"))
        expect_form(dw, (2, 3), what=f"the dW returned by {_OLG}")
        expect_form(db, (2,), what=f"the db returned by {_OLG}")
        if abs(float(db.sum())) > 1e-5:
            raise CheckFailed(
                f"the entries of db returned by {_OLG} sum to {fmt_number(float(db.sum()))}, "
                "not 0 (softmax rows and one-hot rows both sum to 1)"
            )

    @grade(_OLG, 1.5)
    def test_values(self, student: Any, ref: Any) -> None:
        for name, n, p, k in (("ex04.olg.a", 6, 5, 4), ("ex04.olg.b", 3, 2, 3)):
            args = _last_layer(name, n, p, k)
            judge_output_grads(student.exercise(EX).call(_OLG, *args), ref, *args)
        # logits of 100 and 1000: exp overflows unless each row's max is subtracted first
        hidden, logits, target = _last_layer("ex04.olg.large", 5, 3, 4)
        for scale in (100.0, 1000.0):
            got = student.exercise(EX).call(_OLG, hidden, logits * scale, target)
            for part in expect_pair(got, what=_OLG, names=("dW", "db")):
                finite_or_unstable(part, what=_OLG)
            judge_output_grads(got, ref, hidden, logits * scale, target)

    @grade(_OLG, 1)
    def test_by_hand(self, student: Any, ref: Any) -> None:
        args = _last_layer("ex04.olg.hand", 4, 3, 3)
        got, trace = student.exercise(EX).traced(_OLG, *args)
        judge_output_grads(got, ref, *args)
        by_hand(student, EX, _OLG, trace)


# --- sgd_update ---------------------------------------------------------------


def judge_sgd(got: Any, weight: torch.Tensor, grad: torch.Tensor, lr: float, expected: Any) -> None:
    expect_form(got, weight.shape, what="sgd_update")
    if close(got, weight + lr * grad) and not close(expected, weight + lr * grad):
        raise CheckFailed("sgd_update moved uphill (weight + lr * grad); use weight - lr * grad")
    expect_tensor(got, expected, what="sgd_update", atol=1e-6, rtol=1e-5)


class TestSgdUpdate:
    @grade("sgd_update", 1, public=True)
    def test_values(self, student: Any) -> None:
        weight = torch.tensor([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
        grad = torch.tensor([[0.5, 0.5, -1.0], [2.0, 0.0, 1.0]])
        got = student.exercise(EX).call("sgd_update", weight, grad, 0.1)
        judge_sgd(got, weight, grad, 0.1, weight - 0.1 * grad)

    @grade("sgd_update", 1, public=True)
    def test_leaves_weight_and_grad_unchanged(self, student: Any) -> None:
        weight = torch.tensor([0.5, -1.0, 2.0, 0.0])
        grad = torch.tensor([1.0, 1.0, -2.0, 0.5])
        seen = student.exercise(EX).probe("core_call", "sgd_update", [weight, grad, 0.5])
        judge_sgd(seen["result"], weight, grad, 0.5, weight - 0.5 * grad)
        expect_unchanged(seen["args"][0], weight, what="sgd_update", argument="weight")
        expect_unchanged(seen["args"][1], grad, what="sgd_update", argument="grad")
        # a model's parameter tracks gradients; the updated value must not
        weight.requires_grad_()
        got = student.exercise(EX).call("sgd_update", weight, grad, 0.5)
        judge_sgd(got, weight.detach(), grad, 0.5, weight.detach() - 0.5 * grad)
        if got.requires_grad:
            raise CheckFailed(
                "sgd_update's result tracks gradients (requires_grad=True) when the weight "
                "does: compute the step under torch.no_grad() (or from weight.detach())"
            )

    @grade("sgd_update", 0.5)
    def test_values_on_other_shapes(self, student: Any, ref: Any) -> None:
        for name, shape, lr in (("ex04.sgd.matrix", (3, 5), 0.37), ("ex04.sgd.vector", (6,), 2.0)):
            weight, grad = inputs.logits(name, *shape), inputs.logits(name + "/g", *shape)
            got = student.exercise(EX).call("sgd_update", weight, grad, lr)
            judge_sgd(got, weight, grad, lr, ref(EX).sgd_update(weight, grad, lr).detach())


# --- gradients_of -------------------------------------------------------------

_GO = "gradients_of"
_CLASSIFIER = [["linear", 5, 4], ["linear", 4, 3]]
_REGRESSOR = [["linear", 6, 5], ["relu"], ["linear", 5, 3], ["relu"], ["linear", 3, 1]]


def _problem(name: str, layers: list[list[Any]], criterion: str, n: int) -> dict[str, Any]:
    spec = inputs.model_spec(name, layers)
    x = inputs.logits(name + "/x", n, layers[0][1], scale=1.0)
    if criterion == "cross_entropy":
        target = inputs.targets(name + "/t", n, layers[-1][2])
    else:
        target = inputs.logits(name + "/t", n, layers[-1][2])
    return {"model": spec, "criterion": criterion, "x": x, "target": target}


def expected_gradients(ref: Any, problem: dict[str, Any]) -> dict[str, torch.Tensor]:
    model = inputs.build(problem["model"])
    loss = build_criterion(problem["criterion"])
    grads = ref(EX).gradients_of(model, loss, problem["x"], problem["target"])
    return {name: g.detach().clone() for name, g in grads.items()}


def observe_gradients(student: Any, problem: dict[str, Any], calls: int = 2) -> dict[str, Any]:
    seen = student.exercise(EX).probe(
        "core_gradients_of",
        problem["model"],
        problem["criterion"],
        problem["x"],
        problem["target"],
        calls=calls,
    )
    for kind in seen["types"]:
        if kind != "dict":
            raise CheckFailed(f"{_GO} must return a dict {{name: gradient}}, got {kind}")
    return seen


def judge_gradients(
    got: Any, expected: dict[str, torch.Tensor], *, call: str, values: bool = True
) -> None:
    """Keys as ``model.named_parameters()``, then each gradient (its shape only, or values)."""
    if not isinstance(got, dict):
        raise CheckFailed(f"{_GO} must return a dict {{name: gradient}}, got {describe_type(got)}")
    missing = [name for name in expected if name not in got]
    extra = [name for name in got if name not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"misses {', '.join(missing)}")
        if extra:
            parts.append(f"has unexpected keys {', '.join(map(str, extra))}")
        raise CheckFailed(
            f"the dict returned by {_GO} {' and '.join(parts)}; use the names from "
            "model.named_parameters() (such as '0.weight')"
        )
    for name, value in expected.items():
        if got[name] is None:
            raise CheckFailed(f"{_GO} returned None for {name}{call}: run loss.backward() first")
        what = f"the gradient of {name}{call}"
        if values:
            expect_tensor(got[name], value, what=what, atol=1e-6, rtol=1e-4)
        else:
            expect_form(got[name], value.shape, what=what)


class TestGradientsOf:
    @grade(_GO, 1, public=True)
    def test_named_like_the_parameters(self, student: Any) -> None:
        problem = {
            "model": {"layers": [["linear", 3, 2], ["relu"], ["linear", 2, 2]]},
            "criterion": "cross_entropy",
            "x": torch.tensor([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]]),
            "target": torch.tensor([1, 0]),
        }
        got = observe_gradients(student, problem, calls=1)["results"][0]
        shapes = {"0.weight": (2, 3), "0.bias": (2,), "2.weight": (2, 2), "2.bias": (2,)}
        judge_gradients(got, {k: torch.zeros(v) for k, v in shapes.items()}, call="", values=False)

    @grade(_GO, 1.5)
    def test_values(self, student: Any, ref: Any) -> None:
        problem = _problem("ex04.grads.ce", _CLASSIFIER, "cross_entropy", 6)
        seen = observe_gradients(student, problem, calls=1)
        judge_gradients(seen["results"][0], expected_gradients(ref, problem), call="")

    @grade(_GO, 1.5)
    def test_second_call_gives_the_same_gradients(self, student: Any, ref: Any) -> None:
        problem = _problem("ex04.grads.twice", _CLASSIFIER, "cross_entropy", 5)
        expected = expected_gradients(ref, problem)
        first, second = observe_gradients(student, problem, calls=2)["results"]
        judge_gradients(first, expected, call="")
        doubled = isinstance(second, dict) and all(
            close(second.get(name), 2 * value) for name, value in expected.items()
        )
        if doubled:
            raise CheckFailed(
                f"the second call of {_GO} on the same model returned twice the gradients: "
                "backward() adds to .grad, so clear it first (model.zero_grad())",
                mistake="missing_zero_grad",
            )
        judge_gradients(second, expected, call=" on a second call")

    @grade(_GO, 1)
    def test_other_model_and_loss(self, student: Any, ref: Any) -> None:
        problem = _problem("ex04.grads.mse", _REGRESSOR, "mse", 7)
        seen = observe_gradients(student, problem, calls=1)
        judge_gradients(seen["results"][0], expected_gradients(ref, problem), call="")

    @grade(_GO, 1)
    def test_leaves_the_parameters_unchanged(self, student: Any, ref: Any) -> None:
        problem = _problem("ex04.grads.state", _CLASSIFIER, "cross_entropy", 4)
        seen = observe_gradients(student, problem, calls=1)
        judge_gradients(seen["results"][0], expected_gradients(ref, problem), call="")
        for name, before in problem["model"]["state"].items():
            after = seen["state"].get(name)
            if not isinstance(after, torch.Tensor) or not torch.equal(after, before):
                raise CheckFailed(
                    f"{_GO} changed the model's parameter {name}: it should only compute "
                    "gradients, not take an optimizer step",
                )
