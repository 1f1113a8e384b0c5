"""The L0 backend: student code in this process. For the package's own tests only.

Same API as `SubmissionSandbox` (`exercise(name)` -> handle with `call`,
`probe`, `output`; `source(name)`), and, on purpose, the same data path:
arguments and results go through `codec.encode` -> JSON -> `codec.decode`,
requests are served by the real worker's `handle`, and faults are worded by
the same functions. So a check written against this backend sees exactly the
types and messages the real sandbox gives.

What it does not give: isolation of any kind, memory limits, or survival of
`os._exit`. Never use it to grade (docs/threats.md G9, level L0). Cells get
their time budgets as in the worker; with ``timeouts=True`` (``grader check``)
each call gets its deadline too (`Limits.call_timeout`, or the check's
`timeout=`), cut by ``SIGALRM`` as a cell is: an endless loop in a student's
function fails that call with the message the sandbox gives, instead of
hanging the checker. (Only on the main thread of a system with ``SIGALRM``;
a loop that swallows every interruption still hangs, as nothing else there
can stop it.)
"""

from __future__ import annotations

import contextlib
import io
import random
import secrets
import sys
import tempfile
import types
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from grader.sandbox.confined import worker
from grader.sandbox.confined.cells import CellTimeout, Clock
from grader.sandbox.confined.tracer import Trace
from grader.sandbox.trusted.errors import (
    CallTimeout,
    ImportFailed,
    Locate,
    SandboxError,
    StudentFault,
    call_fault,
    import_fault,
)
from grader.sandbox.trusted.limits import Limits
from grader.sandbox.trusted.replies import Replies
from grader.sandbox.trusted.units import add_call_notes, explain_missing
from grader.sandbox.wire import codec

__all__ = ["InProcessExercise", "InProcessSubmission"]


class InProcessSubmission:
    """One submission's exercises, imported into this process (L0)."""

    def __init__(
        self,
        sources: dict[str, str],
        origins: dict[str, str] | None = None,
        *,
        limits: Limits | None = None,
        locate: Mapping[str, Locate] | None = None,
        cells: Mapping[str, Sequence[tuple[int, int]]] | None = None,
        timeouts: bool = False,
    ) -> None:
        self._sources = dict(sources)
        self._timeouts = timeouts
        self._origins = dict(origins or {})
        self._locate = dict(locate or {})
        self._cells = {n: [[int(a), int(b)] for a, b in t] for n, t in (cells or {}).items()}
        self._limits = limits or Limits()
        self._dir = tempfile.TemporaryDirectory(prefix="grader-l0-")
        self._handles: dict[str, InProcessExercise] = {}

    def exercise(self, name: str) -> InProcessExercise:
        """The handle for exercise `name`; imports it on first use."""
        handle = self._handles.get(name)
        if handle is None:
            handle = InProcessExercise(
                name,
                self._sources.get(name),
                display=self._origins.get(name, f"{name}.py"),
                directory=Path(self._dir.name),
                limits=self._limits,
                locate=self._locate.get(name),
                cells=self._cells.get(name),
                timeouts=self._timeouts,
            )
            self._handles[name] = handle
        return handle

    def unit_failures(self, name: str) -> list[dict[str, Any]]:
        """Facts about the cells (or statements) of `name` that did not finish when imported."""
        handle = self._handles.get(name)
        return list(handle.units) if handle is not None else []

    def call_notes(self, name: str) -> list[str]:
        """What the stand-ins said during `name`'s calls (none here: they run in the worker)."""
        handle = self._handles.get(name)
        return list(handle.call_notes) if handle is not None else []

    def source(self, name: str) -> str:
        """The exercise's source text (never executed by this call)."""
        if name not in self._sources:
            raise _missing(name, self._origins.get(name, f"{name}.py"))
        return self._sources[name]

    def close(self) -> None:
        """Forget the imported modules and delete the temporary files."""
        self._handles.clear()
        self._dir.cleanup()

    def __enter__(self) -> InProcessSubmission:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _missing(name: str, display: str) -> ImportFailed:
    return ImportFailed(f"{display} was not found in your submission", kind="missing")


class InProcessExercise:
    """Calls into one in-process student module, through the codec."""

    def __init__(
        self,
        name: str,
        source: str | None,
        *,
        display: str,
        directory: Path,
        limits: Limits,
        locate: Locate | None = None,
        cells: list[list[int]] | None = None,
        timeouts: bool = False,
    ) -> None:
        self.name = name
        self._timeouts = timeouts
        self.units: list[dict[str, Any]] = []
        self.call_notes: list[str] = []
        self._locate = locate
        self._cells = cells
        self._source = source
        self._display = display
        self._path = str(directory / f"{name}.py")
        self._limits = limits
        self._caps = limits.caps()
        self._module: types.ModuleType | None = None
        self._failure: ImportFailed | None = None
        self._out = _CappedText(limits.output_bytes)
        self._replies = Replies()  # a request asked again gets the same answer, as in the sandbox

    def call(
        self, function: str, *args: Any, timeout: float | None = None, seed: int = 0, **kwargs: Any
    ) -> Any:
        """Call `function` from the student's module (`timeout`: see the module's docstring)."""
        return self._request("call", function, args, kwargs, seed, f"`{function}`", timeout)

    def probe(
        self, probe: str, *args: Any, timeout: float | None = None, seed: int = 0, **kwargs: Any
    ) -> Any:
        """Run the registered probe `probe` on the student's module."""
        return self._request(
            "probe", probe, args, kwargs, seed, f"the grader's probe `{probe}`", timeout
        )

    def traced(
        self, function: str, *args: Any, timeout: float | None = None, seed: int = 0,
        **kwargs: Any,
    ) -> tuple[Any, Trace]:  # fmt: skip
        """`call`, recording the torch operators and functions it ran."""
        return self._request(
            "call", function, args, kwargs, seed, f"`{function}`", timeout, trace=True
        )

    def traced_probe(
        self, probe: str, *args: Any, timeout: float | None = None, seed: int = 0, **kwargs: Any
    ) -> tuple[Any, Trace]:
        """`probe`, recording what the student's code it runs executed."""
        return self._request(
            "probe", probe, args, kwargs, seed, f"the grader's probe `{probe}`", timeout, trace=True
        )

    def output(self) -> str:
        """What the student's code printed so far (capped)."""
        return self._out.text()

    def _load(self) -> types.ModuleType:
        if self._module is not None:
            return self._module
        if self._failure is not None:
            raise self._failure
        if self._source is None:
            self._failure = _missing(self.name, self._display)
            raise self._failure
        Path(self._path).write_text(self._source, encoding="utf-8")
        previous = sys.modules.get(self.name)
        try:
            with self._student_context():
                clock = Clock(self._path, unit_budget=self._limits.cell_timeout,
                              total_budget=0.8 * self._limits.import_timeout)  # fmt: skip
                self._module, self.units = worker.load_units(
                    self.name, self._path, self._cells, clock
                )
        except BaseException as exc:
            facts = worker.import_failure(exc, self._path)
            self._failure = import_fault(facts, self._display, self._locate)
            raise self._failure from None
        finally:
            if previous is not None:
                sys.modules[self.name] = previous
            else:
                sys.modules.pop(self.name, None)
        return self._module

    def _request(
        self, op: str, name: str, args: tuple, kwargs: dict, seed: int, target: str,
        timeout: float | None = None, *, trace: bool = False,
    ) -> Any:  # fmt: skip
        module = self._load()
        try:
            packed = codec.encode([list(args), dict(kwargs)], self._caps, role="argument")
        except codec.CodecError as exc:
            raise SandboxError(f"cannot send the arguments for {target}: {exc}") from None
        rid = secrets.token_hex(8)
        request = {"id": rid, "op": op, "name": name, "seed": seed,
                   "args": packed.tree[0], "kwargs": packed.tree[1]}  # fmt: skip
        if trace:
            request["trace"] = True
        limit = self._limits.call_timeout if timeout is None else timeout
        asked = self._replies.key(request, packed.buffers, timeout=limit)
        kept = self._replies.get(asked)
        if kept is not None:
            return self._answer(kept.header, kept.buffers, trace)
        header, buffers = codec.unpack(codec.pack(request, packed.buffers))  # the wire, as JSON
        from grader.assignment import current
        from grader.sandbox.confined import probes

        registry = probes.load([str(p) for p in current().probe_files])

        clock = Clock(self._path, unit_budget=limit, total_budget=None)
        try:
            with self._student_context(), _deadline(clock if self._timeouts else None):
                reply, out = worker.handle(
                    module, header, buffers, path=self._path, caps=self._caps, probes=registry
                )
        except CellTimeout:  # cut just outside the student's code: still its deadline
            pass
        if clock.cuts:  # over its deadline, whatever it then did with the interruption
            raise CallTimeout(f"timed out after {limit:g} s while running {target}")
        reply, out = codec.unpack(codec.pack(reply, out))
        if "notes" in reply:
            add_call_notes(self.call_notes, reply["notes"], name if op == "call" else None)
        if reply.get("ok") is True:
            answer = self._answer(reply, out, trace)
            self._replies.keep(asked, reply, out)
            return answer
        fault: StudentFault = call_fault(
            reply, display=self._display, target=target, locate=self._locate
        )
        if op == "call":
            fault = explain_missing(fault, name, self.units, display=self._display,
                                    locate=self._locate, limits=self._limits)  # fmt: skip
        raise fault

    def _answer(self, reply: dict[str, Any], buffers: Sequence[Any], trace: bool) -> Any:
        """The value of a successful reply, decoded afresh (with its trace, if asked)."""
        value = codec.decode(reply.get("value"), buffers, self._caps)
        return (value, Trace.from_wire(reply.get("trace"))) if trace else value

    @contextlib.contextmanager
    def _student_context(self) -> Iterator[None]:
        """Capture output and keep this (trusted) process's torch state as it was."""
        saved = _GlobalState.save()
        try:
            with contextlib.redirect_stdout(self._out), contextlib.redirect_stderr(self._out):
                yield
        finally:
            saved.restore()


@contextlib.contextmanager
def _deadline(clock: Clock | None) -> Iterator[None]:
    """Run the block as one unit of `clock` (cut at its budget); no clock: no deadline."""
    if clock is None:
        yield
        return
    clock.start()
    try:
        clock.begin_unit()
        yield
    finally:
        clock.end_unit()
        clock.stop()


class _GlobalState:
    """The parts of the test process's global state that student calls reset."""

    def __init__(self) -> None:
        self.dtype = torch.get_default_dtype()
        self.grad = torch.is_grad_enabled()
        self.threads = torch.get_num_threads()
        self.deterministic = torch.are_deterministic_algorithms_enabled()
        self.warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
        self.torch_rng = torch.get_rng_state()
        self.np_rng = np.random.get_state()
        self.py_rng = random.getstate()
        self.np_err = np.geterr()

    @classmethod
    def save(cls) -> _GlobalState:
        return cls()

    def restore(self) -> None:
        torch.set_default_dtype(self.dtype)
        torch.set_grad_enabled(self.grad)
        torch.set_num_threads(self.threads)
        # not torch.use_deterministic_algorithms: it imports torch._dynamo (see worker.py)
        torch._C._set_deterministic_algorithms(self.deterministic, warn_only=self.warn_only)
        torch.set_rng_state(self.torch_rng)
        np.random.set_state(self.np_rng)
        random.setstate(self.py_rng)
        np.seterr(**self.np_err)


class _CappedText(io.TextIOBase):
    """A text sink that keeps the first `limit` characters and counts the rest."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._parts: list[str] = []
        self._kept = 0
        self._dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        room = self._limit - self._kept
        if room > 0:
            self._parts.append(s[:room])
            self._kept += min(room, len(s))
        self._dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def text(self) -> str:
        text = "".join(self._parts)
        if self._dropped:
            text += f"\n[... {self._dropped} more characters of output dropped]"
        return text
