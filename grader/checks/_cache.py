"""Memo of expected values across the submissions one judge process grades.

A check's inputs are fixed (see ``_inputs``), so its expected value is the
same for every submission; computing it once saves the reference call for the
rest of the class. Values are cloned on the way out, so a check that changes
what it got back cannot change what the next submission is judged against.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import torch

__all__ = ["clear", "memo"]

T = TypeVar("T")
_STORE: dict[tuple[str, tuple[Any, ...]], Any] = {}


def memo(factory: Callable[..., T]) -> Callable[..., T]:
    """Cache ``factory``'s result per (qualified name, hashable arguments)."""

    @wraps(factory)
    def cached(*args: Any) -> T:
        key = (f"{factory.__module__}.{factory.__qualname__}", args)
        if key not in _STORE:
            _STORE[key] = factory(*args)
        return _clone(_STORE[key])

    return cached


def clear() -> None:
    """Forget every memoised value (tests; a new ``GRADER_CHECK_SEED``)."""
    _STORE.clear()


def _clone(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clone(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_clone(v) for v in value)
    return value
