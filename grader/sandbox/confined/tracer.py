"""Record the torch operators a graded call executes, for the run-time "by hand" rules.

The static scan in `grader.handcheck` reads names in the source, so a shortcut
reached by a computed name (``getattr(F, "soft" + "max")``), through
``importlib`` or ``vars(nn)``, or stashed in ``builtins`` by another module,
slips past it. Every such route still ends in the same ATen operator
(``F.softmax``, ``Tensor.softmax`` and ``nn.Softmax`` all run
``aten._softmax``), so the worker records the operators at the dispatcher while
the call runs and the judge compares that record with the forbidden list.

A second recorder, a `TorchFunctionMode`, notes the torch functions and
methods the call makes (``softmax``, ``backward``, ``grad``) one level above
the dispatcher, so switching one recorder off is not enough to hide a call.
Operators the autograd engine runs are noted as ``<autograd>``, so a gradient
computed by ``backward`` is seen even when it is reached without that name.

A student can try to switch the recorders off. `trace` notes both mode stacks
and the dispatcher's thread-local switches (the key sets that
``torch._C._DisableTorchDispatch`` and friends change, torch-function
handling on or off) when the call starts and checks they are unchanged when
it ends; a changed stack or switch, or a recorder leaving its stack early,
marks the record ``tampered``, which the judge treats as a failed "by hand"
check. What this cannot see: a switch turned off and back on within the call
for both recorders at once (``DisableTorchFunction`` and
``_DisableTorchDispatch`` nested); the static scan still reads those names.

Only the calls of by-hand functions are traced: the dispatch mode costs a
Python call per operator.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.overrides import (
    TorchFunctionMode,
    _get_current_function_mode_stack,
)
from torch.overrides import (
    _pop_mode as _pop_function_mode,
)
from torch.utils._python_dispatch import (
    TorchDispatchMode,
    _get_current_dispatch_mode_stack,
    _pop_mode,
)

__all__ = ["AUTOGRAD", "Trace", "forbidden_ran", "has_signature", "trace"]

# Bound when the host preloads this module, before any student code runs.
_mode_stack = _get_current_dispatch_mode_stack
_function_stack = _get_current_function_mode_stack
_exclude_set = torch._C._dispatch_tls_local_exclude_set
_include_set = torch._C._dispatch_tls_local_include_set
_function_enabled = torch._C._is_torch_function_enabled
_graph_task = torch._C._current_graph_task_id

AUTOGRAD = "<autograd>"  # the pseudo-operator for anything the autograd engine ran


@dataclass
class Trace:
    """What one call executed: ATen operator names (``"_softmax"``) and tampering.

    ``ops`` holds each operator's packet name once, in first-seen order, which is
    what a by-hand rule needs and keeps the reply small.
    """

    ops: list[str] = field(default_factory=list)
    tampered: bool = False
    calls: list[str] = field(default_factory=list)  # torch functions and methods, by name

    def to_wire(self) -> dict[str, Any]:
        """Plain data for the codec: the judge rebuilds it with `from_wire`."""
        return {"ops": list(self.ops), "calls": list(self.calls), "tampered": self.tampered}

    @classmethod
    def from_wire(cls, data: Any) -> Trace:
        """Rebuild a trace from the worker's reply; anything malformed counts as tampered."""
        try:
            ops, calls = data["ops"], data.get("calls", [])
            if not isinstance(ops, list) or not isinstance(calls, list):
                raise TypeError
            return cls(ops=[str(o) for o in ops], calls=[str(c) for c in calls],
                       tampered=data["tampered"] is not False)  # fmt: skip
        except (TypeError, KeyError, AttributeError):
            return cls(tampered=True)


class _Recorder(TorchDispatchMode):
    """Notes every operator's name, then runs it unchanged."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # Else torch wraps `__torch_dispatch__` in `torch._dynamo.disable`, whose first
        # call imports dynamo and sympy (seconds, past a by-hand call's time limit).
        # Nothing here is compiled, so there is nothing for dynamo to skip.
        return False

    def __init__(self, record: Trace) -> None:
        super().__init__()
        self._record = record
        self._seen: set[str] = set()
        self._open = False

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func._schema.name.split("::", 1)[-1]
        if _graph_task() != -1:
            name = AUTOGRAD
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


class _Calls(TorchFunctionMode):
    """Notes every torch function or method called at the top level, then calls it."""

    def __init__(self, record: Trace) -> None:
        super().__init__()
        self._record = record
        self._seen: set[str] = set()
        self._open = False

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = str(getattr(func, "__name__", ""))
        if name not in self._seen:
            self._seen.add(name)
            self._record.calls.append(name)
        return func(*args, **(kwargs or {}))

    def __enter__(self) -> _Calls:
        self._open = True
        return super().__enter__()

    def __exit__(self, *exc: object) -> None:
        self._open = False
        return super().__exit__(*exc)


_HIDING_KEYS = (torch._C.DispatchKey.Python, torch._C.DispatchKey.PythonTLSSnapshot)
_key_excluded = torch._C._dispatch_tls_is_dispatch_key_excluded


def _switches() -> tuple[str, str, bool]:
    """The dispatcher's thread-local state a student could use to hide operators."""
    return str(_exclude_set()), str(_include_set()), bool(_function_enabled())


def _recordable() -> bool:
    """Whether both recorders can see anything: no switch left off, say by an import."""
    return bool(_function_enabled()) and not any(_key_excluded(k) for k in _HIDING_KEYS)


def _same(now: list[Any], expected: list[Any]) -> bool:
    return len(now) == len(expected) and all(a is b for a, b in zip(now, expected, strict=True))


@contextlib.contextmanager
def trace() -> Iterator[Trace]:
    """Record the operators run inside the block into the yielded `Trace`.

    The stacks seen at the end must be the stacks pushed at the start, and the
    dispatcher's switches as they were and on: popping, replacing or covering
    a recorder (a mode of the student's own that swallows operators), or a
    switch left off, marks the trace tampered.
    """
    record = Trace()
    recorder, calls = _Recorder(record), _Calls(record)
    recordable = _recordable()
    before, before_functions = list(_mode_stack()), list(_function_stack())
    calls.__enter__()
    recorder.__enter__()
    switches = _switches()  # with the recorders on: entering one includes the Python key
    try:
        yield record
    finally:
        intact = (
            _same(list(_mode_stack()), [*before, recorder])
            and _same(list(_function_stack()), [*before_functions, calls])
            and recorder._open
            and calls._open
            and recordable
            and _recordable()
            and _switches() == switches
        )
        if not intact:
            record.tampered = True
        # Leave the stacks as they were before the call, whatever the student did to them.
        while len(_mode_stack()) > len(before):
            _pop_mode()
        while len(_function_stack()) > len(before_functions):
            _pop_function_mode()
        recorder._open = calls._open = False


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
    "celu": ("celu",),
    "cdist": ("_cdist_forward", "_euclidean_dist"),
    "pairwise_distance": (),  # decomposes to a norm: seen by its name only
    "backward": (AUTOGRAD,),
    "autograd": (AUTOGRAD,),
}

# The torch function and method names each shortcut is called by (its key, and these).
_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "cross_entropy": ("cross_entropy_loss",),
    "nll_loss": ("nll_loss_nd", "nll_loss2d"),
    "elu": ("elu_",),
    "celu": ("celu_",),
    "autograd": ("backward", "grad", "vjp", "jvp", "jacobian", "hessian"),
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
    "celu": "celu",
    "elu_": "elu",
}


def forbidden_ran(record: Trace, shortcuts: list[str]) -> list[str]:
    """The sheet shortcuts in ``shortcuts`` (``"softmax"``, ``"F.softmax"``) whose operators ran.

    A shortcut is seen by its ATen operators or by the name it was called by.
    A shortcut not in the tables (``torch._C._nn``) has no run-time signature
    and is left to the static scan.
    """
    ran, called = set(record.ops), set(record.calls)
    hits = []
    for shortcut in shortcuts:
        base = shortcut.rsplit(".", 1)[-1]
        key = _MODULES.get(base.lower(), base)
        if key not in _OPERATORS:
            continue
        names = (key, *_FUNCTIONS.get(key, ()))
        if any(op in ran for op in _OPERATORS[key]) or any(n in called for n in names):
            hits.append(shortcut)
    return hits


def has_signature(shortcut: str) -> bool:
    """Whether `forbidden_ran` can see ``shortcut`` at run time."""
    base = shortcut.rsplit(".", 1)[-1]
    return _MODULES.get(base.lower(), base) in _OPERATORS
