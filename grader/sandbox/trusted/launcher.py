"""Plan the sandbox host's layers, start the host template, and name isolation levels.

Always: a host template started as `python -I` with an allowlisted
environment, in a new session, holding no descriptor but its channel; each
host it forks keeps only its control socket and its log. As root where
`unshare` works, each host also gets network, PID, mount, IPC and UTS
namespaces of its own, with `mounts.py` making its tree read-only and masking
secrets, and `confine.drop_privileges` dropping every capability before it
serves (see `template.py`). A switch to an unprivileged uid is added only
when that user can actually run the interpreter, which is tried once.

Which layers end up in force is reported by the host itself after it checks
them (`host._observed_layers`, `confine.confine`); what is planned here is
only the attempt. A layer that fails to apply is not reported, so the level
drops and a required level refuses to grade; namespaces or a uid switch that
fail to set up end that host, and the client plans the next one without them
(`plan_host(namespaces=False)`, `uid_switch=False`).

On every path the host also confines itself (`confine.py`: no_new_privs,
Landlock, seccomp, no capabilities) before it serves, with the layers
`machine()` found this kernel can apply; that alone reaches L2 where
namespaces are missing.

What each level needs, and its name, is `grader.sandbox.levels`.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.sandbox.confined import confine

__all__ = [
    "ENV_ALLOWLIST",
    "HostPlan",
    "Machine",
    "default_secrets",
    "keep_private",
    "machine",
    "make_pids_cgroup",
    "plan_host",
    "remove_cgroup",
    "sandbox_user",
    "template_command",
    "template_config",
]

ENV_ALLOWLIST = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "CUDA_VISIBLE_DEVICES": "",
}
_SANDBOX_DIR = Path(__file__).resolve().parent.parent  # grader/sandbox
_NOBODY = 65534
USER_VARIABLE = "GRADER_SANDBOX_USER"


def sandbox_user(spec: str | None = None) -> tuple[int, int]:
    """The (uid, gid) student code runs as when the grader runs as root.

    `spec` (default: `$GRADER_SANDBOX_USER`, else ``nobody``) is a user name,
    whose primary group is taken, or ``UID:GID``. Root (uid or gid 0) is
    refused: the point is to leave root's powers behind.
    """
    spec = spec or os.environ.get(USER_VARIABLE) or "nobody"
    uid_text, colon, gid_text = spec.partition(":")
    if colon and uid_text.isdigit() and gid_text.isdigit():
        user = (int(uid_text), int(gid_text))
    else:
        try:
            entry = pwd.getpwnam(spec)
        except KeyError:
            if spec != "nobody":
                raise ValueError(f"{USER_VARIABLE}={spec!r}: no such user (give a name "
                                 "or UID:GID)") from None  # fmt: skip
            return (_NOBODY, _NOBODY)
        user = (entry.pw_uid, entry.pw_gid)
    if 0 in user:
        raise ValueError(f"{USER_VARIABLE}={spec!r}: the sandbox user must not be root")
    return user


@dataclass(frozen=True)
class Machine:
    """What this machine lets the launcher try (probed once per process)."""

    linux: bool
    root: bool
    namespaces: bool  # `unshare --net --pid --mount` works
    setpriv: str | None
    uid_switch: bool  # the sandbox user can run the interpreter and read the sandbox code
    confine: tuple[str, ...] = ()  # layers `confine.py` can apply here (`confine.available()`)
    user: tuple[int, int] = (_NOBODY, _NOBODY)  # `sandbox_user()`: uid and gid
    why_no_uid_switch: str = ""  # as root without it: why, for the report


def machine(python: str | None = None) -> Machine:
    """Probe the machine: cheap (three tiny subprocesses, run at once), cached.

    Every cold start probes (while the host template imports), so the probes
    run side by side, and once per process: `machine()` and
    `machine(sys.executable)` share one answer.
    """
    return _machine(python or sys.executable)


@functools.cache
def _machine(python: str) -> Machine:
    linux = sys.platform.startswith("linux")
    root = linux and os.geteuid() == 0
    unshare = shutil.which("unshare", path=ENV_ALLOWLIST["PATH"])
    setpriv = shutil.which("setpriv", path=ENV_ALLOWLIST["PATH"])
    namespaces_probe = None
    if root and unshare:
        namespaces_probe = _start([unshare, "--net", "--pid", "--mount", "--ipc", "--uts",
                                   "--fork", "--mount-proc", "true"])  # fmt: skip
    uid_probes = None
    uid, gid = user = sandbox_user() if root else (_NOBODY, _NOBODY)
    if root and setpriv:
        host = str(_SANDBOX_DIR / "confined" / "host.py")
        uid_probes = (
            _start([python, "-I", "-c", _WHERE, host]),
            _start([setpriv, f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                    python, "-I", "-c", _WHERE, host]),
        )  # fmt: skip
    namespaces = namespaces_probe is not None and _output(namespaces_probe) is not None
    uid_switch = uid_probes is not None and _same_python(*(_output(p) for p in uid_probes))
    why = ""
    if root and not uid_switch:
        why = (f"uid {uid} cannot run {os.path.realpath(python)} or read the grader "
               "(make the interpreter, the venv and the checkout readable by that user, or "
               f"name another with {USER_VARIABLE})" if setpriv else "no setpriv to probe with")
    return Machine(linux, root, namespaces, setpriv, uid_switch, confine.available(), user, why)


def _start(argv: list[str]) -> subprocess.Popen[bytes] | None:
    try:
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, env=ENV_ALLOWLIST)  # fmt: skip
    except OSError:
        return None


def _output(proc: subprocess.Popen[bytes] | None) -> str | None:
    """Stdout of a probe when it exits 0, else None."""
    if proc is None:
        return None
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None
    return out.decode(errors="replace") if proc.returncode == 0 else None


_WHERE = (
    "import importlib.util, json, os, sys; "
    "spec = importlib.util.find_spec('torch'); "
    "print(json.dumps([os.path.dirname(json.__file__), spec and spec.origin, "
    "os.access(sys.argv[1], os.R_OK)]))"
)


def _same_python(mine: str | None, theirs: str | None) -> bool:
    """Whether `nobody` runs *this* Python: same stdlib, same torch, our code readable.

    Starting is not enough: an interpreter whose prefix it cannot read falls
    back to another stdlib (seen here: the system's /usr/lib/python3.11).
    """
    return mine is not None and mine == theirs and json.loads(mine)[2] is True


def keep_private() -> None:
    """Make this trusted process non-dumpable, as the sandbox host is.

    Its environment, open files, working folder and memory in ``/proc`` are
    then closed to every process without CAP_SYS_PTRACE, its own uid's
    included: a worker at L1 without root would otherwise read there where
    the reports are. Forks inherit it; an exec (a judge we start) does not,
    so each trusted process calls this itself. Its command line stays
    readable by all, which is why no trusted process we start has a path on it.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


_PR_SET_DUMPABLE = 4


def owner_of(path: Path, prefix: str) -> int | None:
    """The pid in a name made as ``prefix + "<pid>-..."`` (a judge's own files), else None."""
    pid, dash, _ = path.name.removeprefix(prefix).partition("-")
    return int(pid) if path.name.startswith(prefix) and dash and pid.isdigit() else None


def running(pid: int) -> bool:
    """Whether process ``pid`` exists (another user's counts: we cannot signal it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cgroup_bases() -> list[Path]:
    root = Path("/sys/fs/cgroup")
    candidates = [root / "pids"]
    with contextlib.suppress(OSError):
        if "pids" in (root / "cgroup.subtree_control").read_text().split():
            candidates.append(root)
    return [base for base in candidates if (base / "cgroup.procs").exists()]


def remove_stale_cgroups() -> None:
    """Remove the pids cgroups of judges that were killed before they could (SIGKILL)."""
    for base in _cgroup_bases():
        with contextlib.suppress(OSError):
            for path in base.glob(f"{_CGROUP_PREFIX}*"):
                owner = owner_of(path, _CGROUP_PREFIX)
                if owner is not None and not running(owner):
                    with contextlib.suppress(OSError):  # busy: something still runs there
                        path.rmdir()


_CGROUP_PREFIX = "grader-"


def make_pids_cgroup(max_tasks: int) -> Path | None:
    """A fresh pids cgroup capping the host's task count, or None if we cannot make one.

    `RLIMIT_NPROC` does not bind root (docs/threats.md row 5); a pids cgroup does. The
    setup stage moves itself in before dropping capabilities, so every worker
    and grandchild stays inside. cgroup v1 (`/sys/fs/cgroup/pids`) or v2 with
    the pids controller delegated to the root's children.
    """
    for base in _cgroup_bases():
        # named after this process, so that a later judge can tell it is stale
        path = base / f"{_CGROUP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}"
        try:
            path.mkdir()
        except OSError:
            continue
        try:
            (path / "pids.max").write_text(str(max_tasks))
        except OSError:
            remove_cgroup(path)
            continue
        return path
    return None


def remove_cgroup(path: Path) -> None:
    """Remove a cgroup made by `make_pids_cgroup`, once its last task is gone."""
    deadline = time.monotonic() + 2.0
    while True:
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)


def default_secrets(repo: Path) -> list[Path]:
    """What the worker must never see: hidden checks, solutions, our tests, git state.

    The active assignment's checks and solutions, and those of the assignment
    that ships in the grader's own checkout (when another one is graded, the
    bundled course's are still not the student's to read).
    """
    from grader import assignment

    found = [*assignment.current().secrets]
    if (repo / assignment.ASSIGNMENT_FILE).is_file():
        found += [p for p in assignment.load(repo).secrets if p not in found]
    return [*found, repo / "tests", repo / ".git"]


@dataclass(frozen=True)
class HostPlan:
    """How the template is to make a host: its serve config, its namespace setup
    (None: no namespaces), and the layers attempted."""

    serve: dict[str, Any]
    setup: dict[str, Any] | None
    planned: tuple[str, ...]


def template_command(
    control_fds: Sequence[int],
    python: str = sys.executable,
) -> list[str]:
    """The host template's command line (run it with `ENV_ALLOWLIST` as its environment,
    and `template_config` on its stdin).

    It names no path but the template's own script: the repository, like
    every other path, arrives on stdin, so no worker finds it in
    ``/proc/<pid>/cmdline`` (docs/threats.md G2). `control_fds` are the channel
    descriptors the template inherits (their numbers are in the config too).
    """
    del control_fds  # numbers only, and only in the config
    return [python, "-I", str(_SANDBOX_DIR / "confined" / "template.py")]


def template_config(control_fds: Sequence[int], preload: Sequence[str] | None = None) -> str:
    """The host template's configuration, one JSON line written to its stdin.

    `preload`: modules every host imports once, beside torch and numpy (default:
    the active assignment's packages, so no worker pays for them).
    """
    if preload is None:
        from grader.assignment import current

        preload = current().packages
    config = {"repo": str(_SANDBOX_DIR.parent.parent), "control_fds": list(control_fds),
              "preload": list(preload)}  # fmt: skip
    return json.dumps(config) + "\n"


def _host_needs(repo: str, python: str) -> set[str]:
    """Folders the host must still see when scratch hides where they live.

    The interpreter's own tree counts twice over: ``sys.prefix`` names the venv
    only when ``site`` ran (``python -S`` leaves it at the base install), so
    the venv is also taken from the path of the interpreter that starts the host.
    """
    venv = os.path.dirname(os.path.dirname(os.path.abspath(python)))
    return {repo, venv, sys.prefix, sys.exec_prefix, sys.base_prefix}


def plan_host(
    *,
    inbox: Path,
    scratch: Path,
    secrets: Sequence[Path],
    probes: Sequence[Path] = (),
    python: str = sys.executable,
    namespaces: bool | None = None,
    uid_switch: bool = True,
    scratch_bytes: int = 512 << 20,
    cgroup: Path | None = None,
) -> HostPlan:
    """What the template should do to make a host on this machine.

    `cgroup` (from `make_pids_cgroup`) is joined by the host during its setup;
    it is only used with namespaces. `namespaces=None` uses them when the
    machine allows; False never does (for a fast L1 host in tests, or after
    their setup failed here); True requires them (ValueError otherwise).
    `uid_switch=False` keeps the host's uid (after the switch failed here).
    """
    probe = machine(python)
    use_ns = probe.namespaces if namespaces is None else namespaces
    if use_ns and not probe.namespaces:
        raise ValueError("namespaces requested but unavailable (needs root and unshare)")
    repo = str(_SANDBOX_DIR.parent.parent)
    serve = {
        "repo": repo,
        "inbox": str(inbox),
        "scratch": str(scratch),
        "secrets": [str(p) for p in secrets],
        "probes": [str(p) for p in probes],
        "env_allowlist": sorted(ENV_ALLOWLIST),
        "cgroup": str(cgroup) if cgroup and use_ns else None,
        "confine": list(probe.confine),  # what the host applies to itself, on every path
        # As root: the host gives up root for this user before it serves, on every path.
        "user": list(probe.user) if probe.uid_switch and uid_switch else None,
    }
    switch = ("uid-switch",) if serve["user"] is not None else ()
    if not use_ns:
        planned = ("subprocess", "rlimits", "setsid", "env-allowlist", *switch, *probe.confine)
        return HostPlan(serve, None, planned)
    setup = {
        "inbox": str(inbox),
        "secrets": [str(p) for p in secrets],
        "scratch_bytes": scratch_bytes,
        "uid": serve["user"][0] if serve["user"] is not None else None,
        "cgroup": serve["cgroup"],
        # What the host needs to run; kept visible if it lives where scratch goes (/tmp).
        "keep": sorted(_host_needs(repo, python)),
    }
    planned = ("subprocess", "rlimits", "setsid", "env-allowlist", "netns", "pidns", "mountns",
               "ro-root", "secrets-masked", "no-caps", "no-new-privs")  # fmt: skip
    planned += switch
    planned += ("cgroup-pids",) if cgroup else ()
    planned += tuple(name for name in probe.confine if name not in planned)
    return HostPlan(serve, setup, planned)
