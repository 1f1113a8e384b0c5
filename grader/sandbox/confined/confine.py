"""Confine the sandbox host: no new privileges, Landlock, seccomp, no capabilities.

Why this exists: without namespaces (Gradescope, an instructor laptop without
`sudo`, `SandboxHost(namespaces=False)`) the host and its workers run as the
judge's own user, often root. Then a student could read the hidden checks,
the solutions and the reports from disk, rewrite the grader, and open network
connections (docs/threats.md, Isolation techniques). These layers need neither root nor
namespaces, so the host applies them to itself after its preloads and before
it serves anything, on every path (behind the namespaces they are defence in
depth). Every worker is forked from the host and inherits all of them; none
can be undone.

The layers, each reported only after `confine` has checked that it holds:

    no-new-privs      `PR_SET_NO_NEW_PRIVS`: no setuid gain; Landlock and seccomp need it.
    landlock-fs       an allowlist of paths: read and execute on the interpreter,
                      its `sys.path` and the system libraries; read on a few
                      `/etc` files, `/proc`, some of `/sys`, `grader/sandbox/` and
                      the public door (`grader/__init__.py`, `student.py`,
                      `assignment.py`, `model.py`); read (files only) on the inbox;
                      read-write on scratch and `/dev/shm`. Nothing else, for
                      root too: not the repository, not the hidden checks, the
                      solutions, our tests, `.git` or the reports. Landlock also
                      refuses ptrace of, and `/proc/<pid>/mem`, `environ` or
                      `maps` of, any process outside the sandbox (the judge:
                      the read-mode ones only once no-caps took CAP_SYS_PTRACE
                      away, measured on Linux 6.18).
    landlock-net      TCP bind and connect denied (Landlock ABI >= 4). TCP only:
                      UDP is stopped by seccomp-net, not by this.
    landlock-scoped   signals and abstract unix sockets cannot reach processes
                      outside the sandbox (ABI >= 6): a root worker cannot
                      `kill(-1, SIGKILL)` the machine or the judge.
    seccomp-net       `socket()` of any family but AF_UNIX fails with EPERM
                      (IPv4, IPv6, packet, netlink, vsock...); socketpair stays.
    seccomp-syscalls  EPERM for ptrace, mount (old and new API), unshare, setns,
                      namespace flags of clone, bpf, keyring calls,
                      perf_event_open, process_vm_*, pidfd_getfd, io_uring
                      (its operations bypass seccomp), inotify/fanotify,
                      module and kexec calls, handle-based opens, clocks,
                      hostname, swap, reboot, userfaultfd...; ENOSYS for
                      clone3, whose flags a filter cannot read (glibc falls back
                      to clone). A foreign architecture (i386 `int 0x80`, x32)
                      gets EPERM for everything.
    no-caps           every capability set emptied, the bounding set too (only
                      root can, and only root needs it): a root worker cannot
                      raise its hard rlimits back, renice to real time, set the
                      clock or reconfigure interfaces through a socket ioctl.

Known gaps, by design of the kernel features: Landlock does not cover
`chmod`/`utime`/xattrs (a worker can still change the metadata of a grader
file its uid owns, though not open it), and `/proc/<pid>/cmdline` of every
process stays world-readable. The uid switch, which would close both, is the
launcher's job.
Landlock and seccomp apply to the calling thread and its future children: the
host forks every worker from its main thread, which is the one confined
(seccomp is also synchronised to the host's other threads).

Standard library and ctypes only; imported inside the host, which runs
`python -I` with no grader module but `grader.sandbox.*`. Linux on x86_64 or
aarch64 (seccomp); Landlock on any architecture whose kernel has it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import platform
import socket
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "LAYERS",
    "Confinement",
    "Instruction",
    "available",
    "confine",
    "drop_privileges",
    "landlock_abi",
    "landlock_rules",
    "seccomp_program",
    "unavailable",
]

LAYERS = (
    "no-new-privs",
    "landlock-fs",
    "landlock-net",
    "landlock-scoped",
    "seccomp-net",
    "seccomp-syscalls",
    "no-caps",
)


@functools.cache
def _lib() -> ctypes.CDLL:
    """The C library, loaded on first use: importing this module works anywhere
    (the launcher imports it on Windows and macOS too, where nothing here runs)."""
    lib = ctypes.CDLL(None, use_errno=True)
    lib.syscall.restype = ctypes.c_long
    lib.prctl.restype = ctypes.c_int
    return lib


PR_SET_NO_NEW_PRIVS = 38
PR_GET_NO_NEW_PRIVS = 39
PR_SET_SECCOMP = 22
PR_CAPBSET_READ = 23
PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
SECCOMP_MODE_FILTER = 2
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1

# ---------------------------------------------------------------- Landlock ABI

_NR_LANDLOCK_CREATE_RULESET = 444  # the same number on every architecture
_NR_LANDLOCK_ADD_RULE = 445
_NR_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

# Rights that make sense on a file that is not a directory (others: EINVAL).
_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV

READ = FS_READ_FILE | FS_READ_DIR
EXEC_READ = READ | FS_EXECUTE
DEVICE_RW = FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE | FS_IOCTL_DEV
DEVICE_RO = FS_READ_FILE | FS_IOCTL_DEV
# Scratch: everything a program does with temporary files, but no device nodes
# (root could mknod the disk and read it raw) and no execve of what it wrote.
SCRATCH = (
    FS_READ_FILE | FS_READ_DIR | FS_WRITE_FILE | FS_TRUNCATE | FS_REMOVE_DIR | FS_REMOVE_FILE
    | FS_MAKE_DIR | FS_MAKE_REG | FS_MAKE_SOCK | FS_MAKE_FIFO | FS_MAKE_SYM | FS_REFER
)  # fmt: skip


def _fs_rights(abi: int) -> int:
    """The filesystem rights an ABI version can handle."""
    if abi >= 5:
        return (1 << 16) - 1
    if abi >= 3:
        return (1 << 15) - 1
    if abi == 2:
        return (1 << 14) - 1
    return (1 << 13) - 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),  # ABI 4
        ("scoped", ctypes.c_uint64),  # ABI 6
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _syscall(number: int, *args: object) -> int:
    """syscall(2) with every integer passed as a C long; -errno on failure."""
    converted = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    ctypes.set_errno(0)
    result = _lib().syscall(ctypes.c_long(number), *converted)
    return -ctypes.get_errno() if result == -1 else int(result)


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 when it has none (or it is disabled or filtered)."""
    if not sys.platform.startswith("linux"):
        return 0
    version = _syscall(_NR_LANDLOCK_CREATE_RULESET, None, 0, LANDLOCK_CREATE_RULESET_VERSION)
    return max(version, 0)


# ---------------------------------------------------------------- the allowlist

# Read-only /etc: what libc, Python and our libraries read at call time (name
# service, time zone, dynamic loader, certificates). Not all of /etc: as root
# that would include /etc/shadow and host keys.
_ETC = (
    "/etc/ld.so.cache", "/etc/localtime", "/etc/timezone", "/etc/passwd", "/etc/group",
    "/etc/nsswitch.conf", "/etc/host.conf", "/etc/hosts", "/etc/resolv.conf", "/etc/gai.conf",
    "/etc/os-release", "/etc/lsb-release", "/etc/debian_version", "/etc/mime.types",
    "/etc/locale.alias", "/etc/ssl", "/etc/ca-certificates", "/etc/fonts", "/etc/matplotlibrc",
)  # fmt: skip
_SYSTEM_EXEC = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin")
# /proc: torch, psutil-like code and our own host read it (stat, status, cpuinfo,
# meminfo). Read-only: no /proc/<pid>/mem writes, no /proc/sys tuning.
# /sys: CPU topology and cgroup limits, read by glibc's get_nprocs, OpenMP,
# joblib/loky's cpu_count and threadpoolctl.
_SYSTEM_READ = (
    "/proc", "/sys/devices/system/cpu", "/sys/devices/system/node", "/sys/fs/cgroup",
    "/usr/share/zoneinfo",
)  # fmt: skip
_DEVICES = {
    "/dev/null": DEVICE_RW,
    "/dev/zero": DEVICE_RW,
    "/dev/full": DEVICE_RW,
    "/dev/random": DEVICE_RO,
    "/dev/urandom": DEVICE_RO,
}
_SHM = "/dev/shm"  # POSIX semaphores and DataLoader workers' shared tensors
# The grader's public door, which a student's own code may import: a notebook
# calls `from grader import check; check(...)`, and is graded top to bottom,
# so that cell runs again in the worker (where `check` returns at once). All
# four ship to students in the release bundle: nothing secret. Files only;
# the rest of grader/ stays closed.
_PUBLIC_GRADER = ("__init__.py", "student.py", "assignment.py", "model.py")
_MAX_RULES = 4096


class _TooManyRules(Exception):
    pass


def _within(path: str, root: str) -> bool:
    """Whether `path` is `root` or lies beneath it (both real, absolute)."""
    return path == root or path.startswith(root.rstrip("/") + "/")


def _interpreter_paths() -> list[str]:
    """Where the interpreter, its standard library and its packages live."""
    found = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))]  # fmt: skip
    found += [entry for entry in sys.path if entry and os.path.exists(entry)]
    return found


def landlock_rules(
    *,
    repo: str,
    inbox: str,
    scratch: str,
    secrets: Sequence[str],
    extra: Sequence[str] | None = None,
) -> list[tuple[str, int]]:
    """The allowlist as (real path, access) pairs, before masking to an ABI.

    `extra` replaces the interpreter's own paths (read and execute): the
    prefixes, the interpreter's folder and every existing `sys.path` entry.

    The repository root is *closed*: never allowed as a whole (an editable
    install puts it on `sys.path`), though paths inside it may be (the venv,
    `grader/sandbox/`). Each secret is *hidden*: nothing at or below it is
    ever allowed. A wanted path that contains a closed or hidden one is
    replaced by rules on its children, recursively, skipping the closed or
    hidden path itself. Every path is resolved first, so a symlink cannot
    smuggle a secret in. Paths that do not exist are left out: Landlock rules
    bind to existing inodes, so nothing created later is covered. (A grader
    installed into site-packages has that folder as its "repository": it is
    not closed, only the secrets inside it are hidden.)
    """
    real = os.path.realpath
    hidden = [real(p) for p in secrets]
    installed = os.path.basename(real(repo)) in ("site-packages", "dist-packages")
    closed = [] if installed else [real(repo)]
    sandbox = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # grader/sandbox
    interpreter = _interpreter_paths() if extra is None else list(extra)
    wanted: list[tuple[str, int]] = [(p, EXEC_READ) for p in interpreter]
    wanted += [(p, EXEC_READ) for p in _SYSTEM_EXEC]
    wanted += [(p, READ) for p in (*_ETC, *_SYSTEM_READ)]
    wanted += list(_DEVICES.items())
    wanted += [
        (sandbox, READ),
        *((os.path.join(os.path.dirname(sandbox), name), FS_READ_FILE) for name in _PUBLIC_GRADER),
        (inbox, FS_READ_FILE),  # files by name; no listing of other sessions
        (scratch, SCRATCH),
        (_SHM, SCRATCH),
    ]
    rules: dict[str, int] = {}
    expanded: set[str] = set()

    def place(path: str, access: int) -> None:
        target = real(path)
        if not os.path.exists(target) or any(_within(target, h) for h in hidden):
            return
        if target in closed:
            return
        if any(_within(d, target) for d in (*hidden, *closed)):  # an ancestor: expand
            if target in expanded or not os.path.isdir(target):
                return
            expanded.add(target)
            with contextlib.suppress(OSError):
                for name in sorted(os.listdir(target)):
                    place(os.path.join(target, name), access)
            return
        rules[target] = rules.get(target, 0) | access
        if len(rules) > _MAX_RULES:
            raise _TooManyRules(f"more than {_MAX_RULES} Landlock rules")

    for path, access in wanted:
        place(path, access)
    return sorted(rules.items())


# ---------------------------------------------------------------- seccomp

AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_X32_SYSCALL_BIT = 0x40000000

# From the kernel's uapi headers: asm/unistd_64.h (x86_64), asm-generic/unistd.h (aarch64);
# the tests check every number against the system's libseccomp as well. Why not libseccomp
# itself: docs/threats.md, "The seccomp filter".
_DENIED = {  # name: (x86_64, aarch64); None where the call does not exist
    "ptrace": (101, 117),
    "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271),
    "process_madvise": (440, 440),
    "pidfd_getfd": (438, 438),
    "mount": (165, 40),
    "umount2": (166, 39),
    "open_tree": (428, 428),
    "move_mount": (429, 429),
    "fsopen": (430, 430),
    "fsconfig": (431, 431),
    "fsmount": (432, 432),
    "fspick": (433, 433),
    "mount_setattr": (442, 442),
    "pivot_root": (155, 41),
    "chroot": (161, 51),
    "unshare": (272, 97),
    "setns": (308, 268),
    "bpf": (321, 280),
    "perf_event_open": (298, 241),
    "keyctl": (250, 219),
    "add_key": (248, 217),
    "request_key": (249, 218),
    "userfaultfd": (323, 282),
    "io_uring_setup": (425, 425),
    "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427),
    "inotify_add_watch": (254, 27),
    "fanotify_init": (300, 262),
    "fanotify_mark": (301, 263),
    "name_to_handle_at": (303, 264),
    "open_by_handle_at": (304, 265),
    "init_module": (175, 105),
    "finit_module": (313, 273),
    "delete_module": (176, 106),
    "kexec_load": (246, 104),
    "kexec_file_load": (320, 294),
    "reboot": (169, 142),
    "swapon": (167, 224),
    "swapoff": (168, 225),
    "acct": (163, 89),
    "quotactl": (179, 60),
    "quotactl_fd": (443, 443),
    "syslog": (103, 116),
    "vhangup": (153, 58),
    "lookup_dcookie": (212, 18),
    "sethostname": (170, 161),
    "setdomainname": (171, 162),
    "settimeofday": (164, 170),
    "clock_settime": (227, 112),
    "clock_adjtime": (305, 266),
    "iopl": (172, None),
    "ioperm": (173, None),
}
_SPECIAL = {"socket": (41, 198), "clone": (56, 220), "clone3": (435, 435)}
AF_UNIX = 1
# CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
# | CLONE_NEWPID | CLONE_NEWNET (CLONE_NEWTIME shares its bit with CSIGNAL in clone).
CLONE_NAMESPACES = 0x7E020000

SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
RET_EPERM = SECCOMP_RET_ERRNO | errno.EPERM
RET_ENOSYS = SECCOMP_RET_ERRNO | errno.ENOSYS

BPF_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
BPF_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
BPF_JGE_K = 0x35
BPF_JSET_K = 0x45
BPF_RET_K = 0x06
# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]
OFFSET_NR = 0
OFFSET_ARCH = 4
OFFSET_ARG0_LOW = 16  # little-endian: the low 32 bits of args[0]

Instruction = tuple[int, int, int, int]  # (code, jt, jf, k), as in struct sock_filter


def denied_syscalls(arch: str) -> dict[str, int]:
    """The calls the filter refuses with EPERM on `arch`, by name."""
    column = {"x86_64": 0, "aarch64": 1}[arch]
    numbers = {name: pair[column] for name, pair in _DENIED.items()}
    return {name: nr for name, nr in numbers.items() if nr is not None}


def seccomp_program(arch: str) -> list[Instruction]:
    """The classic-BPF seccomp filter for `arch` ("x86_64" or "aarch64").

    Straight-line: check the architecture, refuse x32 numbers, dispatch the
    three calls whose arguments matter, then one comparison per refused
    call, then allow. Jumps are forward only and resolved from labels.
    """
    if arch not in AUDIT_ARCH:
        raise ValueError(f"no seccomp filter for architecture {arch!r}")
    column = 0 if arch == "x86_64" else 1
    special = {name: pair[column] for name, pair in _SPECIAL.items()}
    # Items: ("op", code, k) or ("jump", code, k, label_true, label_false) or ("label", name).
    items: list[tuple] = [
        ("op", BPF_LD_W_ABS, OFFSET_ARCH),
        ("jump", BPF_JEQ_K, AUDIT_ARCH[arch], None, "deny"),
        ("op", BPF_LD_W_ABS, OFFSET_NR),
    ]
    if arch == "x86_64":
        items.append(("jump", BPF_JGE_K, _X32_SYSCALL_BIT, "deny", None))
    items += [
        ("jump", BPF_JEQ_K, special["socket"], "socket", None),
        ("jump", BPF_JEQ_K, special["clone"], "clone", None),
        ("jump", BPF_JEQ_K, special["clone3"], "nosys", None),
    ]
    items += [("jump", BPF_JEQ_K, nr, "deny", None) for nr in denied_syscalls(arch).values()]
    items += [
        ("op", BPF_RET_K, SECCOMP_RET_ALLOW),
        ("label", "socket"),
        ("op", BPF_LD_W_ABS, OFFSET_ARG0_LOW),
        ("jump", BPF_JEQ_K, AF_UNIX, "allow", "deny"),
        ("label", "clone"),
        ("op", BPF_LD_W_ABS, OFFSET_ARG0_LOW),
        ("jump", BPF_JSET_K, CLONE_NAMESPACES, "deny", "allow"),
        ("label", "allow"),
        ("op", BPF_RET_K, SECCOMP_RET_ALLOW),
        ("label", "deny"),
        ("op", BPF_RET_K, RET_EPERM),
        ("label", "nosys"),
        ("op", BPF_RET_K, RET_ENOSYS),
    ]
    labels: dict[str, int] = {}
    index = 0
    for item in items:
        if item[0] == "label":
            labels[item[1]] = index
        else:
            index += 1
    program: list[Instruction] = []
    for item in items:
        if item[0] == "op":
            program.append((item[1], 0, 0, item[2]))
        elif item[0] == "jump":
            here = len(program) + 1

            def offset(label: str | None, here: int = here) -> int:
                distance = 0 if label is None else labels[label] - here
                if not 0 <= distance <= 255:
                    raise ValueError(f"BPF jump to {label} out of range ({distance})")
                return distance

            program.append((item[1], offset(item[3]), offset(item[4]), item[2]))
    if len(program) > 4096:  # BPF_MAXINSNS
        raise ValueError("seccomp program too long")
    return program


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


_NR_SECCOMP = {"x86_64": 317, "aarch64": 277}


def _arch() -> str | None:
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    return arch if arch in AUDIT_ARCH and sys.byteorder == "little" else None


def seccomp_backend() -> str:
    """Which seccomp filter this process installs, in words for the report."""
    return (f"hand-written BPF for {_arch()} (syscall numbers and arch tokens checked against "
            "libseccomp for x86_64 and aarch64; other ABIs refused)")


def _seccomp_supported() -> bool:
    if _arch() is None:
        return False
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            return any(line.startswith("Seccomp:") for line in handle)
    except OSError:
        return False


def available() -> tuple[str, ...]:
    """The layers `confine` can attempt on this machine; cheap and side-effect free."""
    if not sys.platform.startswith("linux"):
        return ()
    layers = ["no-new-privs"]
    if os.geteuid() == 0:  # only root holds capabilities worth dropping, and can drop them all
        layers.append("no-caps")
    abi = landlock_abi()
    if abi >= 1:
        layers.append("landlock-fs")
    if abi >= 4:
        layers.append("landlock-net")
    if abi >= 6:
        layers.append("landlock-scoped")
    if _seccomp_supported():
        layers += ["seccomp-net", "seccomp-syscalls"]
    return tuple(layers)


def unavailable() -> dict[str, str]:
    """Why each Landlock or seccomp layer `available` leaves out is missing here, for the
    report's notes (a kernel too old, an architecture without a filter)."""
    if not sys.platform.startswith("linux"):
        return {}
    have = set(available())
    abi = landlock_abi()
    needs = {"landlock-fs": 1, "landlock-net": 4, "landlock-scoped": 6}
    why = {
        name: (f"this kernel's Landlock ABI is {abi}, the layer needs {abi_needed} "
               "(Linux 5.13 or later for any)" if abi else
               "this kernel has no Landlock (Linux 5.13 or later, enabled in its LSM list)")
        for name, abi_needed in needs.items() if name not in have
    }  # fmt: skip
    if "seccomp-net" not in have:
        reason = (f"no filter for {platform.machine()}" if _arch() is None
                  else "this kernel has no seccomp")  # fmt: skip
        why.update({"seccomp-net": reason, "seccomp-syscalls": reason})
    return why


# ---------------------------------------------------------------- applying


@dataclass
class Confinement:
    """What `confine` did: the layers verified, why others are missing, the time taken."""

    layers: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _os_error(code: int, what: str) -> OSError:
    return OSError(code, f"{what}: {os.strerror(code)}")


def _no_new_privs() -> None:
    if _lib().prctl(PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), ctypes.c_ulong(0),
                   ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:  # fmt: skip
        raise _os_error(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    if _lib().prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1:
        raise OSError("no_new_privs did not stick")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _capabilities() -> dict[str, int]:
    with open("/proc/self/status", encoding="ascii") as handle:
        return {
            key: int(value, 16)
            for key, _, value in (line.partition(":") for line in handle)
            if key in ("CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb")
        }


def _drop_bounding_set() -> None:
    """Empty the bounding set: no later exec can gain a capability (needs CAP_SETPCAP)."""
    try:
        with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as handle:
            last = int(handle.read())
    except (OSError, ValueError):
        last = 63
    for cap in range(last + 1):
        if _lib().prctl(PR_CAPBSET_READ, ctypes.c_ulong(cap), 0, 0, 0) == 1 and _lib().prctl(
            PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0
        ):
            raise _os_error(ctypes.get_errno(), f"dropping capability {cap} from the bounding set")


def drop_privileges(user: Sequence[int] | None) -> None:
    """Give up root's powers for good, as `setpriv` would before an exec; raises on failure.

    The bounding set goes first, while CAP_SETPCAP is still held; then the
    switch to `user` (uid, gid; no supplementary groups), which clears the
    other sets itself, then whatever capabilities are left, then
    no_new_privs. A forked sandbox host calls it before it serves anything:
    after its namespaces are set up, or at once where there are none.
    """
    _drop_bounding_set()
    if user is not None:
        uid, gid = user
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if os.getresuid() != (uid, uid, uid) or os.getgroups() not in ([], [gid]):
            raise OSError(f"the switch to uid {uid} did not stick")
    _drop_capabilities()
    _no_new_privs()


def _drop_capabilities() -> None:
    """Empty every capability set, the bounding set included (needs CAP_SETPCAP: root).

    Root without capabilities cannot raise the hard rlimits the worker was
    given, renice to real-time, set the clock, reconfigure interfaces through
    a unix socket's ioctl, or make device nodes; uid 0 still owns root's files
    (Landlock decides those).
    """
    _drop_bounding_set()
    _lib().prctl(PR_CAP_AMBIENT, ctypes.c_ulong(PR_CAP_AMBIENT_CLEAR_ALL), 0, 0, 0)
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    if _lib().capset(ctypes.byref(header), ctypes.byref((_CapData * 2)())) != 0:
        raise _os_error(ctypes.get_errno(), "capset")
    left = {key: value for key, value in _capabilities().items() if value}
    if left:
        raise OSError(f"capabilities left: {left}")


def _landlock(abi: int, rules: list[tuple[str, int]], *, fs: bool, net: bool, scoped: bool) -> None:
    """Build the ruleset and restrict this thread (and its future children) to it.

    `fs`, `net`, `scoped`: which kinds of access the ruleset handles; what it
    does not handle stays allowed (and `rules` are ignored without `fs`).
    """
    handled_fs = _fs_rights(abi) if fs else 0
    rules = rules if fs else []
    attr = _RulesetAttr(handled_fs, 0, 0)
    size = 8
    if net and abi >= 4:
        attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP  # no rule: no TCP at all
        size = 16
    if scoped and abi >= 6:
        attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
        size = 24
    ruleset = _syscall(_NR_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), size, 0)
    if ruleset < 0:
        raise _os_error(-ruleset, "landlock_create_ruleset")
    try:
        for path, access in rules:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC | os.O_NOFOLLOW)
            try:
                if not os.path.isdir(path):
                    access &= _FILE_RIGHTS
                if not access & handled_fs:
                    continue
                rule = _PathBeneathAttr(access & handled_fs, fd)
                rc = _syscall(_NR_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH,
                              ctypes.byref(rule), 0)  # fmt: skip
                if rc < 0:
                    raise _os_error(-rc, f"landlock_add_rule {path}")
            finally:
                os.close(fd)
        rc = _syscall(_NR_LANDLOCK_RESTRICT_SELF, ruleset, 0)
        if rc < 0:
            raise _os_error(-rc, "landlock_restrict_self")
    finally:
        os.close(ruleset)


def _seccomp(arch: str) -> None:
    program = seccomp_program(arch)
    filters = (_SockFilter * len(program))(*(_SockFilter(*ins) for ins in program))
    fprog = _SockFprog(len(program), filters)
    rc = _syscall(_NR_SECCOMP[arch], SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
                  ctypes.byref(fprog))  # fmt: skip
    if rc == -errno.ENOSYS:  # before Linux 3.17: this thread only
        if _lib().prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER), ctypes.byref(fprog),
                       ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:  # fmt: skip
            raise _os_error(ctypes.get_errno(), "PR_SET_SECCOMP")
    elif rc != 0:
        raise OSError(f"seccomp filter not installed (returned {rc})")


# ---------------------------------------------------------------- verifying


def _refused(path: str, flags: int) -> bool:
    """Whether opening `path` with `flags` fails for a reason other than absence."""
    try:
        fd = os.open(path, flags | os.O_CLOEXEC)
    except FileNotFoundError:
        return True  # masked to nothing, or gone: nothing to read either way
    except OSError as exc:
        return exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
    os.close(fd)
    return False


def _check_covered(rules: list[tuple[str, int]], needed: Sequence[str]) -> None:
    """Raise if a path the host needs lies outside every rule (inside a secret, say)."""
    for path in needed:
        target = os.path.realpath(path)
        if not any(_within(target, allowed) for allowed, _ in rules):
            raise OSError(f"the allowlist would not cover {path}: Landlock not applied")


def _check_landlock_fs(*, repo: str, scratch: str, secrets: Sequence[str]) -> None:
    """Raise unless the allowlist holds: repository and secrets closed, scratch open."""
    directory = os.O_RDONLY | os.O_DIRECTORY
    try:
        fd = os.open(repo, directory | os.O_CLOEXEC)
    except PermissionError:
        pass
    else:
        os.close(fd)
        raise OSError(f"the repository root {repo} is still readable")
    for secret in secrets:
        flags = directory if os.path.isdir(secret) else os.O_RDONLY
        if not _refused(secret, flags):
            raise OSError(f"secret {secret} is still readable")
    init = os.path.join(repo, "grader", "__init__.py")
    if os.path.exists(init) and not _refused(init, os.O_WRONLY):
        raise OSError(f"{init} is still writable")
    probe = os.path.join(scratch, f".confine-{os.getpid()}")
    with open(probe, "w", encoding="ascii") as handle:
        handle.write("ok")
    os.unlink(probe)


def _check_landlock_net() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(("127.0.0.1", 9))
        except PermissionError:
            return
        except OSError as exc:
            raise OSError(f"TCP connect was not refused by Landlock ({exc})") from None
        raise OSError("TCP connect to 127.0.0.1:9 succeeded")


def _can_signal(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _check_landlock_scoped(parent: int) -> None:
    """Raise unless `parent`, signalable before Landlock, no longer is."""
    if parent <= 1:  # PID 1 of a namespace: nobody outside to protect, or to test with
        raise OSError("no outside process this one could signal, to check the scoping with")
    if _can_signal(parent):
        raise OSError("a signal still reaches the parent process")


def _check_seccomp_net() -> None:
    for family in (socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK, socket.AF_PACKET):
        try:
            socket.socket(family, socket.SOCK_DGRAM).close()
        except PermissionError:
            continue
        except OSError as exc:
            raise OSError(f"socket family {family!r}: {exc}, not EPERM") from None
        raise OSError(f"socket family {family!r} is still allowed")
    socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()  # must still work


def _check_seccomp_syscalls(arch: str) -> None:
    numbers = denied_syscalls(arch)
    # unshare(0) is a no-op that succeeds; ptrace(PEEKDATA, self) is ESRCH and
    # io_uring_setup(0, NULL) is EINVAL or EFAULT, when nothing filters them.
    for name, args in (("unshare", (0,)), ("ptrace", (2, os.getpid(), 0, 0)),
                       ("io_uring_setup", (0, 0))):  # fmt: skip
        rc = _syscall(numbers[name], *args)
        if rc != -errno.EPERM:
            raise OSError(f"{name} returned {rc}, not -EPERM")


def confine(
    *,
    repo: str,
    inbox: str,
    scratch: str,
    secrets: Iterable[str],
    attempt: Iterable[str] = LAYERS,
) -> Confinement:
    """Apply the layers named in `attempt` to this process; never raises.

    Order matters: no_new_privs first (Landlock and seccomp need it without
    CAP_SYS_ADMIN), Landlock next (its TCP check needs an AF_INET socket,
    which seccomp then forbids), then seccomp (one filter serves both of its
    layers), capabilities last. A layer that fails is left out of `layers`
    with the reason in `problems`: the caller reports a lower level rather
    than stopping, and a required level then refuses. An empty `attempt`
    applies nothing (a machine where the launcher found none of it).
    """
    started = time.monotonic()
    want = set(attempt)
    secrets = [str(s) for s in secrets]
    done = Confinement()
    if not want:
        return done

    def step(names: Sequence[str], action: Callable[..., object], *args: object) -> bool:
        try:
            action(*args)
        except Exception as exc:  # a layer that fails is simply not claimed
            done.problems.append(f"{'/'.join(names)}: {exc}")
            return False
        return True

    if not sys.platform.startswith("linux"):
        done.problems.append("not Linux: nothing to apply")
        return done
    if not step(["no-new-privs"], _no_new_privs):
        done.seconds = time.monotonic() - started
        return done  # without it, neither Landlock nor seccomp can be applied unprivileged
    done.layers.append("no-new-privs")

    abi = landlock_abi()
    landlock = [n for n in ("landlock-fs", "landlock-net", "landlock-scoped") if n in want]
    parent = os.getppid()
    if not _can_signal(parent):  # another uid: a refusal afterwards would prove nothing
        parent = 0
    if landlock and abi >= 1:

        def restrict() -> None:
            fs = "landlock-fs" in want
            rules = (
                landlock_rules(repo=repo, inbox=inbox, scratch=scratch, secrets=secrets)
                if fs
                else []
            )
            if fs:  # irrevocable: never lock the host out of what it needs to serve
                _check_covered(rules, [scratch, inbox, sys.prefix, os.path.dirname(__file__)])
            _landlock(abi, rules, fs=fs, net="landlock-net" in want,
                      scoped="landlock-scoped" in want)  # fmt: skip

        if step(landlock, restrict):
            if "landlock-fs" in want and step(["landlock-fs"], lambda: _check_landlock_fs(
                    repo=repo, scratch=scratch, secrets=secrets)):  # fmt: skip
                done.layers.append("landlock-fs")
            if "landlock-net" in want and abi >= 4 and step(["landlock-net"], _check_landlock_net):
                done.layers.append("landlock-net")
            if ("landlock-scoped" in want and abi >= 6
                    and step(["landlock-scoped"], _check_landlock_scoped, parent)):  # fmt: skip
                done.layers.append("landlock-scoped")
    elif landlock:
        done.problems.append("landlock: not supported by this kernel")

    arch = _arch()
    seccomp = [n for n in ("seccomp-net", "seccomp-syscalls") if n in want]
    if seccomp and arch is not None:
        if step(seccomp, _seccomp, arch):
            if "seccomp-net" in want and step(["seccomp-net"], _check_seccomp_net):
                done.layers.append("seccomp-net")
            if "seccomp-syscalls" in want and step(["seccomp-syscalls"],
                                                   _check_seccomp_syscalls, arch):  # fmt: skip
                done.layers.append("seccomp-syscalls")
    elif seccomp:
        done.problems.append(f"seccomp: no filter for {platform.machine()}")

    if "no-caps" in want and step(["no-caps"], _drop_capabilities):  # last: nothing above needs it
        done.layers.append("no-caps")
    done.seconds = time.monotonic() - started
    return done
