"""Frames between the judge, the sandbox host and the workers.

A frame is a 4-byte big-endian length followed by a `codec.pack` blob (JSON
header plus raw buffers). The length is checked against the cap *before* any
payload is read (docs/threats.md row 50), and every read on the judge's side honours a
wall-clock deadline through `poll`, so a worker that stops talking, talks too
much or talks nonsense costs one call, never the judge.

Messages (all JSON headers):

    judge -> worker  {"id": "9f..", "op": "call" | "probe", "name": str,
                      "args": tree, "kwargs": tree, "seed": int}
    worker -> judge  {"ready": true} | {"ready": false, "kind": .., "exc_type": ..,
                      "text": .., "line": ..}
                     {"id": .., "ok": true, "value": tree}
                     {"id": .., "ok": false, "fault": .., "exc_type": .., "text": .., "line": ..}
                     {"progress": "importing", "line": ..}   (at most once, before "ready",
                      when the import is still running half-way to its deadline: a hint)

The host's control channel is a SOCK_SEQPACKET pair carrying one small JSON
object per packet (and file descriptors on "spawn"); see `host.py`.

Standard library only: this module is imported on both sides of the boundary.
"""

from __future__ import annotations

import os
import re
import select
import socket
import struct
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from grader.sandbox.wire import codec

__all__ = [
    "MODULE_NAME",
    "FrameClosed",
    "FrameError",
    "FrameTimeout",
    "drain",
    "recv_frame",
    "send_frame",
]

# What an exercise module may be called: the judge refuses other names before
# writing a file, and the worker before joining one to its folder.
MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")

_LEN = struct.Struct(">I")
_CHUNK = 1 << 20


class FrameError(Exception):
    """The peer sent something that is not a valid frame (too big, malformed)."""


class FrameClosed(FrameError):
    """The peer closed the connection (usually: the worker died)."""


class FrameTimeout(FrameError):
    """No complete frame arrived before the deadline."""


def send_frame(
    sock: socket.socket,
    header: Mapping[str, Any],
    buffers: Sequence[memoryview] = (),
    *,
    max_bytes: int | None = None,
) -> None:
    """Send one frame; blocking (the peer is always reading).

    With `max_bytes`, a frame the peer would refuse raises `FrameError`
    before anything is written, so the sender can say why instead.
    """
    blob = codec.pack(dict(header), buffers)
    if max_bytes is not None and len(blob) > max_bytes:
        raise FrameError(f"frame of {len(blob)} bytes exceeds the {max_bytes}-byte cap")
    if len(blob) < _CHUNK:  # one write for the common small frame
        sock.sendall(_LEN.pack(len(blob)) + blob)
    else:  # no extra copy of a big one
        sock.sendall(_LEN.pack(len(blob)))
        sock.sendall(blob)


def recv_frame(
    sock: socket.socket,
    *,
    max_bytes: int,
    deadline: float | None = None,
    watch: Mapping[int, Callable[[], None]] | None = None,
) -> tuple[dict[str, Any], list[memoryview]]:
    """Receive one frame, or raise `FrameTimeout` / `FrameClosed` / `FrameError`.

    `deadline` is a `time.monotonic()` instant (None: wait forever). `watch`
    maps extra file descriptors to callbacks run whenever they are readable
    while we wait: the judge drains the worker's output pipe this way, so a
    chatty worker never blocks on a full pipe while we wait for its reply.
    """
    reader = _Reader(sock, deadline, watch)
    (length,) = _LEN.unpack(reader.exactly(_LEN.size))
    if length > max_bytes:
        raise FrameError(f"frame of {length} bytes exceeds the {max_bytes}-byte cap")
    body = reader.exactly(length)
    try:
        return codec.unpack(body)
    except codec.CodecError as exc:
        raise FrameError(str(exc)) from None


class _Reader:
    """Reads from one socket until a deadline, waiting in `poll` only when nothing is there.

    A socket with a timeout is non-blocking underneath (Python waits in its own
    poll before each read), so it is read with `os.readv` first and polled only
    when empty: a reply that has arrived costs one read, not three system calls
    and a poll object per read, twice a frame, on every call a check makes.
    A blocking socket (the worker's) is polled first, as its reads would block.
    """

    def __init__(
        self,
        sock: socket.socket,
        deadline: float | None,
        watch: Mapping[int, Callable[[], None]] | None,
    ) -> None:
        self._fd = sock.fileno()
        self._nonblocking = sock.gettimeout() is not None
        self._deadline = deadline
        self._watch = watch or {}
        self._poller: Any = None

    def exactly(self, n: int) -> bytearray:
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        ready = self._nonblocking
        while got < n:
            if not ready:
                ready = self._wait()
                continue
            try:
                count = os.readv(self._fd, [view[got : got + min(n - got, _CHUNK)]])
            except (BlockingIOError, InterruptedError):
                ready = False
                continue
            except OSError as exc:
                raise FrameClosed(f"connection lost ({exc.strerror})") from None
            if count == 0:
                raise FrameClosed("connection closed")
            got += count
            ready = self._nonblocking
        return buf

    def _wait(self) -> bool:
        """Poll until the socket is readable (True) or a watched fd was served (False)."""
        if self._poller is None:
            self._poller = select.poll()
            self._poller.register(self._fd, select.POLLIN)
            for extra in self._watch:
                self._poller.register(extra, select.POLLIN)
        if self._deadline is None:
            timeout_ms = None
        else:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                raise FrameTimeout("no reply before the deadline")
            timeout_ms = max(1, int(remaining * 1000))
        readable = False
        for ready_fd, events in self._poller.poll(timeout_ms):
            if ready_fd == self._fd:
                readable = True
                continue
            callback = self._watch.get(ready_fd)
            if callback is not None:
                callback()
            if events & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                self._poller.unregister(ready_fd)
        return readable


def drain(fd: int, limit: int = 1 << 16) -> bytes:
    """Read what is available on a non-blocking fd (b"" at EOF or when empty)."""
    try:
        return os.read(fd, limit)
    except (BlockingIOError, InterruptedError):
        return b""
