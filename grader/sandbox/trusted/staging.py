"""Close the grader's secrets to the sandbox user, and prove it from that user's side.

When the grader runs as root, the sandbox host and its workers give up root
for an unprivileged uid and gid (`launcher.sandbox_user`), on every path. That
only protects what the file modes protect: the hidden checks, their inputs and
expected values, the solutions, the output folder and the judge's own scratch
are usually world-readable files in a world-readable checkout. So before the
host starts, the judge

1. takes the "other" bits (and the group bits, when the group is the sandbox
   user's) off each secret path, and refuses to count a path the sandbox user
   owns (`close`);
2. forks a child that becomes that user and tries to list, read and write each
   path (`reachable`): without Landlock or namespaces (L1 as root) this probe
   is the only evidence the secrets hold, so a path it reaches is reported and
   the layer is not claimed (docs/threats.md, Levels).

The probe is a fork that makes system calls and exits, never an exec: it
works where the sandbox user cannot run the interpreter, and costs ~1 ms.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["close", "reachable"]


def close(paths: Iterable[Path], user: Sequence[int]) -> list[str]:
    """Take the sandbox user's access off each existing path; returns what could not be."""
    uid, gid = user
    problems = []
    for path in paths:
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        except OSError as exc:
            problems.append(f"{path}: {exc}")
            continue
        if stat.S_ISLNK(info.st_mode):
            problems.append(f"{path}: a symlink (pass the folder it points to)")
            continue
        if info.st_uid == uid:
            problems.append(f"{path}: owned by the sandbox user {uid}")
            continue
        keep = ~0o007 if info.st_gid != gid else ~0o077
        mode = stat.S_IMODE(info.st_mode)
        if mode & ~keep:
            try:
                path.chmod(mode & keep)
            except OSError as exc:
                problems.append(f"{path}: {exc}")
    return problems


def reachable(paths: Iterable[Path], user: Sequence[int]) -> list[str]:
    """Which of `paths` the sandbox user can list, read or write: empty when all hold.

    Tried for real, in a forked child that has become that user. A path that
    does not exist is skipped; a probe that cannot run reports itself.
    """
    targets = [str(p) for p in paths if os.path.lexists(p)]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            os.close(read_end)
            uid, gid = user
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            found = [t for t in targets if _open_to_me(t)]
            os.write(write_end, "\n".join(found).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return [f"the probe as uid {user[0]} failed (status {status})"]
    return [line for line in data.decode().split("\n") if line]


def _open_to_me(path: str) -> bool:
    """Whether this process can list, read or write `path`."""
    try:
        if os.path.isdir(path):
            with contextlib.suppress(PermissionError):
                os.listdir(path)
                return True
            probe = os.path.join(path, f".probe-{os.getpid()}")
            try:
                fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except OSError:
                return False
            os.close(fd)
            os.unlink(probe)
            return True
        for flags in (os.O_RDONLY, os.O_WRONLY):
            try:
                os.close(os.open(path, flags | os.O_NOFOLLOW))
            except OSError:
                continue
            return True
    except OSError:
        return False
    return False
