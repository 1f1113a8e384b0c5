"""grader.compare: the fixed order type, shape, dtype, finiteness, values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from grader.compare import (
    CheckFailed,
    describe_type,
    expect_equal,
    expect_scalar,
    expect_tensor,
    fmt_number,
)


def fails(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as info:
        fn(*args, **kwargs)
    assert str(info.value) == info.value.message
    return info.value.message


def test_check_failed_is_an_assertion_with_mistake() -> None:
    error = CheckFailed("boom", mistake="softmax_twice")
    assert isinstance(error, AssertionError)
    assert (error.message, error.mistake) == ("boom", "softmax_twice")
    assert CheckFailed("x").mistake is None


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (torch.zeros(2), "torch.Tensor"),
        ([1], "list"),
        ((1,), "tuple"),
        (1.0, "float"),
        (1, "int"),
        (True, "bool"),
        (None, "None"),
        (np.zeros(2), "numpy.ndarray"),
        (np.float32(1), "numpy.float32"),
        ({"a": 1}, "dict"),
    ],
)
def test_describe_type(value: object, name: str) -> None:
    assert describe_type(value) == name


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (0.12, "0.1200"),
        (1.0857, "1.0857"),
        (-5.17432, "-5.1743"),
        (0.0, "0"),
        (2e-7, "2.000e-07"),
        (123456.0, "1.235e+05"),
        (math.nan, "nan"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
    ],
)
def test_fmt_number(x: float, text: str) -> None:
    assert fmt_number(x) == text


# --- expect_tensor ---------------------------------------------------------


def test_returns_the_tensor_when_it_matches() -> None:
    expected = torch.tensor([[0.1, 0.9], [0.5, 0.5]])
    got = expected.clone() + 1e-7
    assert expect_tensor(got, expected, what="softmax_manual") is got


def test_type_is_checked_first() -> None:
    message = fails(expect_tensor, [0.1, 0.9], torch.zeros(2), what="softmax_manual")
    assert message == "softmax_manual must return a torch.Tensor, got list"
    message = fails(expect_tensor, np.zeros(2), torch.zeros(2), what="the dW of output_layer_grads")
    assert message == "the dW of output_layer_grads must be a torch.Tensor, got numpy.ndarray"


@pytest.mark.parametrize(
    ("got_shape", "expected_shape"),
    [((1,), (3,)), ((3, 1), (3,)), ((3,), (3, 1)), ((), (1,)), ((2, 3), (3, 2))],
)
def test_shapes_that_broadcast_are_rejected(got_shape, expected_shape) -> None:
    got, expected = torch.ones(got_shape), torch.ones(expected_shape)
    message = fails(expect_tensor, got, expected, what="predict_proba")
    assert f"shape {tuple(got_shape)} but expected {tuple(expected_shape)}" in message
    assert message.startswith("predict_proba returned shape")


def test_shape_hints() -> None:
    assert "transposed" in fails(expect_tensor, torch.ones(2, 3), torch.ones(3, 2), what="f")
    assert "view/reshape" in fails(expect_tensor, torch.ones(3, 1), torch.ones(3), what="f")
    assert "(" not in fails(expect_tensor, torch.ones(4), torch.ones(3), what="f").split(")")[-1]


def test_exact_dtype_names_both() -> None:
    message = fails(expect_tensor, torch.tensor([1, 2]), torch.tensor([1.0, 2.0]), what="one_hot")
    assert message == "one_hot returned dtype torch.int64 but expected torch.float32"
    message = fails(
        expect_tensor, torch.ones(2, dtype=torch.float64), torch.ones(2), what="one_hot"
    )
    assert "torch.float64 but expected torch.float32" in message


def test_floating_policy_accepts_any_float_and_compares_in_float64() -> None:
    expected = torch.tensor([1.0, 2.0])
    for dt in (torch.float16, torch.float64, torch.bfloat16):
        expect_tensor(expected.to(dt), expected, what="f", dtype="floating", atol=1e-2)
    message = fails(expect_tensor, torch.tensor([1, 2]), expected, what="f", dtype="floating")
    assert "torch.int64 but expected a floating-point tensor" in message
    with pytest.raises(ValueError, match="dtype policy"):
        expect_tensor(expected, expected, what="f", dtype="close")


def test_nan_is_rejected_even_where_a_tolerance_check_would_pass() -> None:
    expected = torch.tensor([[0.2, 0.8], [0.5, 0.5]])
    got = expected.clone()
    got[1, 0] = math.nan
    # the naive "not (error > tol)" test lets NaN through: show it, then show we don't
    assert not bool(((got - expected).abs() > 1e-6).any())
    message = fails(expect_tensor, got, expected, what="softmax_manual", atol=1.0)
    assert message == "softmax_manual returned nan at index (1, 0) (1 of 4 values are not finite)"


def test_inf_is_rejected() -> None:
    got = torch.tensor([0.0, math.inf, -math.inf])
    message = fails(expect_tensor, got, torch.zeros(3), what="log_probs")
    assert "returned inf at index (1,)" in message and "2 of 3" in message


def test_non_finite_accepted_only_where_expected_and_equal_nan() -> None:
    expected = torch.tensor([math.nan, math.inf, 1.0])
    same = expected.clone()
    assert expect_tensor(same, expected, what="f", equal_nan=True) is same
    fails(expect_tensor, same, expected, what="f")  # equal_nan off: rejected
    wrong_sign = torch.tensor([math.nan, -math.inf, 1.0])
    assert "-inf at index (1,)" in fails(
        expect_tensor, wrong_sign, expected, what="f", equal_nan=True
    )
    finite = torch.tensor([0.0, math.inf, 1.0])
    assert "values differ" in fails(expect_tensor, finite, expected, what="f", equal_nan=True)


def test_values_message_shows_max_error_index_and_tolerance() -> None:
    expected = torch.zeros(2, 3)
    expected[1, 2] = 0.43
    got = expected.clone()
    got[1, 2] = 0.12
    got[0, 0] = 0.01
    message = fails(expect_tensor, got, expected, what="softmax_manual")
    assert message == (
        "softmax_manual: values differ: max abs error 0.3100 at index (1, 2) "
        "(got 0.1200, expected 0.4300); tolerance atol=1e-06, rtol=1e-05; 2 of 6 values differ"
    )


def test_values_close_in_four_decimals_are_shown_with_more_digits() -> None:
    message = fails(expect_tensor, torch.tensor([0.43002]), torch.tensor([0.43]), what="f")
    assert "got 0.43002" in message and "expected 0.43" in message


def test_zero_d_values_message_has_no_index() -> None:
    message = fails(expect_tensor, torch.tensor(1.0857), torch.tensor(1.0591), what="ce")
    assert "at index" not in message and "got 1.0857, expected 1.0591" in message


def test_tolerances_are_respected() -> None:
    expected = torch.tensor([100.0])
    expect_tensor(torch.tensor([100.0009]), expected, what="f", rtol=1e-5, atol=0)
    fails(expect_tensor, torch.tensor([100.0011]), expected, what="f", rtol=1e-5, atol=0)


def test_huge_tensor_message_stays_short() -> None:
    expected = torch.zeros(1000, 1000)
    message = fails(expect_tensor, torch.ones(1000, 1000), expected, what="f")
    assert len(message) < 250 and "1000000 of 1000000" in message
    nan = torch.full((1000, 1000), math.nan)
    assert len(fails(expect_tensor, nan, expected, what="f")) < 200
    assert len(fails(expect_tensor, torch.zeros(999, 1000), expected, what="f")) < 200


def test_empty_tensors_match_by_shape() -> None:
    assert expect_tensor(torch.zeros(0, 3), torch.zeros(0, 3), what="f").shape == (0, 3)


# --- expect_scalar ----------------------------------------------------------


def test_scalar_kinds() -> None:
    assert expect_scalar(1.0591, 1.0591, what="train_step") == 1.0591
    assert expect_scalar(3, 3.0, what="f", kinds=("int",)) == 3.0
    assert expect_scalar(torch.tensor(2.5), 2.5, what="f", kinds=("tensor0d",)) == 2.5
    assert expect_scalar(torch.tensor([2.5]), 2.5, what="f", kinds=("tensor0d",)) == 2.5


def test_scalar_type_messages() -> None:
    message = fails(expect_scalar, torch.tensor(1.0), 1.0, what="train_step")
    assert message == (
        "train_step must return a Python float, got torch.Tensor "
        "(use .item() to turn a one-element tensor into a Python number)"
    )
    assert "got bool" in fails(expect_scalar, True, 1.0, what="f", kinds=("int", "float"))
    assert "got int" in fails(expect_scalar, 1, 1.0, what="f")
    message = fails(expect_scalar, "1", 1.0, what="f", kinds=("float", "tensor0d"))
    assert message == "f must return a Python float or a 0-d torch.Tensor, got str"
    message = fails(expect_scalar, torch.ones(3), 1.0, what="mse_manual", kinds=("tensor0d",))
    assert "shape (3,) but expected a single number" in message
    with pytest.raises(ValueError):
        expect_scalar(1.0, 1.0, what="f", kinds=("double",))


def test_scalar_nan_and_values() -> None:
    assert "nan, not a finite number" in fails(expect_scalar, math.nan, 1.0, what="f", atol=1e9)
    message = fails(expect_scalar, 1.0857, 1.0591, what="cross_entropy_manual")
    assert message == (
        "cross_entropy_manual returned 1.0857 but expected 1.0591 "
        "(abs error 0.0266; tolerance atol=1e-06, rtol=1e-05)"
    )


# --- expect_equal -------------------------------------------------------------


def test_equal_accepts_equal_values() -> None:
    expect_equal(3, 3, what="f")
    expect_equal([1, (2, "a")], [1, (2, "a")], what="f")


def test_equal_is_strict_about_types() -> None:
    assert fails(expect_equal, True, 1, what="f") == "f must return int, got bool"
    assert fails(expect_equal, [1, 2], (1, 2), what="f") == "f must return tuple, got list"
    assert "f[1] is float 2.0 but expected int 2" in fails(expect_equal, [1, 2.0], [1, 2], what="f")


def test_equal_names_first_difference() -> None:
    assert fails(expect_equal, 80, 81, what="calculate_capacity") == (
        "calculate_capacity returned 80 but expected 81"
    )
    assert fails(expect_equal, [0, 2, 1], [0, 2, 2], what="f") == "f[2] is 1 but expected 2"
    assert "has 2 items but expected 3" in fails(expect_equal, [0, 2], [0, 2, 2], what="f")
    long = fails(expect_equal, "x" * 500, "y", what="f")
    assert len(long) < 200
