"""Checks for tb02_reduce: masked_mean and standardize."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from grader.checklib.inputs import generator
from grader.compare import CheckFailed, expect_tensor

EX = "tb02_reduce"


def _seeded(name: str, *shape: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(*shape, generator=generator(name)) * scale


def _mask(name: str, n: int, k: int) -> torch.Tensor:
    mask = torch.rand(n, k, generator=generator(name)) < 0.5
    mask[:, 0] = True  # every row has at least one entry (the empty row has its own check)
    return mask


class TestMaskedMean:
    """Checks of `masked_mean`."""

    @pytest.mark.grade(exercise=EX, function="masked_mean", points=1, public=True)
    def test_small(self, student: Any) -> None:
        x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        mask = torch.tensor([[True, False, True], [False, True, False]])
        got = student.exercise(EX).call("masked_mean", x, mask)
        expect_tensor(got, torch.tensor([2.0, 5.0]), what="masked_mean(x, mask)")

    @pytest.mark.grade(exercise=EX, function="masked_mean", points=1)
    def test_hidden_values(self, student: Any, ref: Any) -> None:
        x, mask = _seeded("tb02.mm.x", 5, 6), _mask("tb02.mm.mask", 5, 6)
        got = student.exercise(EX).call("masked_mean", x, mask)
        expect_tensor(got, ref(EX).masked_mean(x, mask), what="masked_mean", rtol=1e-5, atol=1e-6)

    @pytest.mark.grade(exercise=EX, function="masked_mean", points=1)
    def test_empty_row_gives_zero(self, student: Any, ref: Any) -> None:
        x, mask = _seeded("tb02.mm.empty.x", 4, 3), _mask("tb02.mm.empty.mask", 4, 3)
        mask[2] = False
        got = student.exercise(EX).call("masked_mean", x, mask)
        if isinstance(got, torch.Tensor) and got.shape == (4,) and not bool(torch.isfinite(got[2])):
            raise CheckFailed(
                "masked_mean gave a non-finite value for a row with no True entry; "
                "such rows must give 0 (do not divide by a zero count)",
                mistake="empty_row_nan",
            )
        what = "masked_mean with an all-False mask row"
        expect_tensor(got, ref(EX).masked_mean(x, mask), what=what, rtol=1e-5, atol=1e-6)

    @pytest.mark.grade(exercise=EX, function="masked_mean", points=1)
    def test_inputs_unchanged(self, student: Any, ref: Any) -> None:
        x, mask = _seeded("tb02.mm.keep.x", 3, 5, scale=1e4), _mask("tb02.mm.keep.mask", 3, 5)
        seen = student.exercise(EX).probe("shapes_call_keeps_input", "masked_mean", [x, mask])
        expected = ref(EX).masked_mean(x, mask)
        expect_tensor(seen["result"], expected, what="masked_mean of large values", rtol=1e-4)
        for name, changed in zip(("x", "mask"), seen["changed"], strict=True):
            if changed:
                raise CheckFailed(
                    f"masked_mean changed its argument {name} in place; compute on new tensors",
                    mistake="input_mutated",
                )


class TestStandardize:
    """Checks of `standardize`."""

    @pytest.mark.grade(exercise=EX, function="standardize", points=1, public=True)
    def test_small(self, student: Any) -> None:
        x = torch.tensor([[1.0, 10.0], [3.0, 10.0]])
        got = student.exercise(EX).call("standardize", x)
        expected = torch.tensor([[-1.0, 0.0], [1.0, 0.0]]) / (1 + 1e-5)
        expect_tensor(got, expected, what="standardize(x)", rtol=1e-4, atol=1e-4)

    @pytest.mark.grade(exercise=EX, function="standardize", points=1)
    def test_hidden_values_and_eps(self, student: Any, ref: Any) -> None:
        handle = student.exercise(EX)
        x = _seeded("tb02.std.x", 7, 3, scale=2.0) + 1.0
        expect_tensor(
            handle.call("standardize", x),
            ref(EX).standardize(x),
            what="standardize",
            rtol=1e-4,
            atol=1e-5,
        )
        got = handle.call("standardize", x, eps=0.5)
        expect_tensor(
            got,
            ref(EX).standardize(x, eps=0.5),
            what="standardize(x, eps=0.5)",
            rtol=1e-4,
            atol=1e-5,
        )

    @pytest.mark.grade(exercise=EX, function="standardize", points=1)
    def test_large_non_contiguous(self, student: Any, ref: Any) -> None:
        x = _seeded("tb02.std.large", 4, 6, scale=1e3) + 1e4  # sent (4, 6), seen as (6, 4)
        seen = student.exercise(EX).probe("shapes_call_keeps_input", "standardize", [x], True)
        assert seen["contiguous"] == [False]
        expected = ref(EX).standardize(x.t().double()).float()
        what = "standardize of a transposed tensor of values near 1e4"
        expect_tensor(seen["result"], expected, what=what, rtol=1e-3, atol=1e-3)
