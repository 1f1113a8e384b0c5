"""Namespace setup: make a forked sandbox host's filesystem safe before it serves.

Run by `template.py` in each host it forks, as root and holding every
capability, in a child that is already PID 1 of a PID namespace of its own.
`isolate` takes fresh mount, network, IPC and UTS namespaces (private mount
propagation: nothing done here is visible outside) and mounts a `/proc` of the
new PID namespace. Then it

1. remounts every existing mount read-only and `nosuid` (the grader, the venv
   and the student's own files become unwritable: docs/threats.md rows 14, 29);
2. replaces `/dev` with a small tmpfs holding only null, zero, full, random and
   urandom (root without capabilities may still open a disk device that root
   owns; a read-only mount does not stop writes to device nodes);
3. mounts size-limited tmpfs on `/tmp` and `/dev/shm` (scratch lives there),
   then binds back, read-only, whatever the host itself needs that lived
   there (a checkout and its venv under `/tmp`, as on a CI runner), through
   file descriptors opened before the tmpfs hid them;
4. binds the judge's inbox folder read-only at `/tmp/.inbox`, through a file
   descriptor opened first, so it is reachable wherever it lives;
5. masks each secret path with an empty read-only tmpfs (or `/dev/null` for a
   file): the hidden checks, solutions, tests and report folder are absent,
   not merely protected (docs/threats.md rows 28, 33);
6. joins the pids cgroup the judge made, if any (root is not bound by
   `RLIMIT_NPROC`; a fork bomb is).

The template then clears the capability bounding set, switches uid where it
can, empties every capability set and sets `no_new_privs`: root without
capabilities cannot unmount a mask or remount anything writable.

Any failure raises: the template's child then tells the judge that the
namespaces failed and why, and exits (code 111), rather than running with
fewer layers than it was told; the judge then starts a host without
namespaces (a level lower, said in the report) unless it requires them.

Standard library only: the template imports it before anything else.
"""

from __future__ import annotations

import ctypes
import os

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MS_RELATIME = 0x200000
MS_STRICTATIME = 0x1000000

_KEPT_FLAGS = {
    "nodev": MS_NODEV,
    "noexec": MS_NOEXEC,
    "noatime": MS_NOATIME,
    "nodiratime": MS_NODIRATIME,
    "relatime": MS_RELATIME,
    "strictatime": MS_STRICTATIME,
}
_DEVICES = ("null", "zero", "full", "random", "urandom")
_SEALED = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC

INBOX = "/tmp/.inbox"
SCRATCH = "/tmp/scratch"

_libc = ctypes.CDLL(None, use_errno=True)


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    """mount(2), raising OSError with the target named."""
    rc = _libc.mount(
        source.encode() if source else None,
        target.encode(),
        fstype.encode() if fstype else None,
        ctypes.c_ulong(flags),
        data.encode() if data else None,
    )
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _mount_points() -> list[tuple[str, set[str]]]:
    """(mount point, per-mount options) for every mount, parents first."""
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")  # \040 and friends
            points.append((point, set(fields[5].split(","))))
    return sorted(points, key=lambda p: p[0].count("/"))


def _remount_read_only() -> None:
    for point, options in _mount_points():
        kept = 0
        for name, flag in _KEPT_FLAGS.items():
            if name in options:
                kept |= flag
        mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | kept)


def _minimal_dev() -> None:
    fds = {name: os.open(f"/dev/{name}", os.O_PATH) for name in _DEVICES}
    mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")
    for name, fd in fds.items():
        path = f"/dev/{name}"
        with open(path, "w"):
            pass
        mount(f"/proc/self/fd/{fd}", path, None, MS_BIND)
        os.close(fd)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):  # fmt: skip
        os.symlink(target, f"/dev/{name}")
    os.mkdir("/dev/shm", 0o755)
    mount(None, "/dev", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC)


def _tmpfs(target: str, size: int) -> None:
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")


def _mask(path: str) -> None:
    if not os.path.lexists(path):
        return
    if os.path.isdir(path) and not os.path.islink(path):
        mount("tmpfs", path, "tmpfs", _SEALED, "size=4k,mode=555")
    else:
        mount("/dev/null", path, None, MS_BIND)
        mount(None, path, None, MS_REMOUNT | MS_BIND | _SEALED)


_SCRATCH_ROOTS = ("/tmp", "/dev/shm")


def _hidden_by_scratch(paths: list[str]) -> list[str]:
    """The outermost of `paths` that a tmpfs on a scratch root would hide."""
    roots = tuple(root + "/" for root in _SCRATCH_ROOTS)
    under = sorted({p for p in map(os.path.realpath, paths) if p.startswith(roots)})
    outermost: list[str] = []
    for path in under:
        if not any(path == kept or path.startswith(kept + "/") for kept in outermost):
            outermost.append(path)
    return outermost


def _links_hidden_by_scratch(paths: list[str]) -> list[tuple[str, str]]:
    """(link, target) for the first symlink on the way to each of `paths` that a
    scratch tmpfs would hide: a venv or checkout reached through ``ln -s``
    (the interpreter's own paths name the link, not what it points to)."""
    roots = tuple(root + "/" for root in _SCRATCH_ROOTS)
    links = []
    for path in map(os.path.abspath, paths):
        if not path.startswith(roots):
            continue
        parts = path.split("/")
        for depth in range(2, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if os.path.islink(prefix):
                links.append((prefix, os.readlink(prefix)))
                break  # past the link the path is its target's, kept by realpath
    return links


def _relink(links: list[tuple[str, str]]) -> None:
    for link, target in links:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if not os.path.lexists(link):
            os.symlink(target, link)


def _bind_back(fds: dict[str, int]) -> None:
    for path, fd in fds.items():
        os.makedirs(path, exist_ok=True)
        mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)


def unshare(flags: int) -> None:
    """unshare(2), raising OSError."""
    if _libc.unshare(ctypes.c_int(flags)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare: {os.strerror(err)}")


def setns(fd: int, nstype: int) -> None:
    """setns(2), raising OSError."""
    if _libc.setns(ctypes.c_int(fd), ctypes.c_int(nstype)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def isolate(config: dict) -> list[str]:
    """Apply the filesystem layers in `config` to this process; returns their names.

    Called in a freshly forked host that is already PID 1 of its own PID
    namespace (the template unshared it for this one child): it takes new
    mount, network, IPC and UTS namespaces, mounts a `/proc` that shows only
    its own namespace, then makes the tree safe as described above. Dropping
    privileges comes after, in `template.py`.
    """
    unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)
    applied = ["mountns", "netns-requested", "pidns-requested"]
    inbox_fd = os.open(config["inbox"], os.O_PATH | os.O_DIRECTORY)
    masks = [os.path.realpath(p) for p in config["secrets"]]
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # before any mount: nothing leaks out
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    if config.get("cgroup"):  # before the tree goes read-only and the capabilities go
        with open(os.path.join(config["cgroup"], "cgroup.procs"), "w") as procs:
            procs.write(str(os.getpid()))
        applied.append("cgroup-pids")
    _remount_read_only()
    applied.append("ro-root")
    _minimal_dev()
    applied.append("minimal-dev")
    kept = {
        path: os.open(path, os.O_PATH | os.O_DIRECTORY)
        for path in _hidden_by_scratch(config.get("keep", []))
    }
    links = _links_hidden_by_scratch(config.get("keep", []))
    _tmpfs("/tmp", config["scratch_bytes"])
    _tmpfs("/dev/shm", 64 << 20)
    _bind_back(kept)
    _relink(links)
    applied.append("tmpfs-scratch")
    os.mkdir(INBOX, 0o755)
    mount(f"/proc/self/fd/{inbox_fd}", INBOX, None, MS_BIND)
    mount(None, INBOX, None, MS_REMOUNT | MS_BIND | _SEALED)
    os.close(inbox_fd)
    os.mkdir(SCRATCH, 0o700 if config["uid"] is None else 0o1777)
    if config["uid"] is not None:
        os.chmod(SCRATCH, 0o1777)
    for path in masks:
        _mask(path)
    applied.append("secrets-masked")
    return applied
