"""One submission in the sandbox: its worker, and a handle per exercise.

    with host.submission({"ex02_shapes": text}) as student:   # SandboxHost's
        handle = student.exercise("ex02_shapes")  # imported on first use
        probs = handle.call("normalize_rows", x, timeout=2)

One worker serves the whole submission (a fork of the torch-loaded host, its
first-use faults and its teardown cost ~45 ms of CPU; one per exercise more
than doubled the time to grade a class). Each exercise's module is loaded into
it on first use. `Limits.exercises_per_worker` bounds how many exercises one
worker serves: at 1, every exercise gets a fresh fork, so one exercise's
patches of torch or `builtins` cannot change another's result. The judge enforces every
wall-clock deadline itself (`poll` on the worker's socket); on a timeout,
crash, early exit, wrong request id or bad frame it has the host kill the
worker's process group, fails that one call, charges the fault to the
exercise whose request ran, and the next call of any exercise starts a fresh
worker and loads its module again (an exercise gets at most `Limits.restarts`
faults). A worker's exit code never means success: only a reply carrying the
request's id does.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import shutil
import signal
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from grader import timings
from grader.sandbox.trusted.errors import (
    CallTimeout,
    ImportFailed,
    Locate,
    NoTasks,
    SandboxError,
    ValueRejected,
    WorkerCrashed,
    WorkerStartFailed,
    WorkerUnstable,
    call_fault,
    import_fault,
    start_failure,
)
from grader.sandbox.trusted.replies import Replies
from grader.sandbox.trusted.units import add_call_notes, explain_missing

if TYPE_CHECKING:
    from grader.sandbox.confined.tracer import Trace
    from grader.sandbox.trusted.client import SandboxHost
    from grader.sandbox.trusted.limits import Limits

__all__ = ["ExerciseHandle", "SubmissionSandbox"]


class SubmissionSandbox:
    """One submission's exercises, imported lazily into one shared worker.

    The worker starts with the first call; each exercise's module is loaded
    into it on that exercise's first call. Any fault that ends the worker
    (timeout, crash, exit, bad reply) is charged to the exercise whose request
    was running; the next call of any exercise starts a fresh worker and loads
    its module again.
    """

    def __init__(
        self,
        host: SandboxHost,
        sources: dict[str, str],
        *,
        origins: dict[str, str] | None = None,
        locate: Mapping[str, Locate] | None = None,
        cells: Mapping[str, Sequence[tuple[int, int]]] | None = None,
    ) -> None:
        from grader.sandbox.wire import protocol  # imports torch: the judge has it by now

        for name in sources:
            if not protocol.MODULE_NAME.fullmatch(name):
                raise SandboxError(f"not a valid exercise name: {name!r}")
        self._host = host
        self._sources = dict(sources)
        self._origins = dict(origins or {})
        self._locate = dict(locate or {})
        self._cells = {name: [[int(a), int(b)] for a, b in table] for name, table in
                       (cells or {}).items()}  # fmt: skip
        self._session = secrets.token_hex(8)
        self._dir = host.inbox / self._session
        self._dir.mkdir(mode=0o755)
        for name, text in self._sources.items():
            path = self._dir / f"{name}.py"
            path.write_text(text, encoding="utf-8")
            path.chmod(0o644)
        self._handles: dict[str, ExerciseHandle] = {}
        self._worker = _SharedWorker(host, self._session)
        self._closed = False

    def exercise(self, name: str) -> ExerciseHandle:
        """The handle for exercise `name`; its module is loaded on first use."""
        if self._closed:
            raise SandboxError("this submission's sandbox is closed")
        handle = self._handles.get(name)
        if handle is None:
            handle = ExerciseHandle(
                self._host, self, self._worker, name, present=name in self._sources
            )
            self._handles[name] = handle
        return handle

    def source(self, name: str) -> str:
        """The exercise's source text, for static checks; never executed here."""
        if name not in self._sources:
            raise ImportFailed(f"{self.display(name)} was not found in your submission",
                               kind="missing")  # fmt: skip
        return self._sources[name]

    def display(self, name: str) -> str:
        """How the student knows this exercise's file."""
        return self._origins.get(name, f"{name}.py")

    def unit_failures(self, name: str) -> list[dict[str, Any]]:
        """Facts about the cells (or statements) of `name` that did not finish when imported."""
        handle = self._handles.get(name)
        return list(handle.units) if handle is not None else []

    def call_notes(self, name: str) -> list[str]:
        """What the stand-ins said during `name`'s graded calls, worded, each once."""
        handle = self._handles.get(name)
        return list(handle.call_notes) if handle is not None else []

    def cells_of(self, name: str) -> list[list[int]] | None:
        """A notebook's code cells as `[module line, cell]` starts; None for a `.py` module."""
        return self._cells.get(name)

    def locator(self, name: str) -> Locate | None:
        """How to word a line of exercise `name` for the student (None: "<file>, line N")."""
        return self._locate.get(name)

    @property
    def session(self) -> str:
        """The random name of this submission's inbox folder and worker group."""
        return self._session

    @property
    def closed(self) -> bool:
        """Whether `close()` was called."""
        return self._closed

    def close(self) -> None:
        """Kill every process of this submission and delete its files."""
        if self._closed:
            return
        self._closed = True
        try:
            self._worker.close()
            if not self._host.closed:
                self._host.control({"op": "sweep", "session": self._session})
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> SubmissionSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class _Live:
    pid: int
    sock: socket.socket
    out_fd: int


class _OutputBuffer:
    """What one exercise's code printed, capped at `Limits.output_bytes`; the rest is counted."""

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._data = bytearray()
        self._dropped = 0

    def drain(self, fd: int) -> None:
        """Take what is waiting on the worker's output pipe."""
        from grader.sandbox.wire import protocol

        for _ in range(16):  # bounded: a flood must not starve the deadline
            chunk = protocol.drain(fd)
            if not chunk:
                return
            room = self._cap - len(self._data)
            if room > 0:
                self._data += chunk[:room]
            self._dropped += max(0, len(chunk) - max(room, 0))

    def text(self) -> str:
        text = self._data.decode("utf-8", errors="replace")
        if self._dropped:
            text += f"\n[... {self._dropped} more bytes of output dropped]"
        return text


class _SharedWorker:
    """The one worker a submission's exercises share: its only owner.

    Only this class touches the worker's process, socket and output pipe, and
    knows which modules are loaded in it and whose request it ran last (the
    *speaker*: what the worker prints belongs to the exercise that asked). The
    exercise handles ask it for the worker and tell it when a fault ends it.
    """

    def __init__(self, host: SandboxHost, session: str) -> None:
        self._host = host
        self._session = session
        self._live: _Live | None = None
        self._loaded: set[str] = set()  # modules imported into the live worker
        self._served: list[str] = []  # exercises the live worker has served, in order
        self._share = host.limits.exercises_per_worker
        self._speaker: _OutputBuffer | None = None  # who gets what the worker prints now
        self._closed = False
        self._fresh = False  # started, and no load sent to it yet
        self._broken: WorkerStartFailed | None = None  # a worker could not start: none will

    @property
    def running(self) -> bool:
        return self._live is not None

    def acquire(self, module: str, out: _OutputBuffer) -> tuple[_Live, bool]:
        """The live worker, started if need be, and whether `module` is loaded in it.

        From now on what the worker prints goes to `out`.
        """
        if self._closed:
            raise SandboxError("this submission's sandbox is closed")
        if self._broken is not None:
            raise self._broken
        speaker = self._speaker
        if self._live is not None and speaker is not None and speaker is not out:
            speaker.drain(self._live.out_fd)  # what was printed since its request is its own
        if self._live is not None and not _idle(self._live.sock):
            # Gone, or talking out of turn, between requests: something an earlier
            # request left running (a thread, a child) did it, not this exercise.
            self.end(0.0, speaker or out)
        served = self._served
        if self._live is not None and module not in served and len(served) >= self._share:
            # A fresh start for this exercise (`Limits.exercises_per_worker`): what the
            # others' imports and calls did to the process (patched torch or builtins,
            # settings, threads) cannot change its result. The worker was idle: ending
            # it is nobody's fault.
            self.end(0.0, speaker or out)
        self._speaker = out
        if self._live is None:
            with timings.phase("fork"):
                self._live = self._spawn()
            self._fresh = True
            self._loaded = set()
            self._served = []
        if module not in self._served:
            self._served.append(module)
        return self._live, module in self._loaded

    def mark_loaded(self, module: str) -> None:
        self._loaded.add(module)

    def first_load(self) -> bool:
        """Whether the load just sent is the live worker's first (then it may not have started)."""
        fresh, self._fresh = self._fresh, False
        return fresh

    def broke(self, facts: dict[str, Any], listener: _OutputBuffer) -> WorkerStartFailed:
        """A worker said it could not start: end it, and fail every later request the same way.

        Nobody's exercise is charged: no student code ran. Its cause would stop
        the next worker too (a package missing from the grader's environment).
        """
        self.end(1.0, listener)
        self._broken = start_failure(facts)
        return self._broken

    def flush(self, out: _OutputBuffer) -> None:
        """Move what the worker printed into `out`, if it is the speaker."""
        if self._live is not None and self._speaker is out:
            out.drain(self._live.out_fd)

    def end(self, wait: float, listener: _OutputBuffer) -> dict[str, Any]:
        """Have the host end the worker; how it ended. Its last output goes to `listener`."""
        live, self._live = self._live, None
        self._loaded = set()
        if live is None:
            return {"code": None, "signal": None}
        try:
            return self._host.control({"op": "stop", "pid": live.pid, "wait": wait})
        finally:
            listener.drain(live.out_fd)
            live.sock.close()
            os.close(live.out_fd)

    def close(self) -> None:
        """Close our ends only: the host's sweep ends the worker and all it started."""
        self._closed = True
        live, self._live = self._live, None
        if live is not None:
            if self._speaker is not None:
                self._speaker.drain(live.out_fd)
            live.sock.close()
            os.close(live.out_fd)

    def _spawn(self) -> _Live:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        limits = dict(asdict(self._host.limits), frame_bytes=self._host.limits.frame_bytes())
        message = {"op": "spawn", "session": self._session, "limits": limits}
        try:
            try:
                reply = self._host.control(message, fds=[theirs.fileno(), write_fd])
            except NoTasks:
                # The task limit is full: leftovers of a fork bomb, most likely. The
                # host has killed its strays; they take a moment to be reaped.
                time.sleep(0.1)
                reply = self._host.control(message, fds=[theirs.fileno(), write_fd])
        except BaseException:
            ours.close()
            os.close(read_fd)
            raise
        finally:
            theirs.close()
            os.close(write_fd)
        return _Live(int(reply["pid"]), ours, read_fd)


class ExerciseHandle:
    """Calls into one exercise's module in the submission's worker."""

    def __init__(
        self,
        host: SandboxHost,
        owner: SubmissionSandbox,
        worker: _SharedWorker,
        name: str,
        *,
        present: bool,
    ) -> None:
        self.name = name
        self._host = host
        self._owner = owner
        self._worker = worker
        self._limits = host.limits
        self._display = owner.display(name)
        self._locate = owner.locator(name)
        self._failure: ImportFailed | None = None
        if not present:
            self._failure = ImportFailed(f"{self._display} was not found in your submission",
                                         kind="missing")  # fmt: skip
        self.units: list[dict[str, Any]] = []  # cells that did not finish at the last import
        self.call_notes: list[str] = []  # what the stand-ins said during its calls
        self._faults = 0  # workers ended while running this exercise's requests
        self._out = _OutputBuffer(self._limits.output_bytes)
        self._replies = Replies()  # a request asked again gets the same answer (`replies`)

    # ---------------------------------------------------------------- public

    def call(
        self, function: str, *args: Any, timeout: float | None = None, seed: int = 0, **kwargs: Any
    ) -> Any:
        """Call `function` from the student's module with codec-encoded arguments.

        `timeout` (wall seconds, default `Limits.call_timeout`) and `seed`
        (for torch, numpy and random, reset before the call) are the
        sandbox's; pass a student parameter of the same name positionally.
        """
        return self._request("call", function, args, kwargs, timeout, seed, f"`{function}`")

    def probe(
        self, probe: str, *args: Any, timeout: float | None = None, seed: int = 0, **kwargs: Any
    ) -> Any:
        """Run the registered probe `probe` on the student's module."""
        return self._request("probe", probe, args, kwargs, timeout, seed, f"`{probe}`")

    def traced(
        self, function: str, *args: Any, timeout: float | None = None, seed: int = 0,
        **kwargs: Any,
    ) -> tuple[Any, Trace]:  # fmt: skip
        """`call`, recording the torch operators and functions it ran (a by-hand rule's facts)."""
        return self._request(
            "call", function, args, kwargs, timeout, seed, f"`{function}`", trace=True
        )

    def traced_probe(
        self, probe: str, *args: Any, timeout: float | None = None, seed: int = 0, **kwargs: Any
    ) -> tuple[Any, Trace]:
        """`probe`, recording what the student's code it runs executed."""
        return self._request("probe", probe, args, kwargs, timeout, seed, f"`{probe}`", trace=True)

    def output(self) -> str:
        """What the student's code printed so far (stdout and stderr, capped)."""
        self._worker.flush(self._out)
        return self._out.text()

    def stop(self) -> None:
        """End the submission's worker, if one is running (the next call starts another)."""
        if self._worker.running:
            self._worker.end(0.0, self._out)

    # ---------------------------------------------------------------- internals

    def _end(self, wait: float) -> dict[str, Any]:
        """End the worker after a fault in this exercise's request; counts toward its limit."""
        self._faults += 1
        return self._worker.end(wait, self._out)

    def _start(self) -> _Live:
        from grader.sandbox.wire import protocol

        if self._failure is not None:
            raise self._failure
        if self._faults > self._limits.restarts:
            raise WorkerUnstable(
                f"worker unstable: restarted {self._limits.restarts} times after failures "
                f"in {self._display}; its remaining checks are not run"
            )
        live, loaded = self._worker.acquire(self.name, self._out)
        if loaded:
            return live
        try:
            protocol.send_frame(
                live.sock,
                {"op": "load", "module": self.name, "cells": self._owner.cells_of(self.name)},
            )
        except OSError:  # gone already: perhaps it said why it could not start
            self._said_why(live, self._worker.first_load())
            self._failure = _import_death(self._end(wait=1.0), self._display, self._limits)
            raise self._failure from None
        fresh = self._worker.first_load()
        with timings.phase("import"):
            self._failure = self._await_ready(live, fresh)
        if self._failure is not None:
            raise self._failure
        self._worker.mark_loaded(self.name)
        return live

    def _said_why(self, live: _Live, fresh: bool) -> None:
        """Raise the cause a worker that died before its first load sent, if it sent one."""
        from grader.sandbox.wire import protocol

        if not fresh:
            return
        with contextlib.suppress(protocol.FrameError, OSError):
            header, _ = protocol.recv_frame(
                live.sock, max_bytes=1 << 20, deadline=time.monotonic() + 1.0
            )
            self._start_failed(header, fresh)

    def _start_failed(self, header: dict[str, Any], fresh: bool) -> None:
        """Raise `WorkerStartFailed` if `header` is a fresh worker's "could not start" reply.

        Only a fresh worker's reply to its first load is taken as one: after
        that, a student's code has run in it. (That first import's code could
        forge one too, which only turns its own submission's checks into
        staff-visible grader errors, worth no points.)
        """
        from grader.sandbox.confined.worker import START_FAILED

        if fresh and header.get("ready") is False and header.get("kind") == START_FAILED:
            raise self._worker.broke(header, self._out)

    def _await_ready(self, live: _Live, fresh: bool = False) -> ImportFailed | None:
        from grader.sandbox.wire import protocol

        limit = self._limits.import_timeout
        where = f"while importing {self._display}"
        deadline = time.monotonic() + limit
        line = None
        try:
            while True:
                header, _ = protocol.recv_frame(
                    live.sock,
                    max_bytes=1 << 20,
                    deadline=deadline,
                    watch={live.out_fd: lambda: self._out.drain(live.out_fd)},
                )
                if "progress" not in header:
                    break
                line = header.get("line")  # where the import was, half-way through its time
        except protocol.FrameTimeout:
            self._end(wait=0.0)
            if type(line) is int and line > 0:
                at = self._locate(line) if self._locate else f"{self._display}, line {line}"
                where += f" (it was still running {at})"
            return ImportFailed(f"timed out after {limit:g} s {where}", kind="timeout")
        except protocol.FrameClosed:
            return _import_death(self._end(wait=1.0), self._display, self._limits)
        except protocol.FrameError:
            self._end(wait=0.0)
            return ImportFailed(f"the worker sent a malformed reply {where}", kind="crashed")
        if header.get("ready") is True:
            units = header.get("cells")
            self.units = (
                [u for u in units if isinstance(u, dict)] if isinstance(units, list) else []
            )
            return None
        self._start_failed(header, fresh)
        if header.get("kind") == "memory":  # its heap is suspect: the others get a fresh one
            self._worker.end(0.0, self._out)
        return import_fault(header, self._display, self._locate)

    def _request(
        self,
        op: str,
        name: str,
        args: tuple,
        kwargs: dict[str, Any],
        timeout: float | None,
        seed: int,
        target: str,
        *,
        trace: bool = False,
    ) -> Any:
        from grader.sandbox.wire import codec, protocol

        if self._owner.closed:
            raise SandboxError("this submission's sandbox is closed")
        try:
            with timings.phase("codec"):
                packed = codec.encode([list(args), kwargs], self._limits.caps(), role="argument")
        except codec.CodecError as exc:
            raise SandboxError(f"cannot send the arguments for {target}: {exc}") from None
        rid = secrets.token_hex(8)
        request = {"id": rid, "op": op, "module": self.name, "name": name, "seed": seed,
                   "args": packed.tree[0], "kwargs": packed.tree[1]}  # fmt: skip
        if trace:
            request["trace"] = True
        limit = self._limits.call_timeout if timeout is None else timeout
        asked = self._replies.key(request, packed.buffers, timeout=limit)
        kept = self._replies.get(asked)
        if kept is not None:
            return self._value(kept.header, kept.buffers, target, trace)
        live = self._start()
        deadline = time.monotonic() + limit
        sent = time.perf_counter()
        try:
            live.sock.settimeout(limit)
            protocol.send_frame(live.sock, request, packed.buffers)
            reply, buffers = protocol.recv_frame(
                live.sock,
                max_bytes=self._limits.frame_bytes(),
                deadline=deadline,
                watch={live.out_fd: lambda: self._out.drain(live.out_fd)},
            )
        except (protocol.FrameTimeout, TimeoutError):
            self._end(wait=0.0)
            raise CallTimeout(f"timed out after {limit:g} s while running {target}") from None
        except (protocol.FrameClosed, OSError):
            raise _call_death(self._end(wait=1.0), target, self._limits) from None
        except protocol.FrameError:
            self._end(wait=0.0)
            raise WorkerCrashed(
                f"the worker sent a malformed reply while running {target}"
            ) from None
        timings.add("calls", time.perf_counter() - sent)
        if reply.get("id") != rid:
            self._end(wait=0.0)
            raise WorkerCrashed(f"the worker answered another request while running {target}")
        if "notes" in reply:
            add_call_notes(self.call_notes, reply["notes"], name if op == "call" else None)
        if reply.get("ok") is True:
            answer = self._value(reply, buffers, target, trace)
            self._replies.keep(asked, reply, buffers)
            return answer
        if reply.get("fault") == "memory":
            self._end(wait=0.0)  # its heap is suspect: start clean next time
        fault = call_fault(reply, display=self._display, target=target, locate=self._locate)
        if op == "call":
            fault = explain_missing(fault, name, self.units, display=self._display,
                                    locate=self._locate, limits=self._limits)  # fmt: skip
        raise fault

    def _value(
        self, reply: dict[str, Any], buffers: Sequence[Any], target: str, trace: bool
    ) -> Any:
        """The value of a successful reply, decoded afresh (with its trace, if asked)."""
        from grader.sandbox.wire import codec

        try:
            with timings.phase("codec"):
                value = codec.decode(reply.get("value"), buffers, self._limits.caps())
        except codec.CodecError as exc:
            self._end(wait=0.0)
            raise ValueRejected(f"{exc} (from {target})") from None
        if not trace:
            return value
        from grader.sandbox.confined.tracer import Trace

        return value, Trace.from_wire(reply.get("trace"))  # no trace at all: tampered


def _idle(sock: socket.socket) -> bool:
    """Whether a worker's socket is open with nothing unread: true between requests."""
    ready, _, _ = select.select([sock], [], [], 0)
    return not ready


def _signal_name(number: int) -> str:
    with contextlib.suppress(ValueError):
        return signal.Signals(number).name
    return f"signal {number}"


def _death(status: dict[str, Any], limits: Limits) -> tuple[str, str]:
    """(kind, phrase) for how a worker ended without replying."""
    code, sig = status.get("code"), status.get("signal")
    if code is not None:
        return "exited", f"exit code {code}"
    if sig == signal.SIGXCPU:
        return "crashed", f"CPU time limit of {limits.cpu_seconds} s exceeded"
    if sig is not None:
        return "crashed", _signal_name(sig)
    return "crashed", "no exit status"


def _import_death(status: dict[str, Any], display: str, limits: Limits) -> ImportFailed:
    kind, phrase = _death(status, limits)
    if kind == "exited":
        return ImportFailed(f"{display} exited during import ({phrase})", kind="exited")
    return ImportFailed(f"the worker crashed while importing {display} ({phrase})", kind="crashed")


def _call_death(status: dict[str, Any], target: str, limits: Limits) -> WorkerCrashed:
    kind, phrase = _death(status, limits)
    if kind == "exited":
        return WorkerCrashed(f"worker exited without returning ({phrase}) while running {target}")
    return WorkerCrashed(f"worker crashed ({phrase}) while running {target}")
