"""Where a judge's time goes, phase by phase: what ``make bench`` breaks down.

Off unless :func:`enable` is called (the benchmark's phase run does), so
grading pays one flag test per phase. Each phase's seconds and count add up
per *scope*: the exercise whose check is running (the plugin sets it), so a
breakdown can say which exercise's calls, codec, reference values or pytest
overhead cost what. Phases may nest (a check's time holds its calls); the
reader subtracts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

__all__ = ["add", "enable", "phase", "scope", "take"]

_state = {"on": False}
_scope: list[str] = [""]
_totals: dict[str, list[float]] = {}  # "phase[.scope]" -> [seconds, count]


def enable(on: bool = True) -> None:
    """Start (or stop) recording in this process."""
    _state["on"] = on


def scope(name: str) -> None:
    """Charge the phases that follow to ``name`` (an exercise); "" for none."""
    _scope[0] = name


def add(name: str, seconds: float) -> None:
    """Add ``seconds`` to phase ``name`` in the current scope."""
    if not _state["on"]:
        return
    key = f"{name}.{_scope[0]}" if _scope[0] else name
    slot = _totals.setdefault(key, [0.0, 0])
    slot[0] += seconds
    slot[1] += 1


def phase(name: str) -> AbstractContextManager[None]:
    """Time the block as phase ``name``.

    Off, it is one shared do-nothing context: grading enters a few per call a
    check makes, and a generator-based one costs microseconds each.
    """
    if not _state["on"]:
        return _OFF
    return _timed(name)


_OFF = nullcontext()


@contextmanager
def _timed(name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        add(name, time.perf_counter() - started)


def take() -> dict[str, tuple[float, int]]:
    """What was recorded since the last call (seconds, count per phase), and reset."""
    taken = {key: (seconds, int(count)) for key, (seconds, count) in _totals.items()}
    _totals.clear()
    return taken
