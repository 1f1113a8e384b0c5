"""Hidden checks for ex01_multiclass: multiclass classification (14 points)."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from grader.checklib import (
    by_hand,
    expect_form,
    expect_linear_stack,
    expect_seeded_state,
    expect_unchanged,
    finite_or_unstable,
    inputs,
    lesson_constant,
    rows_sum_to_one,
)
from grader.checklib.cache import memo
from grader.compare import CheckFailed, expect_scalar, expect_tensor, fmt_number

EX = "ex01_multiclass"


def grade(function: str, points: float, *, public: bool = False) -> pytest.MarkDecorator:
    return pytest.mark.grade(exercise=EX, function=function, points=points, public=public)


# --- build_multiclass_net -------------------------------------------------


class TestBuildMulticlassNet:
    @grade("build_multiclass_net", 1, public=True)
    def test_two_linear_layers(self, student: Any) -> None:
        ex = student.exercise(EX)
        report = ex.probe("core_build_net", "build_multiclass_net", {})
        expect_linear_stack(report, (5, 4, 3), call="build_multiclass_net()")
        kwargs = {"n_features": 7, "n_hidden": 6, "n_classes": 2}
        report = ex.probe("core_build_net", "build_multiclass_net", kwargs)
        expect_linear_stack(report, (7, 6, 2), call="build_multiclass_net(7, 6, 2)")

    @grade("build_multiclass_net", 1)
    def test_seed_reproduces_torch_initialisation(self, student: Any, ref: Any) -> None:
        sizes = (6, 5, 4)
        # seed 0 under a worker generator seeded otherwise: `if seed:` skips seeding
        worker = inputs.worker_seed("ex01.build.worker")
        for seed in (inputs.seed_for("ex01.build.seed"), 0):
            kwargs = {"n_features": 6, "n_hidden": 5, "n_classes": 4, "seed": seed}
            report = student.exercise(EX).probe(
                "core_build_net", "build_multiclass_net", kwargs, seed=worker
            )
            call = f"build_multiclass_net(6, 5, 4, seed={'...' if seed else 0})"
            expect_linear_stack(report, sizes, call=call)
            expect_seeded_state(
                report["state"],
                ref(EX).build_multiclass_net,
                sizes,
                seed,
                lesson_seed=ref(EX).LESSON_SEED,
                call=call,
            )

    @grade("build_multiclass_net", 1)
    def test_output_is_two_stacked_linear_maps(self, student: Any) -> None:
        x = inputs.logits("ex01.build.x", 9, 7)
        kwargs = {"n_features": 7, "n_hidden": 3, "n_classes": 5}
        report = student.exercise(EX).probe("core_build_net", "build_multiclass_net", kwargs, x)
        call = "build_multiclass_net(7, 3, 5)"
        expect_linear_stack(report, (7, 3, 5), call=call)
        if report["out_error"]:
            raise CheckFailed(f"running {call} on a (9, 7) batch raised {report['out_error']}")
        state = report["state"]
        hidden = x @ state["0.weight"].T + state["0.bias"]
        expected = hidden @ state["1.weight"].T + state["1.bias"]
        expect_tensor(report["out"], expected, what=f"the output of {call}", atol=1e-5, rtol=1e-4)


# --- predict_proba ----------------------------------------------------------


@memo
def _proba(module: Any, name: str, shape: tuple[int, ...]) -> torch.Tensor:
    return module.predict_proba(inputs.logits(name, *shape, scale=3.0)).detach()


class TestPredictProba:
    @grade("predict_proba", 1, public=True)
    def test_rows_sum_to_one(self, student: Any) -> None:
        logits = torch.tensor(
            [[2.0, 1.0, 0.1], [0.0, 0.0, 0.0], [-1.0, 3.0, 0.5], [5.0, -5.0, 0.0],
             [0.3, 0.2, 0.1], [1.0, 2.0, 3.0]]
        )  # fmt: skip
        got = student.exercise(EX).call("predict_proba", logits)
        expect_form(got, (6, 3), what="predict_proba")
        rows_sum_to_one(got, what="predict_proba")
        if not torch.equal(got.argmax(dim=-1), logits.argmax(dim=-1)):
            raise CheckFailed("predict_proba changed which class has the largest score")

    @grade("predict_proba", 1)
    def test_values_over_last_dimension(self, student: Any, ref: Any) -> None:
        for name, shape in (("ex01.proba.2d", (7, 5)), ("ex01.proba.3d", (2, 3, 4))):
            x = inputs.logits(name, *shape, scale=3.0)
            got = student.exercise(EX).call("predict_proba", x)
            expect_tensor(got, _proba(ref(EX), name, shape), what="predict_proba", atol=1e-6)


# --- predict_classes --------------------------------------------------------


class TestPredictClasses:
    @grade("predict_classes", 0.5, public=True)
    def test_int64_of_shape_n(self, student: Any) -> None:
        classes = torch.tensor([1, 0, 3, 3, 2])
        scores = torch.full((5, 4), -1.0)
        scores[torch.arange(5), classes] = 2.0
        got = student.exercise(EX).call("predict_classes", scores)
        expect_tensor(got, classes, what="predict_classes")

    @grade("predict_classes", 1)
    def test_values(self, student: Any, ref: Any) -> None:
        lesson = torch.tensor([0, 2, 0, 1])
        for name, n, k in (("ex01.classes.four", 4, 3), ("ex01.classes.seven", 7, 5)):
            scores = inputs.distinct_scores(name, n, k)
            expected = ref(EX).predict_classes(scores)
            got = student.exercise(EX).call("predict_classes", scores)
            lesson_constant(got, lesson, expected, what="predict_classes")
            expect_tensor(got, expected, what="predict_classes")
        # the classes sit in the last dimension whatever the rank: argmax(dim=1) is not that
        scores = inputs.distinct_scores("ex01.classes.3d", 12, 5).reshape(3, 4, 5)
        got = student.exercise(EX).call("predict_classes", scores)
        what = "predict_classes of a (3, 4, 5) batch (classes in the last dimension)"
        expect_tensor(got, ref(EX).predict_classes(scores), what=what)


# --- as_row -----------------------------------------------------------------


class TestAsRow:
    @grade("as_row", 0.5, public=True)
    def test_shape_one_by_n(self, student: Any) -> None:
        t = torch.arange(5.0)
        got = student.exercise(EX).call("as_row", t)
        expect_tensor(got, t.view(1, -1), what="as_row")

    @grade("as_row", 1)
    def test_values_and_dtype_kept(self, student: Any, ref: Any) -> None:
        for t in (inputs.logits("ex01.as_row", 7), torch.tensor([3, 1, 4, 1, 5, 9])):
            got = student.exercise(EX).call("as_row", t)
            expect_tensor(got, ref(EX).as_row(t), what="as_row", atol=0, rtol=0)


# --- one_hot ----------------------------------------------------------------


def expect_one_hot(got: Any, expected: torch.Tensor) -> None:
    """float32 0/1 rows: tensors are float32 unless the sheet says otherwise."""
    if isinstance(got, torch.Tensor) and got.dtype != torch.float32:
        raise CheckFailed(
            f"one_hot returned dtype {got.dtype}; the rows must be float32 (F.one_hot gives "
            "int64: convert with .float())"
        )
    expect_tensor(got, expected, what="one_hot", atol=0, rtol=0)


class TestOneHot:
    @grade("one_hot", 0.5, public=True)
    def test_rows_of_zeros_and_ones(self, student: Any) -> None:
        target = torch.tensor([2, 0, 1, 2])
        got = student.exercise(EX).call("one_hot", target, 3)
        expect_one_hot(got, torch.eye(3)[target])

    @grade("one_hot", 1)
    def test_num_classes_beyond_the_largest_target(self, student: Any, ref: Any) -> None:
        target = inputs.targets("ex01.one_hot", 9, 4)
        got = student.exercise(EX).call("one_hot", target, num_classes=6)
        expected = ref(EX).one_hot(target, 6)
        if isinstance(got, torch.Tensor) and got.shape == (9, 4):
            raise CheckFailed(
                "one_hot returned 4 columns for num_classes=6: use num_classes, not the "
                "largest target + 1"
            )
        expect_one_hot(got, expected)


# --- cross_entropy_manual ---------------------------------------------------

_CE = "cross_entropy_manual"


@memo
def _ce(module: Any, logits: tuple[tuple[float, ...], ...], target: tuple[int, ...]) -> float:
    return float(module.cross_entropy_manual(torch.tensor(logits), torch.tensor(target)))


def expected_ce(ref: Any, logits: torch.Tensor, target: torch.Tensor) -> float:
    """The reference cross-entropy, memoised on the input's values."""
    return _ce(ref(EX), tuple(map(tuple, logits.tolist())), tuple(target.tolist()))


def judge_ce(got: Any, ref: Any, logits: torch.Tensor, target: torch.Tensor) -> None:
    """Compare a cross-entropy, naming the lesson's mistakes before the plain mismatch."""
    expected = expected_ce(ref, logits, target)
    value = expect_scalar(got, expected, what=_CE, kinds=("tensor0d",), atol=math.inf)
    name_softmax_twice(value, expected, logits, target)
    for printed in (1.0591, 1.0857):
        if _near(value, printed, 5e-5) and not _near(expected, printed, 5e-4):
            raise CheckFailed(
                f"{_CE} returned the lesson's printed {printed} for a different input: "
                "compute it from the arguments",
                mistake="lesson_constant",
            )
    n = logits.shape[0]
    if n > 1 and _near(value, expected * n) and not _near(value, expected):
        raise CheckFailed(
            f"{_CE} returned {fmt_number(value)}, the sum over the {n} samples; "
            f"the loss is their mean ({fmt_number(expected)})"
        )
    expect_scalar(got, expected, what=_CE, kinds=("tensor0d",), atol=1e-5, rtol=1e-4)


def name_softmax_twice(
    value: float, expected: float, logits: torch.Tensor, target: torch.Tensor
) -> None:
    """Name ``softmax_twice`` when the value is the cross-entropy of softmax(logits)."""
    twice = float(torch.nn.functional.cross_entropy(torch.softmax(logits, dim=-1), target))
    if _near(value, twice) and not _near(expected, twice):
        raise CheckFailed(
            f"{_CE} looks like softmax was applied before cross-entropy (softmax twice, like "
            f"the lesson's 1.0857 instead of 1.0591): got {fmt_number(value)} but expected "
            f"{fmt_number(expected)}; cross-entropy takes raw logits",
            mistake="softmax_twice",
        )


def _near(a: float, b: float, tol: float = 1e-4) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))


class TestCrossEntropyManual:
    @grade(_CE, 0.5, public=True)
    def test_uniform_logits_give_log_k(self, student: Any) -> None:
        logits, target = torch.zeros(4, 3), torch.tensor([0, 1, 2, 1])
        got = student.exercise(EX).call(_CE, logits, target)
        expect_scalar(got, math.log(3), what=_CE, kinds=("tensor0d",), atol=1e-5)

    @grade(_CE, 0.5, public=True)
    def test_confident_right_answers_cost_little(self, student: Any) -> None:
        target = torch.tensor([3, 0, 2, 1, 3])
        logits = 10 * torch.eye(4)[target]
        got = student.exercise(EX).call(_CE, logits, target)
        expected = math.log(1 + 3 * math.exp(-10))  # every row: softmax gives e^10 / (e^10 + 3)
        value = expect_scalar(got, expected, what=_CE, kinds=("tensor0d",), atol=math.inf)
        name_softmax_twice(value, expected, logits, target)
        expect_scalar(got, expected, what=_CE, kinds=("tensor0d",), atol=1e-6, rtol=1e-3)

    @grade(_CE, 1)
    def test_values(self, student: Any, ref: Any) -> None:
        for name, n, k in (("ex01.ce.a", 6, 4), ("ex01.ce.b", 4, 3)):
            logits, target = inputs.logits(name, n, k), inputs.targets(name, n, k)
            judge_ce(student.exercise(EX).call(_CE, logits, target), ref, logits, target)

    @grade(_CE, 1)
    def test_large_logits(self, student: Any, ref: Any) -> None:
        base = inputs.logits("ex01.ce.large", 5, 4)
        target = inputs.targets("ex01.ce.large", 5, 4)
        # the same logits in the usual range first: a mistake there is not about overflow
        judge_ce(student.exercise(EX).call(_CE, base, target), ref, base, target)
        spread = torch.tensor([[0.0, 200.0, -200.0], [150.0, -150.0, 0.0], [1000.0, 0.0, -1000.0]])
        cases = [
            (base + 1000.0, target),  # exp overflows to inf here
            (spread, torch.tensor([2, 1, 1])),  # log(softmax) underflows to -inf here
        ]
        for logits, labels in cases:
            got = student.exercise(EX).call(_CE, logits, labels)
            finite_or_unstable(got, what=_CE)
            try:
                judge_ce(got, ref, logits, labels)
            except CheckFailed as failed:
                if failed.mistake is not None:
                    raise
                raise CheckFailed(
                    f"{failed.message}; at logits near 1000 precision is lost unless each row's "
                    "max is subtracted before exp (or log-sum-exp is used)",
                    mistake="unstable_softmax",
                ) from None

    @grade(_CE, 0.5)
    def test_leaves_logits_unchanged(self, student: Any, ref: Any) -> None:
        logits = inputs.logits("ex01.ce.unchanged", 5, 3) + 4.0
        target = inputs.targets("ex01.ce.unchanged", 5, 3)
        seen = student.exercise(EX).probe("core_call", _CE, [logits, target])
        judge_ce(seen["result"], ref, logits, target)
        expect_unchanged(seen["args"][0], logits, what=_CE, argument="logits")
        expect_unchanged(seen["args"][1], target, what=_CE, argument="target")

    @grade(_CE, 1)
    def test_by_hand(self, student: Any, ref: Any) -> None:
        logits, target = inputs.logits("ex01.ce.hand", 3, 3), inputs.targets("ex01.ce.hand", 3, 3)
        got, trace = student.exercise(EX).traced(_CE, logits, target)
        judge_ce(got, ref, logits, target)
        by_hand(student, EX, _CE, trace)
