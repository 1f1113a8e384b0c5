"""Test-only: run the attacks against a real sandbox host forced down to one level.

    python level_runner.py LEVEL < config.json  ->  JSON outcomes on stdout

Run as root. First, in a private mount namespace of its own (nothing leaks to
the machine), it makes the interpreter reachable for the sandbox user when it
lives under a home folder only root may enter (`/root/.pyenv` here), by
putting an empty world-traversable tmpfs over that folder and binding back
only the interpreter's tree: as on a CI runner or Gradescope image, where the
interpreter is world-readable. Then it tells the launcher this machine has no
namespaces (L2) and, for L1, no Landlock or seccomp either, and grades.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import stat
import sys
from pathlib import Path

from grader.sandbox.confined import mounts


def _reachable_interpreter() -> None:
    """Make the interpreter, the venv and this checkout reachable for the sandbox user.

    For each, the first ancestor that others may not enter (``/root`` for a
    pyenv interpreter, a 0700 temporary folder a fresh clone lives in) gets an
    empty world-traversable tmpfs over it, with only the needed children bound
    back; the rest of that folder stays out of sight. When that folder is the
    checkout itself (``git clone . "$(mktemp -d)"`` makes it 0700), every entry
    of it is bound back: binding back only ``.venv`` hid ``grader/`` from this
    very process, whose next import then failed.
    """
    import grader

    wanted = [sys.executable, sys.prefix, str(Path(grader.__file__).resolve().parents[1])]
    keep: dict[str, set[str]] = {}
    for path in wanted:
        parts = os.path.realpath(path).split("/")
        for depth in range(2, len(parts) + 1):
            folder = "/".join(parts[:depth])
            if not stat.S_IMODE(os.stat(folder).st_mode) & 0o001:
                if depth < len(parts):
                    needed = {"/".join(parts[: depth + 1])}
                else:  # the path itself: all of it stays in sight
                    needed = {os.path.join(folder, name) for name in os.listdir(folder)}
                keep.setdefault(folder, set()).update(needed)
                break
    if not keep:
        return
    mounts.unshare(mounts.CLONE_NEWNS)
    mounts.mount(None, "/", None, mounts.MS_REC | mounts.MS_PRIVATE)
    for folder in sorted(keep, key=len):
        fds = {child: os.open(child, os.O_PATH) for child in sorted(keep[folder])}
        folders = {child for child in fds if os.path.isdir(child)}
        mounts.mount("tmpfs", folder, "tmpfs", 0, "size=64k,mode=711")
        for child, fd in fds.items():
            if child in folders:
                os.makedirs(child, exist_ok=True)
            else:  # a file of the checkout (README, pyproject.toml): an empty one to bind over
                open(child, "a").close()
            mounts.mount(f"/proc/self/fd/{fd}", child, None, mounts.MS_BIND | mounts.MS_REC)
            os.close(fd)


def main(level: str) -> None:
    config = json.load(sys.stdin)
    _reachable_interpreter()
    from grader.sandbox.trusted import launcher

    probed = launcher.machine(sys.executable)
    changes: dict[str, object] = {}
    if level in ("L1", "L2"):
        changes["namespaces"] = False
    if level == "L1":
        changes["confine"] = ()
    forced = dataclasses.replace(probed, **changes)
    launcher.machine = lambda python=None: forced
    from grader.sandbox.trusted.client import Limits, SandboxHost

    limits = Limits(import_timeout=5.0, call_timeout=2.0, restarts=1)
    with SandboxHost(limits, secrets=config["secrets"]) as host, \
            contextlib.ExitStack() as others:  # fmt: skip
        if config.get("other_judge"):  # another judge's host, its worker alive, beside ours
            other = others.enter_context(SandboxHost(limits, template=host.attach_template()))
            neighbour = others.enter_context(other.submission({"ex01_attacks": config["source"]}))
            neighbour.exercise("ex01_attacks").call("uid")  # its worker and scratch exist
        outcomes: dict[str, object] = {"level": host.isolation.level,
                                       "layers": list(host.isolation.layers),
                                       "notes": list(host.isolation.notes),
                                       "details": dict(host.isolation.details)}  # fmt: skip
        with host.submission({"ex01_attacks": config["source"]}) as student:
            ex = student.exercise("ex01_attacks")
            outcomes["uid"] = ex.call("uid")
            for name, (function, argument) in config["attacks"].items():
                outcomes[name] = ex.call(function, argument)
    json.dump(outcomes, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
