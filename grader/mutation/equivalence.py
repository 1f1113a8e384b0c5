"""Telling a variant from its reference by running both on random inputs.

A variant that gives the same result as the reference on every case is
*equivalent*: no check could (or should) fail it, so it is left out of the
score. The cases vary what wrong code is sensitive to: the seed, the scale of
the values (1, then ±100 and ±1000, where a naive ``exp`` overflows), single-
sample batches, float64 inputs. Which calls to make for a case is course
content: the assignment's inputs file (``[mutants] inputs``) gives, per
graded function, the calls (positional and keyword arguments; with and
without the optional ones). Both sides see the same torch/numpy/random seed.

Variants are ours, not students', so they run here, in the staff process,
each call under a wall-clock alarm; grading them still goes through the
sandbox like any submission.
"""

from __future__ import annotations

import contextlib
import math
import random
import signal
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

SCALES = (1.0, 100.0, 1000.0)
BATCHES = (1, 4, 7)
CALL_SECONDS = 5.0


@dataclass
class Case:
    """What one round of inputs looks like; the inputs file builds calls from it."""

    seed: int
    scale: float
    batch: int
    dtype: Any  # a torch dtype
    generator: Any = field(repr=False, default=None)

    def randn(self, *shape: int) -> Any:
        """Normal values times ``scale``, in this case's dtype."""
        import torch

        return torch.randn(*shape, generator=self.generator, dtype=self.dtype) * self.scale

    def rand(self, *shape: int) -> Any:
        """Uniform values in (0, 1), in this case's dtype (probabilities, not scaled)."""
        import torch

        return torch.rand(*shape, generator=self.generator, dtype=self.dtype).clamp(1e-4, 1 - 1e-4)

    def randint(self, high: int, *shape: int) -> Any:
        import torch

        return torch.randint(0, high, shape, generator=self.generator)

    def choice(self, options: Sequence[Any]) -> Any:
        import torch

        return options[int(torch.randint(0, len(options), (1,), generator=self.generator))]

    def describe(self) -> str:
        dtype = str(self.dtype).removeprefix("torch.")
        return f"seed={self.seed}, scale={self.scale:g}, batch={self.batch}, dtype={dtype}"


Call = tuple[tuple[Any, ...], dict[str, Any]]
Inputs = Callable[[Case], Sequence[Call]]


def cases(count: int) -> Iterator[Case]:
    """``count`` cases cycling through scales, batch sizes and both float dtypes."""
    import torch

    for seed in range(count):
        generator = torch.Generator().manual_seed(seed)
        yield Case(
            seed=seed,
            scale=SCALES[seed % len(SCALES)],
            batch=BATCHES[(seed // len(SCALES)) % len(BATCHES)],
            dtype=torch.float64 if (seed // 2) % 2 else torch.float32,
            generator=generator,
        )


@dataclass(frozen=True)
class Difference:
    """The first input on which a variant and its reference disagree."""

    case: str
    call: str
    reference: str
    variant: str

    def __str__(self) -> str:
        return f"{self.call} [{self.case}]: reference {self.reference}, variant {self.variant}"


def load_module(source: str, name: str) -> types.ModuleType:
    """Execute a module's source under ``name`` (ours: a reference or one of its variants)."""
    module = types.ModuleType(name)
    module.__file__ = f"<{name}>"
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def first_difference(
    reference: Callable[..., Any],
    variant: Callable[..., Any],
    inputs: Inputs,
    *,
    count: int = 24,
) -> Difference | None:
    """The first case on which ``variant`` differs from ``reference``; None if none does."""
    for case in cases(count):
        for index, _ in enumerate(_calls(inputs, case)):
            expected, ref_args = _outcome(reference, inputs, case, index)
            got, var_args = _outcome(variant, inputs, case, index)
            same = _same(expected, got) and _same(ref_args, var_args)
            if not same:
                args, kwargs = _calls(inputs, case)[index]
                return Difference(
                    case=case.describe(),
                    call=_show_call(args, kwargs),
                    reference=_short(expected),
                    variant=_short(got),
                )
    return None


def _calls(inputs: Inputs, case: Case) -> Sequence[Call]:
    import torch

    case.generator = torch.Generator().manual_seed(case.seed)  # same arguments on every build
    return list(inputs(case))


def _outcome(fn: Callable[..., Any], inputs: Inputs, case: Case, index: int) -> tuple[Any, Any]:
    """(result or raised error, the arguments afterwards): side effects count too."""
    import numpy as np
    import torch

    args, kwargs = _calls(inputs, case)[index]
    torch.manual_seed(case.seed)
    np.random.seed(case.seed)
    random.seed(case.seed)
    try:
        with _alarm(CALL_SECONDS):
            result: Any = fn(*args, **kwargs)
        result = _snapshot(result)
    except Exception as error:  # a variant may raise where the reference does not
        result = _Raised(type(error).__name__)
    return result, _snapshot((args, kwargs))


@dataclass(frozen=True)
class _Raised:
    kind: str


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def expired(_signum: int, _frame: object) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _snapshot(value: Any, depth: int = 0) -> Any:
    """Plain, comparable data for a result: tensors cloned, modules as their state."""
    import numpy as np
    import torch
    from torch.utils.data import DataLoader, Dataset

    if depth > 6:
        return type(value).__name__
    if isinstance(value, torch.Tensor):
        grad = value.grad if value.is_leaf else None
        return ("tensor", value.detach().clone(), value.requires_grad,
                None if grad is None else grad.detach().clone())  # fmt: skip
    if isinstance(value, torch.nn.Module):
        return (
            "module",
            type(value).__name__,
            value.training,
            [(k, _snapshot(v, depth + 1)) for k, v in value.named_parameters()],
            [(k, _snapshot(v, depth + 1)) for k, v in value.named_buffers()],
            [(k, type(m).__name__, m.training) for k, m in value.named_modules()],
        )
    if isinstance(value, torch.optim.Optimizer):
        return ("optimizer", type(value).__name__, repr(value.defaults))
    if isinstance(value, DataLoader):
        torch.manual_seed(0)
        return ("loader", value.batch_size, [_snapshot(b, depth + 1) for b in value])
    if isinstance(value, Dataset) and hasattr(value, "__len__"):
        return (
            "dataset",
            type(value).__name__,
            [_snapshot(value[i], depth + 1) for i in range(len(value))],
        )
    if isinstance(value, np.ndarray):
        return ("array", value.copy())
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_snapshot(v, depth + 1) for v in value])
    if isinstance(value, dict):
        return ("dict", [(k, _snapshot(v, depth + 1)) for k, v in value.items()])
    if isinstance(value, bool | int | float | str | type(None) | _Raised):
        return value
    if callable(value) and not hasattr(value, "__dict__"):
        return ("callable", getattr(value, "__name__", type(value).__name__))
    state = getattr(value, "__dict__", None)
    if isinstance(state, dict):
        fields = [(k, _snapshot(v, depth + 1)) for k, v in sorted(state.items()) if not callable(v)]
        return ("object", type(value).__name__, fields)
    return ("opaque", type(value).__name__)


def _same(a: Any, b: Any) -> bool:
    import numpy as np
    import torch

    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            return False
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.is_floating_point():
            return bool(torch.allclose(a, b, rtol=1e-5, atol=1e-7, equal_nan=True))
        return bool(torch.equal(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype.kind == "f":
            return bool(np.allclose(a, b, rtol=1e-5, atol=1e-7, equal_nan=True))
        return bool(np.array_equal(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-7)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if type(a) is not type(b):
        return False
    return bool(a == b)


def _show_call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    parts = [_short(_snapshot(a)) for a in args] + [
        f"{k}={_short(_snapshot(v))}" for k, v in kwargs.items()
    ]
    return f"({', '.join(parts)})"


def _short(value: Any, width: int = 70) -> str:
    import torch

    if isinstance(value, tuple) and value and value[0] == "tensor":
        tensor = value[1]
        dtype = str(tensor.dtype).removeprefix("torch.")
        flat = tensor.flatten()[:4].tolist()
        more = ", ..." if tensor.numel() > 4 else ""
        shown = ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in flat)
        return f"tensor{tuple(tensor.shape)} {dtype} [{shown}{more}]"
    if isinstance(value, tuple) and value and value[0] == "module":
        shapes = [tuple(t[1].shape) for _, t in value[3]]
        total = sum(float(t[1].double().sum()) for _, t in value[3])
        return f"{value[1]}(training={value[2]}, parameters {shapes}, sum {total:.6g})"
    if isinstance(value, _Raised):
        return f"raises {value.kind}"
    if isinstance(value, tuple) and value and value[0] in ("tuple", "list"):
        return "(" + ", ".join(_short(v, width // 2) for v in value[1]) + ")"
    text = repr(value) if not isinstance(value, torch.Tensor) else str(value)
    return text if len(text) <= width else text[: width - 3] + "..."
