"""Keep torch from importing ``torch._dynamo`` in processes that never compile.

``torch._dynamo`` costs about 0.9 s to import, as much as torch itself, and
eager code pulls it in for nothing: every ``Optimizer.step`` imports it to call
``graph_break()`` (a no-op outside ``torch.compile``), and some 300 functions
wrapped by ``torch._disable_dynamo`` import it on their first call to build a
wrapper that, in eager mode, just calls the function. The judge and the
sandbox host each paid that import once per process, on the critical path of
every cold start.

:func:`skip_dynamo_import` makes both wrappers take their eager path directly.
Results are bit-for-bit the same (``bench/bench_class.py`` compares grades with
and without it). It is only for processes the grader owns: a user's notebook
may ``torch.compile`` and must keep torch as it ships.
"""

from __future__ import annotations

import functools
import gc
import sys
import types
from collections.abc import Callable
from typing import Any

__all__ = ["skip_dynamo_import"]

_DISABLE_MARK = "__dynamo_disable"  # where torch._disable_dynamo caches its wrapper
_done = False


def skip_dynamo_import() -> int:
    """Let torch's already-imported eager code run without ``torch._dynamo``.

    Returns how many wrappers were short-circuited (0 when dynamo is already
    imported, or on a second call). Modules imported later keep torch's own
    behaviour: correct, only slower on first use.
    """
    global _done
    if _done or "torch._dynamo" in sys.modules:
        return 0
    import torch
    import torch.optim
    import torch.optim.optimizer as optimizer_module

    _done = True
    count = _short_circuit_disable_wrappers(torch)
    count += _replace_step_wrappers(torch, optimizer_module)
    return count


def _short_circuit_disable_wrappers(torch: Any) -> int:
    """Pre-fill the cache each ``torch._disable_dynamo`` wrapper fills on first call.

    The wrapper calls ``getattr(fn, "__dynamo_disable")`` and imports dynamo
    only when that is missing; with ``fn`` itself there, it calls ``fn``.
    """
    inner_code = torch._disable_dynamo(_nothing).__code__
    if "fn" not in inner_code.co_freevars:  # a torch whose wrapper we do not know
        return 0
    slot = inner_code.co_freevars.index("fn")
    count = 0
    for obj in gc.get_objects():
        if type(obj) is types.FunctionType and obj.__code__ is inner_code:
            fn = obj.__closure__[slot].cell_contents  # type: ignore[index]
            if getattr(fn, _DISABLE_MARK, None) is None:
                setattr(fn, _DISABLE_MARK, fn)
                count += 1
    return count


def _replace_step_wrappers(torch: Any, optimizer_module: types.ModuleType) -> int:
    """Swap each optimizer's ``step`` wrapper for one with the same effect and no import."""
    original = getattr(optimizer_module, "_use_grad_for_differentiable", None)
    if original is None:
        return 0
    wrapper_code = original(_nothing).__code__
    count = 0
    pending = [torch.optim.Optimizer]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        step = cls.__dict__.get("step")
        if getattr(step, "__code__", None) is wrapper_code and hasattr(step, "__wrapped__"):
            cls.step = _eager_use_grad(step.__wrapped__)
            count += 1
    optimizer_module._use_grad_for_differentiable = _eager_use_grad  # type: ignore[attr-defined]
    return count


def _eager_use_grad(func: Callable[..., Any]) -> Callable[..., Any]:
    """torch's ``_use_grad_for_differentiable`` without its two graph breaks.

    The step runs with grad mode set to the optimizer's ``differentiable``
    default and restored afterwards, exactly as torch does in eager mode.
    """
    import torch

    @functools.wraps(func)
    def step(*args: Any, **kwargs: Any) -> Any:
        optimizer = args[0]
        previous = torch.is_grad_enabled()
        try:
            torch.set_grad_enabled(optimizer.defaults["differentiable"])
            return func(*args, **kwargs)
        finally:
            torch.set_grad_enabled(previous)

    return step


def _nothing() -> None:
    return None
