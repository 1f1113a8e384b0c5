"""The worker side: import a submission's modules, then answer call and probe requests.

One worker per submission, not per exercise: a fork of the torch-loaded host
costs about 15 ms of CPU, which nine times over was a third of grading a
submission. The judge ends the worker after any fault and loads the exercises
still to grade into a fresh one, so a crash in one exercise costs only that
exercise's calls. (A student's code can still disturb their own other
exercises, say with a thread left running; never another student's.)

Runs in a process forked from the sandbox host (and, for the in-process L0
backend used by our own tests, in the test process itself: `handle` is shared
so both backends give checks exactly the same values and faults).

What the worker guarantees, and why (docs/threats.md rows 10, 18, 19, 21, 39):

* Every call runs inside `try/except BaseException`: `SystemExit`,
  `KeyboardInterrupt` and friends become a reply, not a dead worker.
* Messages are formatted here, each in its own `try`, under the judge's call
  deadline: a `__str__` that raises or hangs costs only that call.
* The return value is encoded at return time; threads the student left
  running cannot change what the judge receives afterwards.
* Torch, numpy and random globals are reset before each call, so a result
  never depends on what an earlier call changed.
* Functions are looked up in the module's own `__dict__`: no `__getattr__`
  hook, no attribute the student computes on demand.

The worker decides nothing: it reports facts (exception type, text, line) and
the judge words the student's message and the verdict.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import random
import socket
import sys
import types
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np
import torch

from grader.sandbox.confined import cells, standins, tracer
from grader.sandbox.wire import codec, protocol

__all__ = [
    "describe",
    "handle",
    "load_module",
    "load_units",
    "reset_globals",
    "serve",
    "start_failure",
]

# Bound once, when the host preloads this module: a student who replaces
# `torch.manual_seed` and friends cannot stop the next reset.
_set_default_dtype = torch.set_default_dtype
_set_default_device = torch.set_default_device
_set_grad_enabled = torch.set_grad_enabled
# torch.use_deterministic_algorithms also sets an inductor option, importing
# torch._inductor and torch._dynamo (0.9 s) for a compiler no worker runs.
_use_deterministic = torch._C._set_deterministic_algorithms
_set_num_threads = torch.set_num_threads
_set_flush_denormal = torch.set_flush_denormal
_set_detect_anomaly = torch.autograd.set_detect_anomaly
# The CPU generator is the only one a worker has (no CUDA, MPS or XPU device);
# `torch.manual_seed` also queues seeds for those, formatting a stack trace for
# each: 0.5 ms a call, against 0.01 ms here, on every call and probe.
_torch_seed = torch.default_generator.manual_seed
_np_seed = np.random.seed
_np_seterr = np.seterr
_py_seed = random.seed
_module_dict: Any = vars(types.ModuleType)["__dict__"].__get__
_exc_traceback = BaseException.__dict__["__traceback__"].__get__
_str_slice = str.__getitem__

_TEXT_LIMIT = 4000
_MEMORY_MARKERS = ("can't allocate memory", "not enough memory", "out of memory")


def reset_globals(seed: int) -> None:
    """Put the process-wide state a student may change back to its defaults.

    The documented list: default dtype float32, default device CPU, grad mode
    on, anomaly detection off, non-deterministic algorithms allowed, one
    thread, denormals kept, numpy error handling at its defaults, and the
    torch, numpy and `random` generators seeded with `seed`.
    """
    _set_default_dtype(torch.float32)
    _set_default_device(None)
    _set_grad_enabled(True)
    _set_detect_anomaly(False)
    _use_deterministic(False, warn_only=False)
    _set_num_threads(1)
    _set_flush_denormal(False)
    _np_seterr(divide="warn", over="warn", under="ignore", invalid="warn")
    _torch_seed(seed)
    _np_seed(seed % (1 << 32))
    _py_seed(seed)


EXERCISE_MARK = "__grader_exercise__"
START_FAILED = "worker"  # the `kind` of the reply of a worker that could not start


def load_module(name: str, path: str) -> types.ModuleType:
    """Import the file at `path` as module `name` (registered in `sys.modules`).

    By explicit path, never through `sys.path`, so a submission cannot shadow
    a library or reach another exercise by name (docs/threats.md row 30).
    """
    module, loader = _new_module(name, path)
    loader.exec_module(module)
    return module


def _new_module(name: str, path: str) -> tuple[types.ModuleType, importlib.abc.Loader]:
    """An empty module for `path`, marked as an exercise and in `sys.modules` as `name`."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    module.__dict__[EXERCISE_MARK] = True  # `grader.check()` called while grading does nothing
    sys.modules[name] = module
    return module, spec.loader


def load_units(
    name: str, path: str, table: Any, clock: cells.Clock
) -> tuple[types.ModuleType, list[dict[str, Any]]]:
    """Import `path` as module `name` unit by unit (see :mod:`cells`); the module and failures.

    `table` is a notebook's code cells as `[module line, cell]` starts, or
    None for a `.py` file (one unit per top-level statement). Raises only what
    ends the import as a whole: a `.py` file's syntax error, `SystemExit`.
    """
    module, _ = _new_module(name, path)
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    starts = (
        table
        if isinstance(table, list)
        and all(
            isinstance(s, list) and len(s) == 2 and all(type(v) is int for v in s) for s in table
        )
        else None
    )
    units = cells.split_units(source, starts, path)
    standins.reset()
    failures = cells.run_units(module, source, units, path=path, clock=clock, describe=describe,
                               is_memory=_is_memory, notes=standins.take)  # fmt: skip
    return module, failures


def describe(exc: BaseException, path: str) -> dict[str, Any]:
    """Facts about an exception: type name, message text, line in the student's file."""
    text = "<the exception's message could not be shown>"
    try:
        raw = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        if isinstance(raw, str):
            text = _str_slice(raw, slice(0, _TEXT_LIMIT))
    except BaseException:  # a __str__ that raises anything at all
        pass
    line = None
    try:
        tb = _exc_traceback(exc)
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == path:
                line = tb.tb_lineno
            tb = tb.tb_next
        if isinstance(exc, SyntaxError) and exc.filename == path and type(exc.lineno) is int:
            line = exc.lineno
    except BaseException:
        line = None
    return {"exc_type": codec.qualname(exc), "text": text, "line": line}


def _is_memory(exc: BaseException, text: str) -> bool:
    if isinstance(exc, MemoryError):
        return True
    return isinstance(exc, RuntimeError) and any(m in text for m in _MEMORY_MARKERS)


def import_failure(exc: BaseException, path: str) -> dict[str, Any]:
    """The worker's "not ready" reply for an exception raised while importing."""
    info = describe(exc, path)
    if isinstance(exc, SyntaxError):
        kind = "syntax"
    elif isinstance(exc, SystemExit):
        kind = "exited"
    elif _is_memory(exc, info["text"]):
        kind = "memory"
    else:
        kind = "exception"
    return {"ready": False, "kind": kind, **info}


def start_failure(exc: BaseException) -> dict[str, Any]:
    """The reply of a worker that could not start, sent in place of its first "ready".

    Facts only (exception type and text), so the judge can name the cause
    ("No module named 'tqdm'") instead of a bare exit code.
    """
    info = describe(exc, "")
    return {"ready": False, "kind": START_FAILED, "exc_type": info["exc_type"],
            "text": info["text"]}  # fmt: skip


def _fault(rid: Any, fault: str, **facts: Any) -> tuple[dict[str, Any], list[memoryview]]:
    return {"id": rid, "ok": False, "fault": fault, **facts}, []


def handle(
    module: types.ModuleType,
    header: dict[str, Any],
    buffers: Sequence[memoryview],
    *,
    path: str,
    caps: codec.Caps,
    probes: dict[str, Callable[..., Any]],
) -> tuple[dict[str, Any], list[memoryview]]:
    """Run one call or probe request and build the reply (never raises).

    What the stand-ins said while it ran (``input()`` answered '', CUDA ran
    on the CPU) goes with the reply as ``notes``: the judge shows each once
    in that exercise's feedback.
    """
    reply, out = _handle(module, header, buffers, path=path, caps=caps, probes=probes)
    said = standins.take()
    if said:
        reply["notes"] = said
    return reply, out


def _handle(
    module: types.ModuleType,
    header: dict[str, Any],
    buffers: Sequence[memoryview],
    *,
    path: str,
    caps: codec.Caps,
    probes: dict[str, Callable[..., Any]],
) -> tuple[dict[str, Any], list[memoryview]]:
    rid = header.get("id")
    op, name, seed = header.get("op"), header.get("name"), header.get("seed", 0)
    try:
        args = codec.decode(header.get("args", []), buffers, caps)
        kwargs = codec.decode(header.get("kwargs", {}), buffers, caps)
    except codec.CodecError as exc:
        return _fault(rid, "bad_request", text=str(exc))
    if type(name) is not str or type(args) is not list or type(kwargs) is not dict:
        return _fault(rid, "bad_request", text="malformed request")
    if type(seed) is not int or seed < 0:
        return _fault(rid, "bad_request", text="bad seed")
    if op == "call":
        target = dict.get(_module_dict(module), name)
        if target is None:
            return _fault(rid, "not_found")
        if not callable(target):
            return _fault(rid, "not_callable", exc_type=codec.qualname(target))
        run: Callable[..., Any] = target
    elif op == "probe":
        probe = probes.get(name)
        if probe is None:
            return _fault(rid, "unknown_probe")
        run = _bind(probe, module)
    else:
        return _fault(rid, "bad_request", text=f"unknown op {op!r}")

    record: tracer.Trace | None = None
    try:
        reset_globals(seed)
        if header.get("trace") is True:  # a by-hand function: record the operators it runs
            with tracer.trace() as record:
                result = run(*args, **kwargs)
        else:
            result = run(*args, **kwargs)
    except BaseException as exc:
        info = describe(exc, path)
        return _fault(rid, "memory" if _is_memory(exc, info["text"]) else "raised", **info)
    finally:
        _flush()
    try:
        packed = codec.encode(result, caps)
    except codec.CodecError as exc:
        return _fault(rid, "rejected", text=str(exc))
    except BaseException as exc:  # a __torch_dispatch__ subclass, say
        return _fault(rid, "rejected", text=f"the value could not be read ({codec.qualname(exc)})")
    reply = {"id": rid, "ok": True, "value": packed.tree}
    if record is not None:
        reply["trace"] = record.to_wire()
    return reply, packed.buffers


def _bind(probe: Callable[..., Any], module: types.ModuleType) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        return probe(module, *args, **kwargs)

    return run


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()


def serve(
    sock: socket.socket,
    *,
    folder: str,
    caps: codec.Caps,
    max_frame: int,
    hint_after: float | None = None,
    cell_budget: float | None = None,
    import_budget: float | None = None,
) -> NoReturn:
    """The worker's whole life: load exercise modules and answer requests on them.

    One worker serves one submission. ``{"op": "load", "module": name}`` imports
    ``folder/name.py`` and says ready (or why not); calls and probes name the
    module they are for. Each module is imported with the globals reset to
    seed 0, as in a fresh worker, and sees no other exercise's module in
    ``sys.modules`` (docs/threats.md row 30), whatever was loaded before it.

    First makes sure the stand-ins a course notebook expects are in place
    (`standins.py`: the host template installed them, unless it failed to);
    if that fails, the first reply is `start_failure` (the cause) and the worker exits.
    Ends with `os._exit`: no atexit hooks, no finalizers, nothing the student
    registered gets to run after the last reply (docs/threats.md rows 10, 24).
    `hint_after` (seconds): if an import is still running then, say where.
    `cell_budget` and `import_budget` (seconds): the wall time of one unit (a
    code cell, a top-level statement) and of all units of one import.
    """
    try:
        from grader.sandbox.confined.probes import registry  # loaded by the host

        standins.install()  # google.colab, input(), CUDA on the CPU, quiet plots and bars
    except BaseException as exc:  # no student code has run yet: the grader's own fault
        _reply(sock, start_failure(exc), [], max_frame)
        os._exit(70)
    modules: dict[str, types.ModuleType] = {}
    while True:
        try:
            header, buffers = protocol.recv_frame(sock, max_bytes=max_frame)
        except protocol.FrameError:
            os._exit(0)
        name = header.get("module")
        if type(name) is not str or not protocol.MODULE_NAME.fullmatch(name):
            _reply(sock, _fault(header.get("id"), "bad_request", text="bad module name")[0], [],
                   max_frame)  # fmt: skip
            continue
        path = os.path.join(folder, f"{name}.py")
        if header.get("op") == "load":
            clock = cells.Clock(path, unit_budget=cell_budget, total_budget=import_budget,
                                hint_after=hint_after, hint=_hinter(sock, max_frame))  # fmt: skip
            reply = _load(modules, name, path, header.get("cells"), clock)
            _reply(sock, reply, [], max_frame)
            continue
        module = modules.get(name)
        if module is None:
            _reply(sock, _fault(header.get("id"), "bad_request", text="module not loaded")[0], [],
                   max_frame)  # fmt: skip
            continue
        _show_only(modules, name)
        sys.argv = [path]
        reply, out = handle(module, header, buffers, path=path, caps=caps, probes=registry())
        _reply(sock, reply, out, max_frame)


def _load(
    modules: dict[str, types.ModuleType],
    name: str,
    path: str,
    table: Any,
    clock: cells.Clock,
) -> dict[str, Any]:
    """Import one exercise module as a fresh worker would; the ready (or failure) reply.

    Ready even when some cells failed: their facts go with it (`cells`), and
    the judge words them.
    """
    _show_only(modules, None)
    sys.argv = [path]
    try:
        reset_globals(0)
        module, failures = load_units(name, path, table, clock)
    except BaseException as exc:
        sys.modules.pop(name, None)
        _flush()
        return import_failure(exc, path)
    _flush()
    modules[name] = module
    return {"ready": True, "cells": failures}


def _show_only(modules: dict[str, types.ModuleType], name: str | None) -> None:
    """Leave only exercise `name` (or none) importable by name from `sys.modules`."""
    for other in modules:
        if other != name:
            sys.modules.pop(other, None)
    if name is not None:
        sys.modules[name] = modules[name]


def _hinter(sock: socket.socket, max_frame: int) -> Callable[[int | None], None]:
    """Tell the judge where a slow import is, before its deadline (docs/threats.md row 53).

    The cell clock calls it once, half-way through the import's time, with the
    innermost line of the student's file that is running; the judge words it
    ("code cell 3, line 2" for a notebook) if the import then times out.
    Facts only: a student who forges or blocks it changes nothing but that hint.
    """

    def send(line: int | None) -> None:
        _reply(sock, {"progress": "importing", "line": line}, [], max_frame)

    return send


def _reply(
    sock: socket.socket, header: dict[str, Any], buffers: list[memoryview], max_frame: int
) -> None:
    try:
        try:
            protocol.send_frame(sock, header, buffers, max_bytes=max_frame)
        except protocol.FrameError:
            too_large = {"id": header.get("id"), "ok": False, "fault": "rejected",
                         "text": "return value too large"}  # fmt: skip
            protocol.send_frame(sock, too_large)
    except OSError:
        os._exit(0)
