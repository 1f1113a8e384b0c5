"""The judge's side of the sandbox: start a host, open submissions on it.

    with SandboxHost(Limits(), require="L3") as host:       # one torch import
        with host.submission({"ex02_shapes": text}) as student:
            handle = student.exercise("ex02_shapes")  # fork + import, lazily
            probs = handle.call("normalize_rows", x, timeout=2)

Everything that can go wrong on the student's side becomes a `StudentFault`
with a message in their terms; everything else is a `SandboxError`. This
module starts, checks and stops the host; a submission's worker and its calls
are `session.py`'s.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import socket
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from secrets import token_hex
from typing import TYPE_CHECKING, Any

from grader.model import Isolation
from grader.sandbox import levels
from grader.sandbox.confined import confine
from grader.sandbox.trusted import launcher, staging
from grader.sandbox.trusted.errors import (
    IsolationError,
    Locate,
    NoTasks,
    SandboxError,
    SetupFailed,
)
from grader.sandbox.trusted.limits import Limits, configured
from grader.sandbox.trusted.session import ExerciseHandle, SubmissionSandbox
from grader.sandbox.trusted.spawner import HostProcess, HostTemplate

if TYPE_CHECKING:
    pass

# codec and protocol (which import torch) load with the first call, not here:
# the judge starts its sandbox host before paying for its own torch import.

__all__ = ["ExerciseHandle", "Limits", "SandboxHost", "SubmissionSandbox"]

_CONTROL_TIMEOUT = 30.0
_STARTUP_TIMEOUT = 120.0


class SandboxHost:
    """One untrusted zygote process per judge; hands out submission sandboxes.

    The host is forked by a host template (`spawner.HostTemplate`): the one
    given as `template` (a channel the judge that forked this one attached
    for it), or else one this object starts, owns and stops. `require`
    ("L1".."L3") makes start-up fail with `IsolationError` instead of grading
    below that level. `secrets` adds paths to mask on top of the defaults
    (hidden checks, solutions, tests, `.git`); missing ones are created as
    folders first, so that what the judge writes there later is masked too.
    `probes` are the probe files the host loads (default: the active
    assignment's). `namespaces=False` forces a plain L1 host (for fast tests of the engine
    itself). `on_launch` runs once the template process is started, before
    waiting for it: the judge starts its own imports there, not earlier,
    since a thread importing torch holds the GIL for long stretches and would
    hold up the launch itself. If the host dies (at L1 a worker can kill it),
    the next `submission()` has the template fork a new one. A layer that
    fails to set up is left out (`_fall_back`); `failed` passes on the
    failures another host of the same judge met (`failed` of that host), so a
    forked judge starts without those layers at once and warns no second time.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        require: str | None = None,
        secrets: Sequence[Path | str] = (),
        probes: Sequence[Path | str] | None = None,
        namespaces: bool | None = None,
        on_launch: Callable[[], None] | None = None,
        template: HostTemplate | None = None,
        failed: Sequence[SetupFailed] = (),
    ) -> None:
        if not sys.platform.startswith("linux"):
            raise SandboxError("the sandbox host needs Linux (fork server, /proc, SCM_RIGHTS); "
                               "grade inside a Linux container")  # fmt: skip
        self.limits = configured() if limits is None else limits
        self._require = require
        self._namespaces = namespaces
        self._uid_switch = True  # False once the switch failed to set up here
        self._fallbacks: list[str] = []  # layers that failed to set up: why, for the report
        self.failed: list[SetupFailed] = []  # those failures, to pass on (`failed`)
        self._unannounced: list[str] = []  # their notes, not yet printed
        for failure in failed:
            self._fall_back(failure, announce=False)
        if require is not None:
            levels.missing_for(require, ())  # an unknown level name fails here
        repo = Path(__file__).resolve().parents[3]
        extra = [Path(p).resolve() for p in secrets]
        for path in extra:
            path.mkdir(parents=True, exist_ok=True)
        self._masks = [*launcher.default_secrets(repo), *extra]
        if probes is None:
            from grader.assignment import current

            probes = current().probe_files
        self._probes = [Path(p).resolve() for p in probes]
        _remove_leftovers()
        self._state = _State(Path(tempfile.mkdtemp(prefix=f"{_WORKDIR_PREFIX}{os.getpid()}-")))
        self._state.template = template
        self.inbox = self._state.workdir / "inbox"
        self.inbox.mkdir()
        self.inbox.chmod(0o311)  # root without capabilities cannot list other sessions
        # A name no other judge's worker can guess: this folder belongs to the sandbox
        # user, whom every judge's workers share, and the judge folder above it only
        # lets others pass, not list (docs/threats.md, Known gaps: --jobs above 1).
        self.scratch = self._state.workdir / f"scratch-{token_hex(8)}"
        self.scratch.mkdir(mode=0o700)
        self._closed = False
        self._finalizer = weakref.finalize(self, self._state.cleanup)
        self.restarts = 0
        try:
            self._start(on_launch)
        except BaseException:
            self.close()
            raise

    def _start(self, on_launch: Callable[[], None] | None = None) -> None:
        state = self._state
        started = time.monotonic()
        if state.log is None:
            state.log = open(state.workdir / "host.log", "ab")  # noqa: SIM115 - lives with the host
        # First of all: the template's library import is the longest step of a
        # cold start, and the machine probes below run while it imports.
        template = self._template()
        if on_launch is not None:
            on_launch()
        while True:
            try:
                self._start_host(template)
                break
            except SetupFailed as failure:
                state.stop_process()
                self._fall_back(failure)
        self.startup_seconds = time.monotonic() - started

    def _fall_back(self, failure: SetupFailed, *, announce: bool = True) -> None:
        """A layer could not be set up on this machine: go on without it, a level
        lower and saying so (report notes, stderr), unless it was asked for.

        docs/threats.md G9: never silent. `--require-isolation` that the lower
        plan cannot meet refuses at the next attempt, naming this failure.
        """
        if failure.layer == "namespaces" and self._namespaces is not False:
            if self._namespaces is True:  # the caller asked for them: no way around
                raise failure
            self._namespaces = False
        elif failure.layer == "uid-switch" and self._uid_switch:
            self._uid_switch = False
        else:
            raise SandboxError(f"{failure}{self._log_tail()}")
        note = (f"{failure.layer}: not in force: setting it up failed on this machine "
                f"({failure.reason}); graded without it")  # fmt: skip
        self._fallbacks.append(note)
        self.failed.append(failure)
        if announce:  # once the lower plan is known to be allowed (`_start_host`)
            self._unannounced.append(note)

    def _start_host(self, template: HostTemplate) -> None:
        """Fork one host from `template` with the plan this machine allows now, and
        check what it reports; `SetupFailed` when a layer could not be set up."""
        state = self._state
        use_ns = launcher.machine().namespaces if self._namespaces is None else self._namespaces
        if use_ns and state.cgroup is None:
            state.cgroup = launcher.make_pids_cgroup(self.limits.processes)
        plan = launcher.plan_host(
            inbox=self.inbox,
            scratch=self.scratch,
            secrets=self._masks,
            probes=self._probes,
            namespaces=self._namespaces,
            uid_switch=self._uid_switch,
            cgroup=state.cgroup,
        )
        unclosed = self._close_secrets(plan.serve.get("user"))
        notes = [*self._fallbacks, *unclosed]
        planned = [*plan.planned, "codec"]
        if self._require is not None and levels.missing_for(self._require, planned):
            raise IsolationError(self._refusal(planned))
        for note in self._unannounced:  # grading goes on without it: say so, once
            # To the real stderr: a judge may be rehearsing its checks meanwhile, and
            # pytest's capture of sys.stderr would swallow the warning.
            os.write(2, f"warning: sandbox: {note}\n".encode(errors="backslashreplace"))
        self._unannounced.clear()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            state.process = template.fork_host(plan, control_fd=theirs.fileno(),
                                               log_fd=state.log.fileno(),
                                               timeout=_STARTUP_TIMEOUT)  # fmt: skip
        except SetupFailed:
            ours.close()
            raise
        except SandboxError as error:
            ours.close()
            raise SandboxError(f"{error}{self._log_tail()}") from None
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        state.control = ours
        hello = self._receive(_STARTUP_TIMEOUT)
        layers = tuple(hello.get("layers", ()))
        details = {str(k): str(v) for k, v in dict(hello.get("details", {})).items()}
        for problem in hello.get("problems", ()):  # a layer confine.py could not apply here
            names, _, why = str(problem).partition(": ")
            notes.append(f"{names}: not in force: {why}")
        offered, why_not = launcher.machine().confine, confine.unavailable()
        for name in confine.LAYERS:  # what the host did not even try here, and why
            if name.startswith(("landlock", "seccomp")) and name not in offered:
                notes.append(f"{name}: not in force: {why_not.get(name, 'not tried here')}")
        if "uid-switch" in layers and plan.serve.get("user") is not None and not unclosed:
            layers += (levels.SECRETS_CLOSED,)
            details[levels.SECRETS_CLOSED] = (
                f"{len(self._masks) + 2} secret paths closed to uid {plan.serve['user'][0]}, "
                "and a probe as that user could not list, read or write any of them"
            )
        elif plan.serve.get("user") is None and launcher.machine().why_no_uid_switch:
            notes.append(f"uid-switch: not in force: {launcher.machine().why_no_uid_switch}")
        self.isolation = Isolation(levels.level_of(layers), layers, tuple(notes),
                                   tuple(details.items()))  # fmt: skip
        if self._require is not None and levels.missing_for(self._require, layers):
            raise IsolationError(self._refusal(layers))

    def _refusal(self, layers: Sequence[str]) -> str:
        assert self._require is not None
        message = _refusal(self._require, layers)
        if self._fallbacks:
            message += ". On this machine " + "; ".join(self._fallbacks) + (
                ": grade where that layer can be set up (as root, outside a container that "
                "forbids it), or lower --require-isolation"
            )
        return message

    def _close_secrets(self, user: Sequence[int] | None) -> list[str]:
        """As root, before the host starts: close the secrets and the judge's own files
        to the sandbox user, then prove it as that user. Returns why it does not hold."""
        if user is None:
            return []
        workdir = self._state.workdir
        workdir.chmod(0o711)  # the host reaches inbox/ and scratch/ by name; lists nothing
        (workdir / "host.log").chmod(0o600)
        os.chown(self.scratch, *user)
        problems = staging.close(self._masks, user)
        reached = staging.reachable([*self._masks, workdir, workdir / "host.log"], user)
        notes = [f"{levels.SECRETS_CLOSED}: not in force: {p}" for p in problems]
        notes += [f"{levels.SECRETS_CLOSED}: not in force: uid {user[0]} can still reach {p}"
                  for p in reached]  # fmt: skip
        return notes

    def _template(self) -> HostTemplate:
        """The template to fork the host from; one of our own is started when it is gone.

        That includes the template another judge shared with us: this judge
        then pays for an import of its own rather than fail its submissions.
        """
        state = self._state
        if state.template is not None and state.template.alive():
            return state.template
        if state.template is not None:
            state.template.close()
        state.template = HostTemplate.start(log=state.workdir / "host.log")
        return state.template

    def attach_template(self) -> HostTemplate:
        """A channel to this host's template for a judge about to be forked, which
        then starts its own host as a fork, with no library import of its own."""
        if self._closed or self._state.template is None:
            raise SandboxError("the sandbox host is closed")
        return self._state.template.attach()

    # ---------------------------------------------------------------- control

    def _receive(self, timeout: float) -> dict[str, Any]:
        control = self._state.control
        if control is None:
            raise SandboxError("the sandbox host is closed")
        ready, _, _ = select.select([control], [], [], timeout)
        data = control.recv(1 << 16) if ready else b""
        if not data:
            tail = self._log_tail()
            self._state.stop_process()
            raise SandboxError(f"the sandbox host stopped answering{tail}")
        reply = json.loads(data)
        if reply.get("setup_failed"):  # the host's last word before it exits
            raise SetupFailed(str(reply["setup_failed"]), str(reply.get("error")))
        if not reply.get("ok"):
            kind = NoTasks if reply.get("no_tasks") else SandboxError
            raise kind(f"the sandbox host refused a request: {reply.get('error')}")
        return reply

    def _log_tail(self) -> str:
        try:
            raw = (self._state.workdir / "host.log").read_bytes()[-2000:]
        except OSError:
            return ""
        text = raw.decode(errors="replace")
        return f"; host log:\n{text}" if text.strip() else ""

    def control(self, message: dict[str, Any], fds: Sequence[int] = ()) -> dict[str, Any]:
        """Send one request to the host and wait for its reply (internal)."""
        control = self._state.control
        if self._closed or control is None:
            raise SandboxError("the sandbox host is closed")
        data = json.dumps(message).encode()
        try:
            if fds:
                socket.send_fds(control, [data], list(fds))
            else:
                control.send(data)
        except OSError as exc:
            raise SandboxError(f"the sandbox host is gone ({exc}){self._log_tail()}") from None
        return self._receive(_CONTROL_TIMEOUT)

    # ---------------------------------------------------------------- public

    def submission(
        self,
        sources: dict[str, str],
        *,
        origins: dict[str, str] | None = None,
        locate: Mapping[str, Locate] | None = None,
        cells: Mapping[str, Sequence[tuple[int, int]]] | None = None,
    ) -> SubmissionSandbox:
        """A sandbox for one submission: exercise name -> module source.

        `origins` names each exercise's file as the student knows it;
        `locate` words a line of an exercise's module for the student (a
        converted notebook's lines are code cells), for the messages of
        exceptions raised there. `cells` gives a notebook's code cells as
        (module line, cell number) starts: the worker runs them one by one
        (a `.py` module runs statement by statement).
        """
        if self._closed:
            raise SandboxError("the sandbox host is closed")
        if not self._state.alive():
            self._state.stop_process()
            self.restarts += 1
            self._start()
        return SubmissionSandbox(self, sources, origins=origins, locate=locate, cells=cells)

    @property
    def closed(self) -> bool:
        """Whether `close()` was called."""
        return self._closed

    def close(self) -> None:
        """Stop the host and every process it started; delete its files."""
        if self._closed:
            return
        self._closed = True
        self._finalizer()

    def forget(self) -> None:
        """In a forked copy of the judge: drop this process's copy of the host.

        The host keeps running for the process that started it, which alone
        stops it and deletes its files; this copy just closes its descriptors.
        """
        self._finalizer.detach()
        self._closed = True
        state = self._state
        for handle in (state.control, state.log, state.process):
            if handle is not None:
                handle.close()
        if state.template is not None:
            state.template.forget()

    def __enter__(self) -> SandboxHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_WORKDIR_PREFIX = "grader-judge-"


def _remove_leftovers() -> None:
    """Delete what judges killed with SIGKILL left behind: their folders (which hold
    students' code) and their pids cgroups. Each is named after its judge's pid."""
    with contextlib.suppress(OSError):
        for path in Path(tempfile.gettempdir()).glob(f"{_WORKDIR_PREFIX}*"):
            owner = launcher.owner_of(path, _WORKDIR_PREFIX)
            if owner is not None and not launcher.running(owner) and path.is_dir():
                _State(path).cleanup()
    launcher.remove_stale_cgroups()


def _refusal(required: str, layers: Sequence[str]) -> str:
    missing = levels.missing_for(required, layers)
    return (
        f"isolation level {required} is required but this sandbox host reaches only "
        f"{levels.level_of(layers)} (missing: {', '.join(missing)}); run as root on "
        "Linux with unshare available, or lower the requirement"
    )


@dataclass
class _State:
    """What must be cleaned up when the host goes, even if nobody calls close()."""

    workdir: Path
    process: HostProcess | None = None
    control: socket.socket | None = None
    log: Any = None
    cgroup: Path | None = None
    template: HostTemplate | None = None  # ours to stop only if we started it

    def alive(self) -> bool:
        return self.control is not None and self.process is not None and self.process.alive()

    def stop_process(self) -> None:
        if self.control is not None:
            self.control.close()  # the host sees EOF, kills every worker and exits
            self.control = None
        if self.process is not None:
            if not self.process.wait(timeout=5):
                self.process.kill()  # PID 1 of its namespace: everything in it goes too
                self.process.wait(timeout=5)
            self.process.close()
            self.process = None

    def cleanup(self) -> None:
        self.stop_process()
        if self.log is not None:
            self.log.close()
            self.log = None
        if self.template is not None:
            self.template.close()
            self.template = None
        if self.cgroup is not None:
            launcher.remove_cgroup(self.cgroup)
            self.cgroup = None
        with contextlib.suppress(OSError):
            (self.workdir / "inbox").chmod(0o755)
        shutil.rmtree(self.workdir, ignore_errors=True)
