"""The run-time "by hand" record: shortcuts are seen however they are reached."""

from __future__ import annotations

import builtins
import importlib

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode, _pop_mode

from grader.sandbox.confined.tracer import Trace, _mode_stack, forbidden_ran, trace

X = torch.randn(4, 3)
Y = torch.tensor([0, 2, 1, 0])


def _ran(fn, shortcuts=("F.softmax", "F.cross_entropy", "nn.MSELoss")) -> list[str]:
    with trace() as record:
        fn()
    assert not record.tampered
    return forbidden_ran(record, list(shortcuts))


def test_by_hand_softmax_is_clean() -> None:
    def by_hand() -> torch.Tensor:
        e = torch.exp(X - X.max(dim=1, keepdim=True).values)
        return e / e.sum(dim=1, keepdim=True)

    assert _ran(by_hand) == []


def test_computed_name_is_seen() -> None:
    assert _ran(lambda: getattr(F, "soft" + "max")(X, dim=1)) == ["F.softmax"]


def test_importlib_and_vars_are_seen() -> None:
    functional = importlib.import_module("torch.nn." + "functional")
    assert _ran(lambda: functional.cross_entropy(X, Y)) == ["F.cross_entropy"]
    assert _ran(lambda: vars(nn)["MSE" + "Loss"]()(X, X)) == ["nn.MSELoss"]


def test_builtins_stash_and_alias_are_seen() -> None:
    builtins.__dict__["_stash"] = F.softmax
    try:
        assert _ran(lambda: builtins.__dict__["_stash"](X, dim=1)) == ["F.softmax"]
    finally:
        del builtins.__dict__["_stash"]
    sm = X.softmax
    assert _ran(lambda: sm(1)) == ["F.softmax"]


def test_popping_the_recorder_is_tampering() -> None:
    with trace() as record:
        _pop_mode()
        F.softmax(X, dim=1)
    assert record.tampered


def test_covering_the_recorder_is_tampering() -> None:
    class Swallow(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            return func(*args, **(kwargs or {}))

    with trace() as record:
        Swallow().__enter__()  # left on the stack, above the recorder
    assert record.tampered
    assert _mode_stack() == []  # the trace put the stack back as it found it


def test_trace_crosses_the_wire_as_plain_data() -> None:
    record = Trace(ops=["exp", "_softmax"], tampered=True)
    assert Trace.from_wire(record.to_wire()) == record


def test_worker_replies_with_the_trace_only_when_asked() -> None:
    import types

    from grader.sandbox.confined import worker
    from grader.sandbox.wire import codec

    module = types.ModuleType("sub")
    exec(
        "import torch.nn.functional as F\n"
        "import torch\n"
        "def softmax_manual(z=None):\n"
        "    return getattr(F, 'soft' + 'max')(torch.ones(2, 3), dim=1)\n",
        module.__dict__,
    )
    header = {"id": 1, "op": "call", "name": "softmax_manual", "args": [], "kwargs": {}}
    plain, _ = worker.handle(module, header, [], path="sub.py", caps=codec.DEFAULT_CAPS, probes={})
    traced, _ = worker.handle(
        module, {**header, "trace": True}, [], path="sub.py", caps=codec.DEFAULT_CAPS, probes={}
    )
    assert plain["ok"] and "trace" not in plain
    record = Trace.from_wire(traced["trace"])
    assert not record.tampered and forbidden_ran(record, ["F.softmax"]) == ["F.softmax"]


def test_the_first_trace_imports_nothing() -> None:
    """A worker's first traced call must not pull in torch._dynamo (and sympy): seconds.

    torch wraps a dispatch mode's handler in ``torch._dynamo.disable`` unless the
    mode opts out; the import that wrapper makes on first use ran past the
    by-hand call's time limit in every fresh worker.
    """
    import subprocess
    import sys

    script = (
        "import sys, torch\n"
        "from grader.sandbox.confined.tracer import trace\n"
        "before = set(sys.modules)\n"
        "with trace() as record:\n"
        "    torch.where(torch.ones(2) > 0, torch.ones(2), torch.zeros(2)).sum().item()\n"
        "assert record.ops and not record.tampered, record\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]", done.stdout


def test_both_switches_off_inside_the_call_are_still_seen() -> None:
    """Nested guards blind both torch modes; the profile hook still sees the call."""

    def hidden() -> None:
        with torch._C.DisableTorchFunction(), torch._C._DisableTorchDispatch():
            getattr(F, "soft" + "max")(X, dim=1)

    def hidden_deeper() -> None:
        with torch._C._DisableTorchDispatch():
            getattr(torch.ops.aten, "_soft" + "max").default(X, 1, False)

    for fn in (hidden, hidden_deeper):
        with trace() as record:
            fn()
        assert forbidden_ran(record, ["F.softmax"]) == ["F.softmax"], (fn.__name__, record)
    with trace() as record:
        hidden()
    assert record.tampered  # DisableTorchFunction entered by the student's own code


def test_the_profile_hook_switched_off_is_tampering_and_threads_are_watched() -> None:
    import sys
    import threading

    with trace() as record:
        sys.setprofile(None)
    assert record.tampered and sys.getprofile() is None
    with trace() as record:
        worker = threading.Thread(target=lambda: getattr(F, "soft" + "max")(X, dim=1))
        worker.start()
        worker.join()
    assert not record.tampered  # a thread is allowed, and watched: the modes are per thread
    assert forbidden_ran(record, ["F.softmax"]) == ["F.softmax"]
    assert threading.getprofile() is None


def test_torch_internals_are_not_tampering() -> None:
    """torch pops and pushes modes itself while it dispatches a Python function."""
    with trace() as record:
        F.relu(X).sum()
        F.one_hot(Y, 3)
        torch.nn.Linear(3, 2)(X)
        repr(X)
    assert not record.tampered, record
    assert forbidden_ran(record, ["F.softmax", "F.cross_entropy", "backward"]) == []
