"""Record the torch operators a graded call executes, for the run-time "by hand" rules.

The static scan in `grader.handcheck` reads names in the source, so a shortcut
reached by a computed name (``getattr(F, "soft" + "max")``), through
``importlib`` or ``vars(nn)``, or stashed in ``builtins`` by another module,
slips past it. Every such route still ends in the same ATen operator
(``F.softmax``, ``Tensor.softmax`` and ``nn.Softmax`` all run
``aten._softmax``), so the worker records the operators at the dispatcher while
the call runs and the judge compares that record with the forbidden list.

A student can try to switch the recorder off. `trace` notes the dispatch mode
stack when the call starts and checks it is unchanged when the call ends; a
changed stack, or the recorder leaving the stack early, marks the record
``tampered``, which the judge treats as a failed "by hand" check.

Only the calls of by-hand functions are traced: the dispatch mode costs a
Python call per operator.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from torch.utils._python_dispatch import (
    TorchDispatchMode,
    _get_current_dispatch_mode_stack,
    _pop_mode,
)

__all__ = ["Trace", "forbidden_ran", "trace"]

# Bound when the host preloads this module, before any student code runs.
_mode_stack = _get_current_dispatch_mode_stack


@dataclass
class Trace:
    """What one call executed: ATen operator names (``"_softmax"``) and tampering.

    ``ops`` holds each operator's packet name once, in first-seen order, which is
    what a by-hand rule needs and keeps the reply small.
    """

    ops: list[str] = field(default_factory=list)
    tampered: bool = False

    def to_wire(self) -> dict[str, Any]:
        """Plain data for the codec: the judge rebuilds it with `from_wire`."""
        return {"ops": list(self.ops), "tampered": self.tampered}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Trace:
        return cls(ops=[str(op) for op in data["ops"]], tampered=bool(data["tampered"]))


class _Recorder(TorchDispatchMode):
    """Notes every operator's name, then runs it unchanged."""

    def __init__(self, record: Trace) -> None:
        super().__init__()
        self._record = record
        self._seen: set[str] = set()
        self._open = False

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func._schema.name.split("::", 1)[-1]
        if name not in self._seen:
            self._seen.add(name)
            self._record.ops.append(name)
        return func(*args, **(kwargs or {}))

    def __enter__(self) -> _Recorder:
        self._open = True
        return super().__enter__()

    def __exit__(self, *exc: object) -> None:
        self._open = False
        return super().__exit__(*exc)


@contextlib.contextmanager
def trace() -> Iterator[Trace]:
    """Record the operators run inside the block into the yielded `Trace`.

    The stack seen at the end must be the stack pushed at the start: popping,
    replacing or covering the recorder (a mode of the student's own that
    swallows operators) marks the trace tampered.
    """
    record = Trace()
    recorder = _Recorder(record)
    before = list(_mode_stack())
    expected = [*before, recorder]
    recorder.__enter__()
    try:
        yield record
    finally:
        after = list(_mode_stack())
        intact = len(after) == len(expected) and all(
            a is b for a, b in zip(after, expected, strict=True)
        )
        if not intact or not recorder._open:
            record.tampered = True
        # Leave the stack as it was before the call, whatever the student did to it.
        while len(_mode_stack()) > len(before):
            _pop_mode()
        recorder._open = False


# The ATen operators each sheet shortcut ends in, however it was reached.
_OPERATORS: dict[str, tuple[str, ...]] = {
    "softmax": ("_softmax", "softmax"),
    "log_softmax": ("_log_softmax", "log_softmax"),
    "cross_entropy": ("cross_entropy_loss", "nll_loss", "nll_loss_forward", "nll_loss2d_forward"),
    "nll_loss": ("nll_loss", "nll_loss_forward", "nll_loss2d_forward"),
    "mse_loss": ("mse_loss",),
    "l1_loss": ("l1_loss",),
    "elu": ("elu",),
    "linear": ("linear", "addmm"),
    "sigmoid": ("sigmoid",),
    "binary_cross_entropy": ("binary_cross_entropy",),
    "binary_cross_entropy_with_logits": ("binary_cross_entropy_with_logits",),
}

# nn module classes named on the sheet, by lower-cased class name.
_MODULES = {
    "crossentropyloss": "cross_entropy",
    "mseloss": "mse_loss",
    "l1loss": "l1_loss",
    "nllloss": "nll_loss",
    "logsoftmax": "log_softmax",
    "softmax": "softmax",
    "elu": "elu",
    "sigmoid": "sigmoid",
    "bceloss": "binary_cross_entropy",
    "bcewithlogitsloss": "binary_cross_entropy_with_logits",
}


def forbidden_ran(record: Trace, shortcuts: list[str]) -> list[str]:
    """The sheet shortcuts in ``shortcuts`` (``"softmax"``, ``"F.softmax"``) whose operators ran.

    A shortcut not in the table has no run-time signature and is left to the
    static scan.
    """
    ran = set(record.ops)
    hits = []
    for shortcut in shortcuts:
        base = shortcut.rsplit(".", 1)[-1]
        key = _MODULES.get(base.lower(), base)
        if any(op in ran for op in _OPERATORS.get(key, ())):
            hits.append(shortcut)
    return hits
