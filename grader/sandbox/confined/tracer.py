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
check.

Switches turned off and back on within the call blind both torch modes at once
(``DisableTorchFunction`` and ``_DisableTorchDispatch`` nested), so a third
recorder sits under torch: a `sys.setprofile` hook that the interpreter calls
for every Python function entered and every C function called. It keeps the
shortcut names it sees and marks the record tampered when student code calls
what switches a recorder off (the mode-stack primitives, ``setprofile``,
``DisableTorchFunction``). Threads the call starts get the hook too (the torch
modes are per thread: they do not see them). What is left: a thread that
starts running only after the call returned, a C function called by C (``map``
over ``torch._softmax``) with both switches off by pybind guards, ctypes, and
code compiled under a file name inside torch (taken for torch's own); the
static scan still reads those names.

Only the calls of by-hand functions are traced: the recorders cost a Python
call per operator and per function call.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
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
_setprofile, _getprofile = sys.setprofile, sys.getprofile
_thread_profile, _get_thread_profile = threading.setprofile, threading.getprofile
_TORCH_DIR = os.path.dirname(torch.__file__) + os.sep

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


# Calls that switch a recorder off or move work out of its sight, when student code
# makes them (torch's own Python pops and pushes modes while it dispatches).
_TAMPERING = frozenset({
    "_pop_torch_function_stack", "_push_on_torch_function_stack", "_pop_torch_dispatch_stack",
    "_push_on_torch_dispatch_stack", "_set_dispatch_mode", "_unset_dispatch_mode",
    "setprofile", "settrace",
})  # fmt: skip
# Guards whose __enter__/__exit__ the profile hook sees called (pybind guards' it does not).
_GUARDS: tuple[Any, ...] = (torch._C.DisableTorchFunction,)


def _profiler(record: Trace) -> Callable[..., None]:
    """A `sys.setprofile` hook: the third recorder, under both of torch's switches.

    ``DisableTorchFunction`` and ``_DisableTorchDispatch`` nested around a call
    blind both torch modes, but the interpreter still reports every Python
    function entered and every C function called: a shortcut's name (torch's
    Python ``softmax``, the C ``_softmax``, an ``OpOverload`` of ``aten::_softmax``)
    goes into ``calls``, and a call that turns a recorder off, made from outside
    torch, marks the record tampered. Only names some shortcut is known by are
    kept, so the reply stays small.
    """
    seen: set[str] = set()
    own = _profiler.__code__.co_filename

    def note(name: str) -> None:
        if name in _WATCHED and name not in seen:
            seen.add(name)
            record.calls.append(name)

    def hook(frame: Any, event: str, arg: Any) -> None:
        if event == "c_call":
            name = getattr(arg, "__name__", "")
            note(name)
            if name in _TAMPERING or isinstance(getattr(arg, "__self__", None), _GUARDS):
                where = frame.f_code.co_filename
                if not where.startswith(_TORCH_DIR) and where != own:
                    record.tampered = True
        elif event == "call":
            code = frame.f_code
            if code.co_filename.startswith(_TORCH_DIR):
                note(code.co_name)
                if code.co_name == "__call__" and code.co_filename.endswith("_ops.py"):
                    op = frame.f_locals.get("self")
                    note(str(getattr(op, "__name__", "")).split(".", 1)[0])

    return hook


@contextlib.contextmanager
def trace() -> Iterator[Trace]:
    """Record the operators run inside the block into the yielded `Trace`.

    The stacks seen at the end must be the stacks pushed at the start, and the
    dispatcher's switches as they were and on: popping, replacing or covering
    a recorder (a mode of the student's own that swallows operators), or a
    switch left off, marks the trace tampered.
    """
    record = Trace()
    recorder, calls, hook = _Recorder(record), _Calls(record), _profiler(record)
    recordable = _recordable()
    before, before_functions = list(_mode_stack()), list(_function_stack())
    previous, previous_threads = _getprofile(), _get_thread_profile()
    calls.__enter__()
    recorder.__enter__()
    switches = _switches()  # with the recorders on: entering one includes the Python key
    _setprofile(hook)
    _thread_profile(hook)  # threads started by the call are watched too
    try:
        yield record
    finally:
        profiled = _getprofile() is hook
        _setprofile(previous)
        _thread_profile(previous_threads)
        intact = (
            profiled
            and _same(list(_mode_stack()), [*before, recorder])
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

# Every name a shortcut is known by: what the profile hook keeps.
_WATCHED = frozenset(
    {*_OPERATORS, *(op for ops in _OPERATORS.values() for op in ops),
     *(name for names in _FUNCTIONS.values() for name in names)} - {AUTOGRAD}
)  # fmt: skip

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
        if any(op in ran or op in called for op in _OPERATORS[key]) or not called.isdisjoint(names):
            hits.append(shortcut)
    return hits


def has_signature(shortcut: str) -> bool:
    """Whether `forbidden_ran` can see ``shortcut`` at run time."""
    base = shortcut.rsplit(".", 1)[-1]
    return _MODULES.get(base.lower(), base) in _OPERATORS
