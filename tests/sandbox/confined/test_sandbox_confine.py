"""The host's own confinement (`confine.py`): what a worker can no longer do without namespaces.

One host without namespaces serves the whole module, as on Gradescope or a
laptop without sudo. Each attack is student code run in a real worker: a
function tries it and returns what happened (`["ok", value]` or the error's
name and errno), and the test asserts the refusal. Without the layers, the
same worker runs as the judge's user (root here) and every attack succeeds.

The pure parts (the BPF program, the Landlock allowlist, the L2 rule) are
tested directly: the program by running it through a small classic-BPF
interpreter.
"""

from __future__ import annotations

import ctypes
import os
import platform
import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.grading import grade_path
from grader.sandbox import levels
from grader.sandbox.confined import confine
from grader.sandbox.trusted import launcher
from grader.sandbox.trusted.client import ExerciseHandle, Limits, SandboxHost

REPO = Path(__file__).resolve().parents[3]
LIMITS = Limits(import_timeout=5.0, call_timeout=5.0, output_bytes=4096, restarts=1)
AVAILABLE = set(confine.available())
ARCH = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(), platform.machine())

pytestmark = pytest.mark.skipif(
    not {"landlock-fs", "seccomp-net", "seccomp-syscalls"} <= AVAILABLE,
    reason=f"needs Landlock and seccomp on x86_64/aarch64 (this machine: {sorted(AVAILABLE)})",
)

ATTACKS = """
import ctypes
import os
import socket
import stat

import torch

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _outcome(action):
    try:
        value = action()
    except OSError as exc:
        return [type(exc).__name__, exc.errno]
    return ["ok", value]


def read_file(path):
    def run():
        with open(path, "rb") as handle:
            return len(handle.read())
    return _outcome(run)


def list_dir(path):
    return _outcome(lambda: len(os.listdir(path)))


def open_for_writing(path):
    # Opens, never writes: if the layer ever breaks, the test fails and no file is harmed.
    def run():
        if os.path.exists(path):
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
        else:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            os.unlink(path)
        return True
    return _outcome(run)


def write_file(path, text):
    def run():
        with open(path, "w") as handle:
            return handle.write(text)
    return _outcome(run)


def open_socket(family, kind):
    def run():
        socket.socket(family, kind).close()
        return True
    return _outcome(run)


def tcp_connect(port):
    def run():
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    return _outcome(run)


def make_block_device():
    # root could read the raw disk through it, past every path rule
    return _outcome(lambda: os.mknod("disk", stat.S_IFBLK | 0o600, os.makedev(8, 0)) or True)


def signal(pid):
    return _outcome(lambda: os.kill(pid, 0) or True)


def raise_memory_limit():
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (hard, resource.RLIM_INFINITY))
    except (ValueError, OSError) as exc:
        return [type(exc).__name__, str(exc)]
    return ["ok", resource.getrlimit(resource.RLIMIT_AS)[1]]


def raw_syscall(number, *args):
    ctypes.set_errno(0)
    rc = _libc.syscall(ctypes.c_long(number), *[ctypes.c_long(a) for a in args])
    return [rc, ctypes.get_errno()]


def ptrace_host():
    host = os.getppid()
    rc = _libc.ptrace(ctypes.c_long(16), ctypes.c_long(host), None, None)  # PTRACE_ATTACH
    err = ctypes.get_errno()
    if rc == 0:  # the layer is broken: release the host before saying so
        try:
            os.waitpid(host, 0x40000000)  # __WALL
        finally:
            _libc.ptrace(ctypes.c_long(17), ctypes.c_long(host), None, None)  # PTRACE_DETACH
        return ["ok", 0]
    return ["error", err]


def public_door():
    import grader.student  # what `from grader import check` in a notebook needs

    return grader.student.LABEL.startswith("Public checks")


def own_source():
    with open(__file__, encoding="utf-8") as handle:
        return "def own_source" in handle.read()


def gradient():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x ** 2).sum().backward()
    return x.grad


def loader_with_workers():
    from torch.utils.data import DataLoader, TensorDataset

    data = TensorDataset(torch.arange(8.0).reshape(8, 1))
    return sum(float(batch[0].sum()) for batch in DataLoader(data, batch_size=2, num_workers=2))
"""

DENIED = ["PermissionError", 13]  # EACCES: Landlock
SECCOMP = ["PermissionError", 1]  # EPERM: seccomp


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reports")
    (folder / "report.json").write_text('{"score": 10}')
    return folder


@pytest.fixture(scope="module")
def host(reports: Path) -> Iterator[SandboxHost]:
    # require="L2": without namespaces, these layers alone must reach it, or the host refuses
    with SandboxHost(LIMITS, namespaces=False, secrets=(reports,), require="L2") as started:
        yield started


@pytest.fixture(scope="module")
def ex(host: SandboxHost) -> Iterator[ExerciseHandle]:
    with host.submission({"ex01_attacks": ATTACKS}) as student:
        yield student.exercise("ex01_attacks")


# ------------------------------------------------------------------ level


def test_layers_are_reported_and_reach_l2_without_namespaces(host: SandboxHost) -> None:
    layers = set(host.isolation.layers)
    assert layers >= AVAILABLE, f"available but not applied: {AVAILABLE - layers}"
    assert not layers & {"netns", "pidns", "mountns", "secrets-masked", "ro-root"}
    assert host.isolation.level == "L2"


def test_correct_solutions_score_full_marks_at_l2(host: SandboxHost) -> None:
    # autograd (ex04), pandas and a DataLoader (ex06), sklearn's scaler and training (ex07)
    exercises = ["ex04_backward_pass", "ex06_data", "ex07_training"]
    result = grade_path(REPO / "solutions", host, name="solutions", exercises=exercises)
    assert {c.exercise for c in result.checks} == set(exercises)
    failed = [f"{c.id}: {c.status} {c.message}" for c in result.checks if c.points != c.max_points]
    assert not failed
    assert result.score == result.max_score > 0
    assert result.isolation.level == "L2"


# ------------------------------------------------------------------ files


def test_secrets_and_the_repository_are_unreadable(ex: ExerciseHandle, reports: Path) -> None:
    for secret in (
        REPO / "solutions" / "ex01_multiclass.py",
        REPO / "checks" / "check_ex01_multiclass.py",
        REPO / "grader" / "judge.py",
        Path(__file__),
        reports / "report.json",
    ):
        assert ex.call("read_file", str(secret)) == DENIED, secret
    for folder in (REPO, REPO / "grader", REPO / "solutions", reports):
        assert ex.call("list_dir", str(folder)) == DENIED, folder


def test_grader_files_are_unwritable(ex: ExerciseHandle) -> None:
    init = REPO / "grader" / "__init__.py"
    before = init.read_bytes()
    worker = REPO / "grader" / "sandbox" / "confined" / "worker.py"
    for target in (REPO / "grader" / "pwned.py", init, worker):
        assert ex.call("open_for_writing", str(target)) == DENIED, target
    assert init.read_bytes() == before
    assert not (REPO / "grader" / "pwned.py").exists()
    assert ex.call("make_block_device") == DENIED


def test_own_module_scratch_and_torch_still_work(ex: ExerciseHandle) -> None:
    assert ex.call("own_source") is True
    assert ex.call("public_door") is True
    assert ex.call("write_file", "notes.txt", "kept") == ["ok", 4]  # the worker's scratch
    assert ex.call("read_file", "notes.txt") == ["ok", 4]
    assert ex.call("gradient").tolist() == [2.0, 4.0, 6.0]
    assert ex.call("loader_with_workers", timeout=20) == 28.0  # /dev/shm, AF_UNIX, fork
    assert ex.call("read_file", str(REPO / "grader" / "sandbox" / "wire" / "codec.py"))[0] == "ok"


def test_other_submissions_cannot_be_listed(ex: ExerciseHandle, host: SandboxHost) -> None:
    assert ex.call("list_dir", str(host.inbox)) == DENIED


# ------------------------------------------------------------------ network


def test_no_internet_sockets(ex: ExerciseHandle) -> None:
    for family, kind in (
        (socket.AF_INET, socket.SOCK_STREAM),
        (socket.AF_INET, socket.SOCK_DGRAM),
        (socket.AF_INET6, socket.SOCK_STREAM),
        (socket.AF_NETLINK, socket.SOCK_RAW),
        (socket.AF_PACKET, socket.SOCK_RAW),
    ):
        assert ex.call("open_socket", int(family), int(kind)) == SECCOMP, (family, kind)
    assert ex.call("open_socket", int(socket.AF_UNIX), int(socket.SOCK_STREAM)) == ["ok", True]


def test_a_loopback_port_the_judge_opened_is_unreachable(ex: ExerciseHandle) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.setblocking(False)
        assert ex.call("tcp_connect", server.getsockname()[1]) == SECCOMP
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody knocked


# ------------------------------------------------------------------ processes


def test_the_host_cannot_be_traced(ex: ExerciseHandle, host: SandboxHost) -> None:
    assert ex.call("ptrace_host") == ["error", 1]  # EPERM, not attached
    assert ex.call("gradient").tolist() == [2.0, 4.0, 6.0]  # and the host still serves
    assert host.restarts == 0


def test_the_judge_is_out_of_reach(ex: ExerciseHandle) -> None:
    judge = os.getpid()  # the host's parent: this test process, same uid, dumpable
    for name in ("environ", "maps", "mem"):  # CI tokens, an instructor's keys, expected values
        assert ex.call("read_file", f"/proc/{judge}/{name}")[0] == "PermissionError", name
    assert ex.call("read_file", f"/proc/{judge}/cwd/README.md") == DENIED
    if "landlock-scoped" in AVAILABLE:
        assert ex.call("signal", judge) == ["PermissionError", 1]


def test_root_cannot_lift_its_limits(ex: ExerciseHandle, host: SandboxHost) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root could raise a hard limit")
    assert "no-caps" in host.isolation.layers
    assert ex.call("raise_memory_limit")[0] == "ValueError"  # not permitted


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("unshare", (0x10000000,)),  # CLONE_NEWUSER
        ("mount", (0, 0, 0, 0, 0)),
        ("bpf", (5, 0, 0)),  # BPF_PROG_LOAD
        ("keyctl", (0, -3, 0)),  # KEYCTL_GET_KEYRING_ID, session keyring
        ("perf_event_open", (0, 0, -1, -1, 0)),
        ("process_vm_readv", (1, 0, 0, 0, 0, 0)),
        ("io_uring_setup", (1, 0)),
        ("inotify_add_watch", (-1, 0, 1)),
        ("pidfd_getfd", (-1, 0, 0)),
    ],
)
def test_dangerous_syscalls_fail_with_eperm(ex: ExerciseHandle, name: str, args: tuple) -> None:
    number = confine.denied_syscalls(ARCH)[name]
    assert ex.call("raw_syscall", number, *args) == [-1, 1]


# ------------------------------------------------------------------ the L2 rule


L1 = ["subprocess", "rlimits", "codec"]


@pytest.mark.parametrize(
    ("extra", "level"),
    [
        (["seccomp-net", "landlock-fs"], "L2"),
        (["landlock-net", "landlock-fs"], "L2"),
        (["netns", "secrets-masked", "ro-root", "no-caps"], "L2"),
        (["netns", "landlock-fs"], "L2"),
        (["seccomp-net", "secrets-masked", "uid-switch"], "L2"),
        (["landlock-fs"], "L1"),  # network open
        (["seccomp-net", "landlock-net"], "L1"),  # files open
        (["seccomp-net", "secrets-masked"], "L1"),  # grader files writable
        (["seccomp-net", "landlock-fs", "pidns"], "L3"),
    ],
)
def test_the_l2_rule(extra: list[str], level: str) -> None:
    assert levels.level_of([*L1, *extra]) == level


def test_missing_layers_are_named_with_their_alternatives() -> None:
    missing = levels.missing_for("L2", [*L1, "seccomp-net"])
    assert not any("no network" in item for item in missing)
    assert any("secrets-masked, landlock-fs, or uid-switch" in item for item in missing)


# ------------------------------------------------------------------ the BPF program

LD_W_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06


def run_bpf(program: list[confine.Instruction], nr: int, arch: int, args: tuple = ()) -> int:
    """Run a classic-BPF seccomp program on one `struct seccomp_data` (little-endian)."""
    words = {0: nr & 0xFFFFFFFF, 4: arch}
    for i, value in enumerate((*args, 0, 0, 0, 0, 0, 0)[:6]):
        value &= (1 << 64) - 1
        words[16 + 8 * i] = value & 0xFFFFFFFF
        words[20 + 8 * i] = value >> 32
    acc, pc = 0, 0
    for _ in range(len(program)):  # forward jumps only: each instruction at most once
        code, jt, jf, k = program[pc]
        if code == LD_W_ABS:
            acc, pc = words[k], pc + 1
        elif code in (JEQ, JGE, JSET):
            taken = {JEQ: acc == k, JGE: acc >= k, JSET: bool(acc & k)}[code]
            pc += 1 + (jt if taken else jf)
        elif code == RET:
            return k
        else:
            raise AssertionError(f"unexpected BPF opcode {code:#x}")
    raise AssertionError("the program ran off its end")


ALLOW, EPERM, ENOSYS = confine.SECCOMP_RET_ALLOW, confine.RET_EPERM, confine.RET_ENOSYS
X86 = confine.AUDIT_ARCH["x86_64"]


@pytest.mark.parametrize(
    ("nr", "args", "expected"),
    [
        (0, (), ALLOW),  # read
        (257, (), ALLOW),  # openat
        (59, (), ALLOW),  # execve
        (53, (2, 1), ALLOW),  # socketpair
        (41, (1, 1), ALLOW),  # socket(AF_UNIX)
        (41, (2, 1), EPERM),  # socket(AF_INET)
        (41, (10, 2), EPERM),  # socket(AF_INET6, SOCK_DGRAM)
        (41, (17, 3), EPERM),  # socket(AF_PACKET)
        (41, (2 | 1 << 32, 1), EPERM),  # high bits do not hide AF_INET
        (56, (17,), ALLOW),  # clone(SIGCHLD): fork
        (56, (0x3D0F00,), ALLOW),  # clone for a thread
        (56, (0x10000000 | 17,), EPERM),  # clone(CLONE_NEWUSER)
        (56, (0x40000000 | 17,), EPERM),  # clone(CLONE_NEWNET)
        (435, (), ENOSYS),  # clone3: glibc falls back to clone
        (101, (), EPERM),  # ptrace
        (165, (), EPERM),  # mount
        (432, (), EPERM),  # fsmount
        (0x40000000 + 41, (1,), EPERM),  # an x32 socket()
    ],
)
def test_x86_64_filter_decisions(nr: int, args: tuple, expected: int) -> None:
    assert run_bpf(confine.seccomp_program("x86_64"), nr, X86, args) == expected


def test_every_denied_call_is_refused_on_both_architectures() -> None:
    for arch in ("x86_64", "aarch64"):
        program = confine.seccomp_program(arch)
        audit = confine.AUDIT_ARCH[arch]
        for name, nr in confine.denied_syscalls(arch).items():
            assert run_bpf(program, nr, audit) == EPERM, (arch, name)
        for other in confine.AUDIT_ARCH.values():
            if other != audit:  # the other table's numbers mean other calls: refuse all
                assert run_bpf(program, 0, other) == EPERM
        assert run_bpf(program, 0x40000003, 0x40000003) == EPERM  # i386 int 0x80
    aarch64 = confine.seccomp_program("aarch64")
    arm = confine.AUDIT_ARCH["aarch64"]
    assert run_bpf(aarch64, 198, arm, (2, 1)) == EPERM  # socket(AF_INET)
    assert run_bpf(aarch64, 198, arm, (1, 1)) == ALLOW
    assert run_bpf(aarch64, 63, arm) == ALLOW  # read
    assert run_bpf(aarch64, 220, arm, (0x20000 | 17,)) == EPERM  # clone(CLONE_NEWNS)
    with pytest.raises(ValueError, match="no seccomp filter"):
        confine.seccomp_program("riscv64")


HEADERS = {
    "x86_64": Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"),
    "aarch64": Path("/usr/include/asm-generic/unistd.h"),
}


@pytest.mark.parametrize("arch", sorted(HEADERS))
def test_syscall_numbers_match_the_kernel_headers(arch: str) -> None:
    header = HEADERS[arch]
    if not header.exists():
        pytest.skip(f"{header} not installed")
    text = header.read_text()
    for name, nr in confine.denied_syscalls(arch).items():
        found = re.search(rf"#define __NR(?:3264)?_{name}\s+(\d+)", text)
        assert found and int(found.group(1)) == nr, (arch, name)


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_syscall_numbers_and_arch_tokens_match_libseccomp(arch: str) -> None:
    """The system's libseccomp (libseccomp2: apt itself needs it on Debian and Ubuntu)
    speaks for each architecture: every number the hand-written filter uses, the
    calls it dispatches on and seccomp(2) itself, and the audit token it checks."""
    lib = ctypes.CDLL("libseccomp.so.2")
    lib.seccomp_arch_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_arch_resolve_name.restype = ctypes.c_uint32
    lib.seccomp_syscall_resolve_name_arch.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
    token = lib.seccomp_arch_resolve_name(arch.encode())
    assert token == confine.AUDIT_ARCH[arch]
    column = ("x86_64", "aarch64").index(arch)
    table = {**confine._DENIED, **confine._SPECIAL}
    numbers = {name: pair[column] for name, pair in table.items()}
    numbers["seccomp"] = confine._NR_SECCOMP[arch]
    for name, nr in numbers.items():
        theirs = lib.seccomp_syscall_resolve_name_arch(token, name.encode())
        if nr is None:  # not a call on this architecture: libseccomp has no number either
            assert theirs < 0, (arch, name, theirs)
        else:
            assert theirs == nr, (arch, name, nr, theirs)


# ------------------------------------------------------------------ the allowlist


def test_allowlist_closes_the_repository_and_hides_secrets(tmp_path: Path) -> None:
    top = tmp_path / "top"
    repo = top / "course"
    secret = repo / "solutions"
    (repo / "grader" / "sandbox").mkdir(parents=True)
    secret.mkdir()
    (repo / ".venv").mkdir()
    (top / "other").mkdir()
    (top / "link").symlink_to(secret)  # a symlink must not smuggle the secret in
    scratch, inbox = tmp_path / "scratch", tmp_path / "inbox"
    scratch.mkdir()
    inbox.mkdir()
    rules = dict(
        confine.landlock_rules(repo=str(repo), inbox=str(inbox), scratch=str(scratch),
                               secrets=[str(secret)], extra=[str(top), str(repo / ".venv")])
    )  # fmt: skip
    assert str(top) not in rules and str(repo) not in rules  # ancestors are expanded
    assert not any(p == str(secret) or p.startswith(f"{secret}/") for p in rules)
    assert rules[str(top / "other")] == confine.EXEC_READ
    assert rules[str(repo / ".venv")] == confine.EXEC_READ
    assert rules[str(scratch)] == confine.SCRATCH
    assert rules[str(inbox)] == confine.FS_READ_FILE
    sandbox = str(Path(confine.__file__).parent.parent)  # grader/sandbox, whole
    assert rules[sandbox] == confine.READ
    assert not any(
        access & (confine.FS_MAKE_BLOCK | confine.FS_MAKE_CHAR) for access in rules.values()
    )


def test_an_installed_grader_hides_only_its_secrets(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    (site / "grader" / "checks").mkdir(parents=True)
    (site / "torch").mkdir()
    rules = dict(
        confine.landlock_rules(repo=str(site), inbox=str(tmp_path), scratch=str(tmp_path),
                               secrets=[str(site / "grader" / "checks")], extra=[str(site)])
    )  # fmt: skip
    assert str(site / "torch") in rules  # the libraries stay importable
    assert not any(p.startswith(str(site / "grader" / "checks")) for p in rules)


def test_a_host_that_would_lock_itself_out_is_not_confined(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.raises(OSError, match="would not cover"):
        confine._check_covered([("/usr", confine.EXEC_READ)], [str(scratch)])


def test_the_real_allowlist_keeps_the_repository_closed() -> None:
    rules = dict(
        confine.landlock_rules(repo=str(REPO), inbox="/nonexistent", scratch="/nonexistent",
                               secrets=[str(p) for p in launcher.default_secrets(REPO)])
    )  # fmt: skip
    assert str(REPO) not in rules and str(REPO / "grader") not in rules
    for path, access in rules.items():
        if path.startswith(f"{REPO}/"):
            public = {f"{REPO}/grader/{name}" for name in confine._PUBLIC_GRADER}
            inside = (f"{REPO}/grader/sandbox", os.path.realpath(sys.prefix))
            assert path in public or path.startswith(inside), path
        assert not access & confine.FS_WRITE_FILE or path.startswith(("/dev/", "/nonexistent")), (
            path
        )


def test_a_kernel_without_a_layer_says_why_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(confine, "landlock_abi", lambda: 3)
    monkeypatch.setattr(confine, "_arch", lambda: None)
    why = confine.unavailable()
    assert set(why) == {"landlock-net", "landlock-scoped", "seccomp-net", "seccomp-syscalls"}
    assert why["landlock-net"].startswith("this kernel's Landlock ABI is 3, the layer needs 4")
    assert why["landlock-scoped"].startswith("this kernel's Landlock ABI is 3, the layer needs 6")
    assert why["seccomp-net"] == f"no filter for {platform.machine()}"
    monkeypatch.setattr(confine, "landlock_abi", lambda: 0)
    assert confine.unavailable()["landlock-fs"].startswith("this kernel has no Landlock")
