"""Judging values in the parent: type, shape, dtype, finiteness, then values.

Every helper stops at the first mismatch and raises :class:`CheckFailed` with a
message written for the student ("normalize_rows returned shape (3,) but
expected (3, 1)"). The checks in ``grader/checks`` only ever compare values
that came back through the codec, so nothing here calls ``repr`` or ``==`` on
an object the student built: decoded values are plain tensors, numbers,
strings and containers.

Shapes are compared exactly (``allclose`` would accept ``(1,)`` against
``(3,)``), and the value test is written so that NaN fails it: an element
passes only when ``|got - expected| <= atol + rtol * |expected|`` is *true*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

__all__ = [
    "CheckFailed",
    "describe_type",
    "expect_equal",
    "expect_scalar",
    "expect_tensor",
    "fmt_number",
]

_MAX_TEXT = 80  # longest repr of a small value quoted in a message
_SCALAR_KINDS = {"float", "int", "tensor0d"}
_KIND_WORDS = {"float": "a Python float", "int": "a Python int", "tensor0d": "a 0-d torch.Tensor"}


class CheckFailed(AssertionError):
    """A hidden check found the student's answer wrong.

    ``message`` is shown to the student as is. ``mistake`` names a lesson
    mistake the check recognised (``"softmax_twice"``, ``"shortcut_used:F.softmax"``),
    so reports and statistics can group submissions by it.
    """

    def __init__(self, message: str, *, mistake: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.mistake = mistake


def describe_type(value: object) -> str:
    """Name the type of ``value`` the way a student would write it.

    ``torch.Tensor``, ``numpy.ndarray``, ``list``, ``float``, ``None``; other
    classes by ``module.qualname`` (builtins without the module).
    """
    if value is None:
        return "None"
    if isinstance(value, torch.Tensor):
        return "torch.Tensor"
    cls = type(value)
    module = cls.__module__
    if module == "builtins":
        return cls.__qualname__
    return f"{module.split('.')[0]}.{cls.__qualname__}"


def fmt_number(x: float) -> str:
    """Format a number for a message: 4 decimals in the usual range, else scientific.

    ``0.12`` → ``0.1200``, ``1.0857`` → ``1.0857``, ``2e-07`` → ``2.000e-07``,
    ``nan`` → ``nan``, ``-inf`` → ``-inf``, ``0`` → ``0``.
    """
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.4f}"
    return f"{x:.3e}"


def expect_tensor(
    got: object,
    expected: torch.Tensor,
    *,
    what: str,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    dtype: str = "exact",
    equal_nan: bool = False,
) -> torch.Tensor:
    """Check that ``got`` is a tensor like ``expected``; return it.

    Checks in a fixed order and stops at the first mismatch: type, shape
    (exact, no broadcasting), dtype (``"exact"``, or ``"floating"``: any
    floating dtype, compared in float64), finiteness (NaN/Inf only where
    ``expected`` has the same value and ``equal_nan`` is set), then values
    within ``atol + rtol * |expected|``. ``what`` names the function
    (``"normalize_rows"``) or the value (``"the dW returned by grads_by_hand"``).
    """
    if dtype not in ("exact", "floating"):
        raise ValueError(f"dtype policy must be 'exact' or 'floating', not {dtype!r}")
    if not isinstance(got, torch.Tensor):
        raise CheckFailed(f"{_must(what)} a torch.Tensor, got {describe_type(got)}")
    if tuple(got.shape) != tuple(expected.shape):
        raise CheckFailed(
            f"{_returned(what)} shape {_shape(got.shape)} but expected "
            f"{_shape(expected.shape)}{_shape_hint(got.shape, expected.shape)}"
        )
    _check_dtype(got, expected, what=what, policy=dtype)
    if got.numel() == 0:
        return got
    got64, exp64 = _as_float64(got), _as_float64(expected)
    _check_finite(got64, exp64, what=what, equal_nan=equal_nan)
    _check_values(got64, exp64, what=what, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return got


def expect_scalar(
    got: object,
    expected: float,
    *,
    what: str,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    kinds: tuple[str, ...] = ("float",),
) -> float:
    """Check that ``got`` is a number of one of ``kinds`` close to ``expected``; return it.

    ``kinds`` is drawn from ``"float"`` (a Python float), ``"int"`` (a Python
    int, never a bool) and ``"tensor0d"`` (a tensor holding one number, 0-d or
    one element). Returns the value as a Python float.
    """
    unknown = set(kinds) - _SCALAR_KINDS
    if unknown or not kinds:
        raise ValueError(f"kinds must be drawn from {sorted(_SCALAR_KINDS)}, got {kinds!r}")
    value = _scalar_value(got, what=what, kinds=kinds)
    if math.isnan(value) or math.isinf(value):
        if value == expected:  # the same infinity was asked for
            return value
        raise CheckFailed(f"{_returned(what)} {fmt_number(value)}, not a finite number")
    error = abs(value - expected)
    if not error <= atol + rtol * abs(expected):
        shown_got, shown_exp = _pair(value, expected)
        raise CheckFailed(
            f"{_returned(what)} {shown_got} but expected {shown_exp} "
            f"(abs error {fmt_number(error)}; tolerance atol={atol:g}, rtol={rtol:g})"
        )
    return value


def expect_equal(got: object, expected: object, *, what: str) -> None:
    """Check exact equality for ints, bools, strings and small lists/tuples of them.

    Types must match exactly (``True`` is not ``1``, a list is not a tuple);
    for sequences the message names the first differing item.
    """
    _equal(got, expected, what=what, path="")


# --- helpers ---------------------------------------------------------------


def _must(what: str) -> str:
    """``"f must return"`` for a function name, ``"the dW ... must be"`` for a value."""
    return f"{what} must return" if what.isidentifier() else f"{what} must be"


def _returned(what: str) -> str:
    return f"{what} returned" if what.isidentifier() else f"{what} is"


def _shape(shape: Sequence[int]) -> str:
    return str(tuple(int(n) for n in shape))


def _shape_hint(got: Sequence[int], expected: Sequence[int]) -> str:
    """A short hint for the shape mistakes students make most."""
    got, expected = tuple(got), tuple(expected)
    if math.prod(got) == math.prod(expected):
        if tuple(reversed(got)) == expected and len(got) == 2:
            return " (transposed?)"
        return " (same number of values: check view/reshape/squeeze)"
    return ""


def _check_dtype(got: torch.Tensor, expected: torch.Tensor, *, what: str, policy: str) -> None:
    if policy == "exact":
        if got.dtype != expected.dtype:
            raise CheckFailed(f"{_returned(what)} dtype {got.dtype} but expected {expected.dtype}")
    elif not got.dtype.is_floating_point:
        raise CheckFailed(
            f"{_returned(what)} dtype {got.dtype} but expected a floating-point tensor "
            f"(such as {expected.dtype})"
        )


def _as_float64(t: torch.Tensor) -> torch.Tensor:
    if t.dtype.is_complex:
        raise TypeError("complex tensors are not compared")
    return t.detach().to(device="cpu", dtype=torch.float64)


def _index(flat: int, shape: Sequence[int]) -> tuple[int, ...]:
    out: list[int] = []
    for size in reversed(tuple(shape)):
        out.append(flat % size)
        flat //= size
    return tuple(reversed(out))


def _at(flat: int, shape: Sequence[int]) -> str:
    return f" at index {_index(flat, shape)}" if len(shape) else ""


def _check_finite(got: torch.Tensor, exp: torch.Tensor, *, what: str, equal_nan: bool) -> None:
    bad = ~torch.isfinite(got)
    if equal_nan:
        same_nan = torch.isnan(got) & torch.isnan(exp)
        same_inf = torch.isinf(got) & (got == exp)
        bad &= ~(same_nan | same_inf)
    count = int(bad.sum())
    if count == 0:
        return
    flat = int(torch.nonzero(bad.reshape(-1))[0])
    value = fmt_number(float(got.reshape(-1)[flat]))
    total = got.numel()
    many = f" ({count} of {total} values are not finite)" if total > 1 else ""
    raise CheckFailed(f"{_returned(what)} {value}{_at(flat, got.shape)}{many}")


def _check_values(
    got: torch.Tensor,
    exp: torch.Tensor,
    *,
    what: str,
    rtol: float,
    atol: float,
    equal_nan: bool,
) -> None:
    error = (got - exp).abs()
    ok = error <= atol + rtol * exp.abs()  # NaN compares False, so it never passes
    if equal_nan:
        ok |= (torch.isnan(got) & torch.isnan(exp)) | (torch.isinf(got) & (got == exp))
    bad = ~ok
    count = int(bad.sum())
    if count == 0:
        return
    # the worst failing element; a NaN error (finite got, non-finite expected) counts as worst
    scored = torch.where(bad, torch.nan_to_num(error, nan=math.inf), torch.zeros_like(error))
    flat = int(torch.argmax(scored.reshape(-1)))
    g, e = float(got.reshape(-1)[flat]), float(exp.reshape(-1)[flat])
    shown_got, shown_exp = _pair(g, e)
    total = got.numel()
    tail = f"; {count} of {total} values differ" if total > 1 else ""
    raise CheckFailed(
        f"{what}: values differ: max abs error {fmt_number(abs(g - e))}{_at(flat, got.shape)} "
        f"(got {shown_got}, expected {shown_exp}); tolerance atol={atol:g}, rtol={rtol:g}{tail}"
    )


def _pair(got: float, expected: float) -> tuple[str, str]:
    """Format two numbers so that they visibly differ."""
    a, b = fmt_number(got), fmt_number(expected)
    if a == b:
        a, b = f"{got:.8g}", f"{expected:.8g}"
    return a, b


def _scalar_value(got: object, *, what: str, kinds: tuple[str, ...]) -> float:
    if isinstance(got, bool):
        pass  # a bool is never a number here
    elif isinstance(got, float) and "float" in kinds:
        return got
    elif isinstance(got, int) and "int" in kinds:
        return float(got)
    elif isinstance(got, torch.Tensor) and "tensor0d" in kinds:
        if got.numel() != 1:
            raise CheckFailed(
                f"{_returned(what)} a tensor of shape {_shape(got.shape)} "
                "but expected a single number (a 0-d tensor)"
            )
        if got.dtype == torch.bool or got.dtype.is_complex:
            raise CheckFailed(f"{_returned(what)} dtype {got.dtype} but expected a number")
        return float(got.detach().to(torch.float64).reshape(()))
    words = " or ".join(_KIND_WORDS[k] for k in kinds)
    hint = ""
    if isinstance(got, torch.Tensor) and "tensor0d" not in kinds and got.numel() == 1:
        hint = " (use .item() to turn a one-element tensor into a Python number)"
    raise CheckFailed(f"{_must(what)} {words}, got {describe_type(got)}{hint}")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 3] + "..."


def _equal(got: object, expected: object, *, what: str, path: str) -> None:
    where = f"{what}{path}"
    if type(got) is not type(expected):
        if path:
            raise CheckFailed(
                f"{where} is {describe_type(got)} {_short(got)} but expected "
                f"{describe_type(expected)} {_short(expected)}"
            )
        raise CheckFailed(f"{_must(what)} {describe_type(expected)}, got {describe_type(got)}")
    if isinstance(expected, list | tuple):
        assert isinstance(got, list | tuple)
        if len(got) != len(expected):
            raise CheckFailed(
                f"{where} has {len(got)} items but expected {len(expected)} "
                f"(expected {_short(expected)})"
            )
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            _equal(g, e, what=what, path=f"{path}[{i}]")
        return
    if got != expected:
        subject = where if path else _returned(what)
        verb = " is" if path else ""
        raise CheckFailed(f"{subject}{verb} {_short(got)} but expected {_short(expected)}")
