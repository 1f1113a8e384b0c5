"""Checks for tb01_shapes: flatten_rows and pairwise_sq_dist.

Public checks (``public=True``) use fixed inputs and ship to students; the
hidden ones draw seeded inputs from ``seed.txt`` and compare with the
reference solution.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from grader.checklib import by_hand
from grader.checklib.inputs import generator
from grader.compare import CheckFailed, expect_tensor

EX = "tb01_shapes"


def _seeded(name: str, *shape: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(*shape, generator=generator(name)) * scale


class TestFlattenRows:
    """Checks of `flatten_rows`."""

    @pytest.mark.grade(exercise=EX, function="flatten_rows", points=1, public=True)
    def test_three_dims(self, student: Any) -> None:
        x = torch.arange(24.0).reshape(4, 3, 2)
        got = student.exercise(EX).call("flatten_rows", x)
        expect_tensor(got, torch.arange(24.0).reshape(4, 6), what="flatten_rows(x) for x (4, 3, 2)")

    @pytest.mark.grade(exercise=EX, function="flatten_rows", points=1)
    def test_hidden_shapes(self, student: Any, ref: Any) -> None:
        handle = student.exercise(EX)
        for i, shape in enumerate(((5, 2, 3, 2), (3, 7), (1, 4, 1))):
            x = _seeded(f"tb01.flatten.{i}", *shape)
            expected = ref(EX).flatten_rows(x)
            expect_tensor(handle.call("flatten_rows", x), expected, what=f"flatten_rows of {shape}")

    @pytest.mark.grade(exercise=EX, function="flatten_rows", points=0.5)
    def test_non_contiguous(self, student: Any, ref: Any) -> None:
        x = _seeded("tb01.flatten.transposed", 3, 4, 5).transpose(0, 2)  # (5, 4, 3)
        # The probe hands x to the function as a non-contiguous view (as a transpose makes).
        seen = student.exercise(EX).probe(
            "shapes_call_keeps_input", "flatten_rows", [x.transpose(0, -1).contiguous()], True
        )
        assert seen["contiguous"] == [False]
        what = "flatten_rows of a transposed (non-contiguous) tensor"
        expect_tensor(seen["result"], ref(EX).flatten_rows(x), what=what)

    @pytest.mark.grade(exercise=EX, function="flatten_rows", points=0.5)
    def test_input_unchanged(self, student: Any, ref: Any) -> None:
        x = _seeded("tb01.flatten.unchanged", 2, 3, 4)
        seen = student.exercise(EX).probe("shapes_call_keeps_input", "flatten_rows", [x])
        expect_tensor(seen["result"], ref(EX).flatten_rows(x), what="flatten_rows")
        if seen["changed"][0]:
            raise CheckFailed(
                "flatten_rows changed its argument x in place; return a new view or tensor",
                mistake="input_mutated",
            )


class TestPairwiseSqDist:
    """Checks of `pairwise_sq_dist`."""

    @pytest.mark.grade(exercise=EX, function="pairwise_sq_dist", points=1, public=True)
    def test_small(self, student: Any) -> None:
        a = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
        b = torch.tensor([[0.0, 2.0], [3.0, 4.0], [1.0, 0.0]])
        expected = torch.tensor([[4.0, 25.0, 1.0], [5.0, 20.0, 0.0]])
        got = student.exercise(EX).call("pairwise_sq_dist", a, b)
        expect_tensor(got, expected, what="pairwise_sq_dist(a, b)", rtol=1e-5, atol=1e-5)

    @pytest.mark.grade(exercise=EX, function="pairwise_sq_dist", points=1)
    def test_hidden_values(self, student: Any, ref: Any) -> None:
        a, b = _seeded("tb01.dist.a", 6, 3), _seeded("tb01.dist.b", 4, 3)
        got = student.exercise(EX).call("pairwise_sq_dist", a, b)
        expected = ref(EX).pairwise_sq_dist(a, b)
        expect_tensor(got, expected, what="pairwise_sq_dist (6, 3) x (4, 3)", rtol=1e-4, atol=1e-4)

    @pytest.mark.grade(exercise=EX, function="pairwise_sq_dist", points=0.5)
    def test_large_values(self, student: Any, ref: Any) -> None:
        a = _seeded("tb01.dist.large.a", 3, 2, scale=1e3) + 1e4
        b = _seeded("tb01.dist.large.b", 5, 2, scale=1e3) + 1e4
        got = student.exercise(EX).call("pairwise_sq_dist", a, b)
        expected = ref(EX).pairwise_sq_dist(a.double(), b.double()).float()
        expect_tensor(
            got, expected, what="pairwise_sq_dist of values near 1e4", rtol=1e-3, atol=1.0
        )

    @pytest.mark.grade(exercise=EX, function="pairwise_sq_dist", points=1.5)
    def test_by_hand(self, student: Any, ref: Any) -> None:
        a, b = _seeded("tb01.dist.hand.a", 2, 4), _seeded("tb01.dist.hand.b", 3, 4)
        got, trace = student.exercise(EX).traced("pairwise_sq_dist", a, b)
        expected = ref(EX).pairwise_sq_dist(a, b)
        expect_tensor(got, expected, what="pairwise_sq_dist", rtol=1e-4, atol=1e-4)
        by_hand(student, EX, "pairwise_sq_dist", trace)
