"""The sandbox host: a zygote on the untrusted side that forks one worker per submission.

Forked by the host template (`template.py`), which imported torch, numpy,
pandas and scikit-learn once (`preload`), set one thread *before* any fork
(torch with OpenMP can hang after a fork: docs/threats.md row 60) and, where the
machine allows, gave this process namespaces of its own and dropped its
privileges. `run` then makes the host non-dumpable, confines it
(`confine.py`: Landlock, seccomp, no capabilities; every worker inherits it),
and serves the judge over its control socket (SOCK_SEQPACKET, one JSON object
per packet):

    {"op": "spawn", "session": s, "limits": {..}}
        + fds [worker socket, output pipe]   -> {"ok": true, "pid": p}
    {"op": "stop", "pid": p, "wait": seconds} -> {"ok": true, "code": c, "signal": n}
    {"op": "sweep", "session": s}             -> {"ok": true, "killed": k}

It never sees a hidden check, a solution or an expected value: it holds
nothing worth stealing, and the judge never forks from anything but this.
The host reaps every child (it is PID 1 of its own PID namespace when
namespaces are on) and exits, killing everything, when the judge hangs up.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import resource
import select
import shutil
import signal
import socket
import stat
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3
PR_SET_CHILD_SUBREAPER = 36
PR_GET_CHILD_SUBREAPER = 37
_PRELOAD = (
    "numpy", "torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.utils.data",
)  # fmt: skip  # and the assignment's own packages, named by the template's config


@dataclass
class _Worker:
    session: str
    scratch: str
    status: int | None = None  # raw wait status once reaped


@dataclass
class _Host:
    control: socket.socket
    inbox: str
    scratch_root: str
    workers: dict[int, _Worker] = field(default_factory=dict)

    # ------------------------------------------------------------ children

    def reap(self) -> None:
        """Collect every exited child; keep the status of our workers."""
        for pid, status in exited_children():
            if pid in self.workers:
                self.workers[pid].status = status

    def _wait(self, pid: int, seconds: float) -> int | None:
        deadline = time.monotonic() + seconds
        exited = _pidfd(pid)  # readable once it exits: no sleep-and-poll latency
        try:
            while True:
                self.reap()
                status = self.workers[pid].status
                left = deadline - time.monotonic()
                if status is not None or left <= 0:
                    return status
                if exited is None:
                    time.sleep(min(0.005, left))
                else:
                    select.select([exited], [], [], left)
        finally:
            if exited is not None:
                os.close(exited)

    def stop(self, pid: int, wait: float) -> dict[str, Any]:
        """End worker `pid` and its process group; report how it ended."""
        worker = self.workers.get(pid)
        if worker is None:
            return {"ok": False, "error": f"unknown worker {pid}"}
        status = self._wait(pid, wait)
        if status is None:
            _killpg(pid, signal.SIGTERM)
            status = self._wait(pid, 0.1)
        if status is None:
            _killpg(pid, signal.SIGKILL)
            status = self._wait(pid, 5.0)
        _killpg(pid, signal.SIGKILL)  # whatever is left in its group
        shutil.rmtree(worker.scratch, ignore_errors=True)
        del self.workers[pid]
        if status is None:
            return {"ok": True, "code": None, "signal": None}
        if os.WIFSIGNALED(status):
            return {"ok": True, "code": None, "signal": os.WTERMSIG(status)}
        return {"ok": True, "code": os.waitstatus_to_exitcode(status), "signal": None}

    def sweep(self, session: str) -> dict[str, Any]:
        """Kill every process of a closed submission, escaped grandchildren included.

        In its own PID namespace the host kills everything but itself and the
        other sessions' live workers. Without one it relies on being the
        children's subreaper: a `setsid` grandchild is reparented to the host
        once its parent dies, so killing the host's stray children round after
        round reaches every descendant (docs/threats.md row 11).
        """
        mine = [p for p, w in self.workers.items() if w.session == session]
        for pid in mine:  # the submission is over: no grace, and all of them at once
            _killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        for pid in mine:
            self._wait(pid, 5.0)
            self.stop(pid, 0.0)
        deadline = time.monotonic() + 2.0
        strays = _strays(set(self.workers))
        while strays and time.monotonic() < deadline:
            for pid in strays:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)
            self.reap()
            strays = _strays(set(self.workers))
        return {"ok": True, "left": len(strays)}

    def spawn(self, msg: dict[str, Any], fds: list[int]) -> dict[str, Any]:
        """Fork a worker for one submission; it inherits the two descriptors sent."""
        rel = str(msg.get("session"))
        if len(fds) != 2 or rel.startswith("/") or ".." in Path(rel).parts:
            for fd in fds:
                os.close(fd)
            return {"ok": False, "error": "spawn needs two descriptors and a session folder"}
        data_fd, out_fd = fds
        scratch = tempfile.mkdtemp(prefix="w-", dir=self.scratch_root)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        try:
            pid = self._fork()
        except OSError as exc:
            os.close(data_fd)
            os.close(out_fd)
            shutil.rmtree(scratch, ignore_errors=True)
            return {"ok": False, "error": f"cannot fork a worker: {exc}",
                    "no_tasks": isinstance(exc, BlockingIOError)}  # fmt: skip
        if pid == 0:
            _child(data_fd, out_fd, os.path.join(self.inbox, rel), msg["limits"], scratch)
        os.close(data_fd)
        os.close(out_fd)
        self.workers[pid] = _Worker(session=str(msg["session"]), scratch=scratch)
        return {"ok": True, "pid": pid}

    def _fork(self) -> int:
        try:
            return os.fork()
        except BlockingIOError:  # task limit reached: a fork bomb's leftovers, most likely
            for pid in _strays(set(self.workers)):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
            self.reap()
            return os.fork()

    # ------------------------------------------------------------ loop

    def serve(self) -> NoReturn:
        poller = select.poll()
        poller.register(self.control.fileno(), select.POLLIN)
        while True:
            events = poller.poll(500)
            self.reap()
            if not events:
                continue
            try:
                data, fds, _flags, _addr = socket.recv_fds(self.control, 1 << 16, 4)
            except OSError:
                data, fds = b"", []
            if not data:
                self.shutdown()
            try:
                reply = self.dispatch(json.loads(data), fds)
            except Exception as exc:  # our bug: say so, keep serving
                reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            self.control.send(json.dumps(reply).encode())

    def dispatch(self, msg: dict[str, Any], fds: list[int]) -> dict[str, Any]:
        op = msg.get("op")
        if op == "spawn":
            return self.spawn(msg, fds)
        for fd in fds:
            os.close(fd)
        if op == "stop":
            return self.stop(int(msg["pid"]), float(msg.get("wait", 0.0)))
        if op == "sweep":
            return self.sweep(str(msg["session"]))
        if op == "ping":
            return {"ok": True}
        return {"ok": False, "error": f"unknown op {op!r}"}

    def shutdown(self) -> NoReturn:
        for pid in list(self.workers):
            self.stop(pid, 0.0)
        self.sweep("")
        os._exit(0)


def exited_children() -> Iterator[tuple[int, int]]:
    """(pid, wait status) of each child that has exited, reaped; never blocks."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        yield pid, status


def _strays(spared: set[int]) -> list[int]:
    """Live processes to kill: not us, not a spared worker or its group.

    As PID 1 of our namespace, that is every other process; otherwise only
    our own children (we are the subreaper, so orphans land here).
    """
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me or int(entry) in spared:
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, ppid, pgrp = fields[0], int(fields[1]), int(fields[2])
        if state not in "ZX" and pgrp not in spared and (me == 1 or ppid == me):
            found.append(int(entry))
    return found


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # before Linux 5.3, or already reaped
        return None


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _child(
    data_fd: int, out_fd: int, folder: str, limits: dict[str, Any], scratch: str
) -> NoReturn:
    """The forked worker: shed the host's state, set limits, then serve.

    If anything fails before it serves, the worker tells the judge why on its
    socket (`_start_failed`) before exiting: a bare exit code left every
    exercise with "exited during import (exit code 70)" and no cause.
    """
    channel = data_fd
    try:
        os.setsid()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        if data_fd != 3:
            os.dup2(data_fd, 3)
        channel = 3
        os.closerange(4, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        _set_limits(limits)
        os.chdir(scratch)
        os.environ["HOME"] = scratch
        os.environ["TMPDIR"] = scratch
        tempfile.tempdir = scratch
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
        sys.stderr.reconfigure(line_buffering=True)  # type: ignore[union-attr]
        from grader.sandbox.confined import worker
        from grader.sandbox.wire import codec

        sock = socket.socket(fileno=3)
        caps = codec.Caps(max_bytes=int(limits["value_bytes"]))
        budget = float(limits["import_timeout"])
        cell_budget, max_frame = float(limits["cell_timeout"]), int(limits["frame_bytes"])
    except BaseException as exc:
        _start_failed(channel, exc)
    try:
        worker.serve(sock, folder=folder, caps=caps, max_frame=max_frame, hint_after=0.5 * budget,
                     cell_budget=cell_budget, import_budget=0.8 * budget)  # fmt: skip
    except BaseException:  # the student's code was running: no cause of ours to report
        os._exit(70)
    os._exit(70)


def _start_failed(channel: int, exc: BaseException) -> NoReturn:
    """Tell the judge why this worker cannot serve (facts only), then exit."""
    with contextlib.suppress(BaseException):
        from grader.sandbox.confined import worker
        from grader.sandbox.wire import protocol

        protocol.send_frame(socket.socket(fileno=channel), worker.start_failure(exc))
    os._exit(70)


def _set_limits(limits: dict[str, Any]) -> None:
    def cap(which: int, value: int) -> None:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    cap(resource.RLIMIT_AS, int(limits["memory_bytes"]))
    cpu = int(limits["cpu_seconds"])
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(
        resource.RLIMIT_CPU, (cpu, cpu + 1 if hard == resource.RLIM_INFINITY else hard)
    )
    cap(resource.RLIMIT_FSIZE, int(limits["file_bytes"]))
    cap(resource.RLIMIT_NOFILE, int(limits["open_files"]))
    cap(resource.RLIMIT_CORE, 0)
    if os.getuid() != 0:
        cap(resource.RLIMIT_NPROC, int(limits.get("processes", 256)))


# ---------------------------------------------------------------- verification


def _status_fields() -> dict[str, str]:
    fields = {}
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def _observed_layers(config: dict[str, Any], repo: str, environ: set[str]) -> list[str]:
    """The layers this process can see are in force (checked, not assumed)."""
    layers = ["subprocess", "rlimits", "setsid", "codec"]
    if sys.flags.isolated:
        layers.append("python-isolated")
    if environ <= set(config.get("env_allowlist", [])):  # as started: torch adds KMP_*
        layers.append("env-allowlist")
    applied = set(config.get("applied", []))
    if "mountns" in applied:
        layers.append("mountns")
    with open("/proc/self/net/dev", encoding="ascii") as handle:
        interfaces = {line.split(":")[0].strip() for line in handle.readlines()[2:]}
    if "netns-requested" in applied and interfaces <= {"lo"}:
        layers.append("netns")
    if "pidns-requested" in applied and os.getpid() == 1:
        layers.append("pidns")
    if "ro-root" in applied and all(
        os.statvfs(p).f_flag & os.ST_RDONLY for p in ("/", repo, sys.prefix)
    ):
        layers.append("ro-root")
    for name in ("minimal-dev", "tmpfs-scratch"):
        if name in applied:
            layers.append(name)
    cgroup = config.get("cgroup")
    if "cgroup-pids" in applied and cgroup:
        with open("/proc/self/cgroup", encoding="utf-8") as handle:
            if f"/{os.path.basename(cgroup)}\n" in handle.read():
                layers.append("cgroup-pids")
    if "secrets-masked" in applied and all(_absent(p) for p in config.get("secrets", [])):
        layers.append("secrets-masked")
    status = _status_fields()
    if int(status.get("CapEff", "1"), 16) == 0 and int(status.get("CapBnd", "1"), 16) == 0:
        layers.append("no-caps")
    if status.get("NoNewPrivs") == "1":
        layers.append("no-new-privs")
    if os.getuid() != 0:
        layers.append("uid-switch")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0:
        layers.append("non-dumpable")
    flag = ctypes.c_int(0)
    if libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(flag), 0, 0, 0) == 0 and flag.value:
        layers.append("subreaper")
    return layers


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _layer_details(layers: Sequence[str], *, abi: int, cgroup_max: str) -> dict[str, str]:
    """What exactly each layer in force holds, as this process sees it, for the report."""
    from grader.sandbox.confined import confine

    details: dict[str, str] = {}
    if "uid-switch" in layers:
        groups = ", ".join(map(str, os.getgroups())) or "none"
        details["uid-switch"] = f"uid {os.getuid()}, gid {os.getgid()}, other groups: {groups}"
    for name in ("landlock-fs", "landlock-net", "landlock-scoped"):
        if name in layers:
            details[name] = f"Landlock ABI {abi}"
    for name in ("seccomp-net", "seccomp-syscalls"):
        if name in layers:
            details[name] = confine.seccomp_backend()
    if "netns" in layers:
        details["netns"] = "own network namespace, loopback only"
    if "pidns" in layers:
        details["pidns"] = "own PID namespace, the host is PID 1"
    if "cgroup-pids" in layers:
        details["cgroup-pids"] = f"pids.max {cgroup_max or 'unknown'} for the host and its workers"
    if "no-caps" in layers:
        details["no-caps"] = "effective and bounding capability sets empty"
    return details


def _absent(path: str) -> bool:
    """True when a secret path shows nothing: missing, an empty folder, or /dev/null."""
    try:
        if not os.path.lexists(path):
            return True
        if os.path.isdir(path):
            return not os.listdir(path)
        return stat.S_ISCHR(os.stat(path).st_mode)
    except OSError:
        return True  # unreadable counts as absent


def preload(packages: Sequence[str] = ()) -> None:
    """What every host needs before it forks workers; done once, in the template.

    torch, numpy and the assignment's packages imported, one thread set before any
    fork, lazy initialisations paid, the workers' stand-ins installed
    (`standins.py`), and the imports' objects frozen out of the collector's sight.
    """
    import importlib

    from grader.sandbox.confined import lazy_imports

    with lazy_imports.deferred(keep=packages):  # scipy.stats, say: loaded if a worker uses it
        for name in (*_PRELOAD, *packages):
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
    import torch

    torch.set_num_threads(1)
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
    (torch.ones(8, 8) @ torch.ones(8, 8)).sum().item()  # warm lazy init before forking
    from grader.torch_eager import skip_dynamo_import

    skip_dynamo_import()  # workers run eager code: 0.9 s less per host start
    from grader.sandbox.confined import standins, warmup, worker

    warmup.warm()  # the libraries' first calls, paid here instead of in every worker
    with contextlib.suppress(Exception):  # then each worker tries, and says why it failed
        standins.install()  # inherited ready by every worker, not installed in each
    from grader.sandbox.wire import codec, protocol  # noqa: F401

    worker.reset_globals(0)  # its first call imports lazily: pay it once, here
    # Out of the collector's sight, the imports' objects are never traversed by a
    # worker's full collection, which would copy every page of them (~100 ms).
    # Instant, unlike a collection first (~0.12 s of every template start).
    gc.freeze()


def run(config: dict[str, Any], control: socket.socket, environ: set[str]) -> NoReturn:
    """Serve the judge on `control`; the forked host's life once its namespaces are set.

    `environ` is the environment the template was started with (torch adds
    variables of its own as it imports). The layers reported to the judge are
    checked here, not taken from `config`.
    """
    started = time.monotonic()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphaned grandchildren come back to us
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a worker's kill(1, SIGINT) must not stop us
    repo = config["repo"]
    layers = _observed_layers(config, repo, environ)  # before Landlock hides what they check
    from grader.sandbox.confined import confine

    abi = confine.landlock_abi()  # before seccomp may filter the call
    cgroup_max = _read(os.path.join(config["cgroup"], "pids.max")) if config.get("cgroup") else ""
    from grader.sandbox.confined import probes

    probes.load(config.get("probes", []))  # the assignment's: before Landlock closes their folder
    from grader.sandbox.confined import confine  # before serving: every worker inherits it

    confined = confine.confine(repo=repo, inbox=config["inbox"], scratch=config["scratch"],
                               secrets=config.get("secrets", []),
                               attempt=config.get("confine", confine.LAYERS))  # fmt: skip
    for problem in confined.problems:  # staff-only host.log: why a layer is not claimed
        print(f"sandbox host: layer not claimed: {problem}", file=sys.stderr, flush=True)
    layers += [name for name in confined.layers if name not in layers]
    details = _layer_details(layers, abi=abi, cgroup_max=cgroup_max)
    import torch

    hello = {"ok": True, "layers": layers, "startup": time.monotonic() - started,
             "torch": torch.__version__, "pid": os.getpid(),
             "confine_seconds": confined.seconds, "details": details,
             "problems": confined.problems}  # fmt: skip
    control.send(json.dumps(hello).encode())
    host = _Host(control=control, inbox=config["inbox"], scratch_root=config["scratch"])
    host.serve()
