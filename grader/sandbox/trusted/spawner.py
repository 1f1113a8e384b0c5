"""The judge's handles on the host template and on each host it forks.

    template = HostTemplate.start(log=workdir / "host.log")   # one library import
    host = template.fork_host(plan, control_fd=theirs, log_fd=log)  # a fork
    other = template.attach()   # a channel for a judge about to be forked

The template process is `template.py`; these handles only talk to it. A host
is not our child (the template is its parent), so it is watched and killed
through the pidfd the template sends with its reply.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from grader.sandbox.trusted import launcher
from grader.sandbox.trusted.errors import SandboxError, SetupFailed

__all__ = ["HostProcess", "HostTemplate"]


class HostProcess:
    """A sandbox host the template forked: alive, wait, kill, through its pidfd."""

    def __init__(self, pid: int, pidfd: int | None) -> None:
        self.pid = pid  # as seen from here; inside its PID namespace it is 1
        self._pidfd = pidfd

    def alive(self) -> bool:
        if self._pidfd is None:  # no pidfd (Linux < 5.3): a zombie counts as gone
            try:
                with open(f"/proc/{self.pid}/stat", encoding="ascii") as handle:
                    return handle.read().rsplit(")", 1)[1].split()[0] not in "ZX"
            except (OSError, IndexError):
                return False
        readable, _, _ = select.select([self._pidfd], [], [], 0)
        return not readable

    def wait(self, timeout: float) -> bool:
        """Whether the host exited within `timeout` seconds."""
        if self._pidfd is None:
            deadline = time.monotonic() + timeout
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.01)
            return not self.alive()
        readable, _, _ = select.select([self._pidfd], [], [], timeout)
        return bool(readable)

    def kill(self) -> None:
        """SIGKILL the host: as PID 1 of its namespace, that takes every worker with it."""
        with contextlib.suppress(OSError):
            if self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            else:
                os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None


class HostTemplate:
    """A channel to a template process; the handle from `start` also owns the process."""

    def __init__(self, channel: socket.socket, process: subprocess.Popen[bytes] | None) -> None:
        self._channel: socket.socket | None = channel
        self._process = process
        self._shared = False  # whether other judges were given channels (`attach`, `channel`)
        self._served = False  # whether it has answered a request (so it is done importing)
        self._lock = threading.Lock()  # one request at a time: judge threads share a handle
        self._spares: list[HostTemplate] = []

    @classmethod
    def start(cls, *, log: Path | None, spares: int = 0) -> HostTemplate:
        """Launch a template process; it loads its libraries while the caller goes on.

        ``log`` gets its stderr (None: nowhere; a judge whose template fails
        starts one of its own, which logs beside its host). ``spares`` more
        channels are made now, for `channel` to hand out at once: one made by
        `attach` waits until the template has loaded its libraries.
        """
        kind = socket.SOCK_SEQPACKET
        pairs = [socket.socketpair(socket.AF_UNIX, kind) for _ in range(1 + spares)]
        theirs = [pair[1].fileno() for pair in pairs]
        try:
            with open(log or os.devnull, "ab") as stderr:
                process = subprocess.Popen(
                    launcher.template_command(theirs),
                    env=dict(launcher.ENV_ALLOWLIST),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    pass_fds=theirs,
                    start_new_session=True,
                    cwd="/",
                )
            assert process.stdin is not None
            with process.stdin:  # a few hundred bytes: the pipe holds them, nobody waits
                process.stdin.write(launcher.template_config(theirs).encode())
        except BaseException:
            for ours, _ in pairs:
                ours.close()
            raise
        finally:
            for _, their in pairs:
                their.close()
        template = cls(pairs[0][0], process)
        template._spares = [HostTemplate(ours, None) for ours, _ in pairs[1:]]
        return template

    def channel(self) -> HostTemplate:
        """A channel for a judge this process is about to start: a spare, or else a new
        one (which waits for the template to have loaded its libraries)."""
        with self._lock:
            if self._spares:
                self._shared = True
                return self._spares.pop()
        return self.attach()

    def fileno(self) -> int:
        """This channel's descriptor, to pass to a judge this process starts."""
        if self._channel is None:
            raise SandboxError("the host template is closed")
        return self._channel.fileno()

    @property
    def pid(self) -> int | None:
        """The template process's pid, for the handle that started it."""
        return self._process.pid if self._process is not None else None

    def alive(self) -> bool:
        if self._channel is None:
            return False
        if self._process is not None:
            return self._process.poll() is None
        readable, _, _ = select.select([self._channel], [], [], 0)
        return not readable  # it only ever speaks when asked: readable here means hung up

    def _request(
        self, message: dict[str, Any], fds: list[int], timeout: float
    ) -> tuple[dict[str, Any], list[int]]:
        if self._channel is None:
            raise SandboxError("the host template is closed")
        try:
            with self._lock:
                socket.send_fds(self._channel, [json.dumps(message).encode()], fds)
                readable, _, _ = select.select([self._channel], [], [], timeout)
                data, got, _flags, _addr = (
                    socket.recv_fds(self._channel, 1 << 16, 2) if readable else (b"", [], 0, None)
                )
        except OSError as exc:
            raise SandboxError(f"the host template is gone ({exc})") from None
        if not data:
            raise SandboxError("the host template stopped answering")
        reply = json.loads(data)
        self._served = True
        if not reply.get("ok"):
            for fd in got:
                os.close(fd)
            if reply.get("setup_failed"):
                raise SetupFailed(str(reply["setup_failed"]), str(reply.get("error")))
            raise SandboxError(f"the host template refused a request: {reply.get('error')}")
        return reply, got

    def fork_host(
        self,
        plan: launcher.HostPlan,
        *,
        control_fd: int,
        log_fd: int,
        timeout: float,
    ) -> HostProcess:
        """Have the template fork a host that serves on `control_fd` and logs to `log_fd`.

        The first request waits for the template to finish loading its
        libraries (up to `timeout`); later ones take a fork's time.
        """
        message = {"op": "host", "serve": plan.serve, "setup": plan.setup}
        reply, fds = self._request(message, [control_fd, log_fd], timeout)
        return HostProcess(int(reply["pid"]), fds[0] if fds else None)

    def attach(self) -> HostTemplate:
        """A new channel to the same template, for a judge this one is about to fork.

        The template serves until its last channel closes, so the forked judge
        can go on starting hosts after this one has closed its own.
        """
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._request({"op": "attach"}, [theirs.fileno()], timeout=30.0)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._shared = True
        return HostTemplate(ours, None)

    def forget(self) -> None:
        """In a forked copy of the judge: close this copy's descriptors, nothing more."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        self._process = None

    def close(self) -> None:
        """Hang up; the owner also stops the template when no other judge uses it."""
        for spare in self._spares:
            spare.close()
        self._spares = []
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        process, self._process = self._process, None
        if process is None:
            return
        # It exits once its last channel is closed, having reaped its hosts (so
        # their CPU time is accounted to us). One that served no one and whose
        # channels no one else holds, say after a refused start, may still be
        # importing: nothing to wait for there.
        try:
            process.wait(timeout=5 if self._served or self._shared else 0)
        except subprocess.TimeoutExpired:
            if self._shared:  # another judge still uses it: it exits after that one
                return
            process.kill()
            process.wait(timeout=5)
