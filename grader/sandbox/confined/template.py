"""The host template: imports the sandbox's libraries once, then forks sandbox hosts.

Started by the judge as `python -I <repo>/grader/sandbox/confined/template.py`, with
its configuration (the repository, the channels, what to preload) on stdin and
the sandbox's environment allowlist, in a session of its own. It runs only
the grader's code: it never loads a hidden check, a solution or a
student's file, so what its children inherit is libraries and nothing worth
stealing. Every judge of a class asks this one process for its host, so the
class pays for torch, pandas and scikit-learn once on the untrusted side
instead of once per judge, and a host that a student killed is replaced by a
fork, not a fresh import.

Requests arrive on channels (SOCK_SEQPACKET, one JSON object per packet): the
one its starter holds, any spares made at launch (for the first judge an
orchestrator starts: it need not wait for the import to get its channel), and
those `attach` adds later (for a judge about to be forked):

    {"op": "host", "serve": {..}, "setup": {..} | null}
        + fds [host control socket, host log]  -> {"ok": true, "pid": p} + [pidfd]
    {"op": "attach"} + fds [channel]           -> {"ok": true}

For a host with namespaces (`setup` given) the template unshares a PID
namespace for that one child, so the host is PID 1 of its own; the child
then takes its other namespaces and makes its filesystem safe (`mounts.py`),
drops root's powers (`confine.drop_privileges`) and serves (`host.run`).
The reply carries a pidfd of the host, through which the judge watches and,
if need be, kills it. The template exits when its last channel closes, and
every host it forked dies with it (parent-death signal).

Single-threaded, so forking is safe; the request loop does nothing slow.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import select
import signal
import socket
import sys
import time
from typing import Any, NoReturn

PR_SET_PDEATHSIG = 1
_SETUP_FAILED = 111


class _Template:
    def __init__(self, channels: list[socket.socket], environ: set[str]) -> None:
        self.channels: dict[int, socket.socket] = {c.fileno(): c for c in channels}
        self.environ = environ
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.own_pid_ns: int | None = None  # opened on the first namespaced host
        self.poller = select.poll()
        for fd in self.channels:
            self.poller.register(fd, select.POLLIN)

    def serve(self) -> NoReturn:
        while self.channels:
            for fd, _event in self.poller.poll(1000):
                self.answer(self.channels[fd])
            self.reap()
        os._exit(0)  # the last judge hung up: our hosts follow (parent-death signal)

    def answer(self, channel: socket.socket) -> None:
        try:
            data, fds, _flags, _addr = socket.recv_fds(channel, 1 << 16, 4)
        except OSError:
            data, fds = b"", []
        if not data:
            self.drop(channel)
            return
        reply_fds: list[int] = []
        try:
            message = json.loads(data)
            op = message.get("op")
            if op == "host":
                reply, reply_fds = self.fork_host(message, fds)
            elif op == "attach" and len(fds) == 1:
                added = socket.socket(fileno=fds.pop())  # ours to keep, not to close below
                self.channels[added.fileno()] = added
                self.poller.register(added.fileno(), select.POLLIN)
                reply = {"ok": True}
            else:
                reply = {"ok": False, "error": f"unknown request {op!r} with {len(fds)} fds"}
        except Exception as exc:  # our bug: say so, keep serving the other judges
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
        try:
            socket.send_fds(channel, [json.dumps(reply).encode()], reply_fds)
        except OSError:
            self.drop(channel)
        finally:
            for fd in reply_fds:
                os.close(fd)

    def drop(self, channel: socket.socket) -> None:
        self.poller.unregister(channel.fileno())
        del self.channels[channel.fileno()]
        channel.close()

    def reap(self) -> None:
        from grader.sandbox.confined.host import exited_children  # loaded by the preload already

        for _pid, _status in exited_children():
            pass  # hosts report to their judges; the template only collects them

    # ------------------------------------------------------------ forking a host

    def fork_host(
        self, message: dict[str, Any], fds: list[int]
    ) -> tuple[dict[str, Any], list[int]]:
        if len(fds) != 2:
            return {"ok": False, "error": "a host needs its control socket and its log"}, []
        from grader.sandbox.confined import mounts  # standard library only

        setup = message.get("setup")
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        own_ns = None
        if setup is not None:
            if self.own_pid_ns is None:
                self.own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY)
            own_ns = self.own_pid_ns
            try:
                mounts.unshare(mounts.CLONE_NEWPID)
            except OSError as exc:  # a container that refuses it: the judge tries without
                return {"ok": False, "setup_failed": "namespaces",
                        "error": f"{type(exc).__name__}: {exc}"}, []  # fmt: skip
        pid = -1
        try:
            pid = os.fork()
        finally:
            if own_ns is not None and pid != 0:  # our later children: back in our namespace
                mounts.setns(own_ns, mounts.CLONE_NEWPID)
        if pid == 0:
            self.become_host(message["serve"], setup, control=fds[0], log=fds[1])
        try:
            return {"ok": True, "pid": pid}, [os.pidfd_open(pid)]
        except OSError:  # before Linux 5.3: the judge watches the pid instead
            return {"ok": True, "pid": pid}, []

    def become_host(
        self, serve: dict[str, Any], setup: dict[str, Any] | None, *, control: int, log: int
    ) -> NoReturn:
        """In the forked child: shed the template's state, isolate, drop privileges, serve.

        A layer that fails to set up ends this child, never half-isolated; it
        first tells the judge which layer failed and why (one packet on its
        control socket), so that the judge can try a host without that layer.
        """
        stage = "host"  # what is being set up: the layer a failure costs
        try:
            os.setsid()
            self.libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(null, 0)
            os.dup2(null, 1)
            os.dup2(log, 2)
            os.dup2(control, 3)
            for channel in self.channels.values():
                channel.detach()  # their descriptors go below; the objects must not close others'
            os.closerange(4, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
            config = dict(serve)
            user = serve.get("user")
            if setup is not None:
                from grader.sandbox.confined import confine, mounts

                stage = "namespaces"
                config["applied"] = mounts.isolate(setup)
                config["inbox"], config["scratch"] = mounts.INBOX, mounts.SCRATCH
                stage = "uid-switch" if user is not None else "namespaces"
                confine.drop_privileges(user)
            elif user is not None:  # no namespaces: still never root (L1, L2)
                from grader.sandbox.confined import confine

                stage = "uid-switch"
                confine.drop_privileges(user)
            stage = "host"
            from grader.sandbox.confined import host

            host.run(config, socket.socket(fileno=3), self.environ)
        except BaseException as exc:  # fail closed: a host never serves half-isolated
            reason = f"{type(exc).__name__}: {exc}"
            with contextlib.suppress(BaseException):
                print(f"sandbox setup failed: {stage}: {reason}", file=sys.stderr, flush=True)
            if stage != "host":
                with contextlib.suppress(BaseException):
                    failed = {"ok": False, "setup_failed": stage, "error": reason}
                    os.write(3, json.dumps(failed).encode())
            os._exit(_SETUP_FAILED)


def main(argv: list[str]) -> NoReturn:
    """Entry point: `template.py`, with one JSON line on stdin (or `template.py CONFIG_JSON`).

    The config: {"repo": ..., "control_fds": [n, ...], "preload": [module, ...]}.
    It comes on stdin so that no path shows in this process's command line,
    which every host and worker forked from it shares.
    """
    environ = set(os.environ)  # as started: torch adds variables of its own
    config = json.loads(argv[0] if argv else sys.stdin.readline())
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.path.insert(0, config["repo"])
    sys.dont_write_bytecode = True
    started = time.monotonic()
    channels = [socket.socket(fileno=int(fd)) for fd in config["control_fds"]]
    from grader.sandbox.confined import host

    host.preload(config.get("preload", []))
    print(f"host template: libraries loaded in {time.monotonic() - started:.2f} s",
          file=sys.stderr, flush=True)  # fmt: skip
    _Template(channels, environ).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
