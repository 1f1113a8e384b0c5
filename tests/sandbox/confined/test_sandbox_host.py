"""The real sandbox: one host for this module, hostile student code, small limits.

On a machine where namespaces work (root plus unshare) the host runs at L3 and
every layer below is exercised; elsewhere the layer-specific tests skip with
the reason.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from grader.sandbox import levels
from grader.sandbox.confined import confine
from grader.sandbox.trusted import launcher
from grader.sandbox.trusted.client import Limits, SandboxHost, SubmissionSandbox
from grader.sandbox.trusted.errors import (
    CallTimeout,
    FunctionNotFound,
    ImportFailed,
    IsolationError,
    SandboxError,
    StudentRaised,
    ValueRejected,
    WorkerCrashed,
    WorkerUnstable,
)

HOSTILE = (Path(__file__).parents[1] / "files" / "hostile.py").read_text()
REPO = Path(__file__).resolve().parents[3]
LIMITS = Limits(
    import_timeout=2.0, cell_timeout=0.5, call_timeout=1.0, output_bytes=4096, restarts=2,
    processes=64,
)
NAMESPACES = launcher.machine().namespaces
needs_ns = pytest.mark.skipif(
    not NAMESPACES, reason="needs root and working unshare (network, PID, mount namespaces)"
)

# Each observation asks anew (another seed): the sandbox answers a request it
# was already asked with the first reply (grader/sandbox/trusted/replies.py).
ANEW = itertools.count(1)


@pytest.fixture(scope="module")
def host() -> Iterator[SandboxHost]:
    with SandboxHost(LIMITS) as started:
        yield started


@pytest.fixture
def student(host: SandboxHost) -> Iterator[SubmissionSandbox]:
    with host.submission({"ex01_hostile": HOSTILE}) as sandbox:
        yield sandbox


@pytest.fixture
def ex(student: SubmissionSandbox):
    return student.exercise("ex01_hostile")


# ------------------------------------------------------------------ level


def test_level_and_layers_are_recorded(host: SandboxHost) -> None:
    layers = set(host.isolation.layers)
    assert {"subprocess", "rlimits", "codec", "setsid", "python-isolated"} <= layers
    assert host.isolation.level == levels.level_of(layers)
    if NAMESPACES:
        assert host.isolation.level == "L3"
        assert {"netns", "pidns", "mountns", "ro-root", "secrets-masked", "no-caps",
                "no-new-privs", "non-dumpable", "env-allowlist"} <= layers  # fmt: skip
        confined = set(confine.available()) - {"landlock-scoped"}  # no outsider to check at PID 1
        assert confined <= layers  # confine.py applies on this path too: defence in depth
    assert host.startup_seconds < 30


def test_require_unreachable_level_refuses_before_starting() -> None:
    with pytest.raises(IsolationError, match=r"L3 is required .*missing: .*pidns"):
        SandboxHost(LIMITS, require="L3", namespaces=False)
    with pytest.raises(ValueError, match="unknown isolation level"):
        SandboxHost(LIMITS, require="L9", namespaces=False)


# ------------------------------------------------------------------ calls


def test_correct_call_and_fast_second_call(ex) -> None:
    out = ex.call("add", torch.ones(2), torch.ones(2))
    assert type(out) is torch.Tensor and out.tolist() == [2.0, 2.0]
    started = time.monotonic()
    assert ex.call("add", 1, y=2) == 3
    assert time.monotonic() - started < 0.5
    assert ex.output().startswith("imported hostile")


def test_student_exception_names_type_file_and_line(ex) -> None:
    with pytest.raises(StudentRaised) as info:
        ex.call("divide", 1, 0)
    fault = info.value
    assert fault.status == "error" and fault.exc_type == "ZeroDivisionError"
    assert fault.location and fault.location.startswith("ex01_hostile.py, line ")
    assert fault.message == f"ZeroDivisionError: division by zero ({fault.location})"


def test_exception_with_raising_str_still_reported(ex) -> None:
    with pytest.raises(StudentRaised, match=r"^NastyError: <the exception's message could not"):
        ex.call("bad_str")


def test_huge_ansi_message_is_truncated_and_escaped(ex) -> None:
    with pytest.raises(StudentRaised) as info:
        ex.call("loud")
    message = info.value.message
    assert "\x1b" not in message and "\\x1b[31m" in message
    assert len(message) < 3000 and "more characters cut" in message


@pytest.mark.parametrize(
    ("function", "expected"),
    [("keyboard", "KeyboardInterrupt: stop"), ("system_exit", "SystemExit: 0"),
     ("custom_base", "Custom: odd")],
)  # fmt: skip
def test_base_exceptions_fail_the_call_not_the_worker(ex, function: str, expected: str) -> None:
    pid = ex.call("whoami", seed=next(ANEW))
    with pytest.raises(StudentRaised, match=f"^{expected}"):
        ex.call(function)
    assert ex.call("whoami", seed=next(ANEW)) == pid


@pytest.mark.parametrize(
    ("function", "args", "expected"),
    [
        ("write_big", (LIMITS.file_bytes + 1,), "File too large"),
        ("open_many", (LIMITS.open_files + 1,), "Too many open files"),
    ],
)
def test_resource_limits_fail_the_call(ex, function: str, args: tuple, expected: str) -> None:
    with pytest.raises(StudentRaised, match=expected):
        ex.call(function, *args)
    assert ex.call("add", 1, 1) == 2


def test_input_cannot_block(ex) -> None:
    assert ex.call("ask") == ""  # the worker's input() answers "" (and stdin is /dev/null)


def test_missing_and_non_callable_names(ex) -> None:
    with pytest.raises(FunctionNotFound, match=r"^function `nope` not found in ex01_hostile\.py$"):
        ex.call("nope")
    with pytest.raises(FunctionNotFound, match="is not a function"):
        ex.call("NOT_A_FUNCTION")


def test_returned_values_are_refused_or_rebuilt_plain(ex) -> None:
    with pytest.raises(
        ValueRejected, match=r"^unsupported return type `unsupported.<locals>.Sneaky`"
    ):
        ex.call("unsupported")
    out = ex.call("liar")
    assert type(out) is torch.Tensor and not torch.equal(out, torch.ones(3))
    assert ex.call("mutate_after_return").tolist() == [0.0, 0.0, 0.0]


def test_torch_globals_do_not_leak_between_calls(ex) -> None:
    assert ex.call("set_float64") == "torch.float64"
    after = ex.call("globals_now", seed=7)
    assert after["dtype"] == "torch.float32" and after["grad"] is True and after["threads"] == 1
    torch.manual_seed(7)
    assert torch.equal(after["rand"], torch.rand(2))
    assert torch.equal(ex.call("globals_now", seed=7)["rand"], after["rand"])


# ------------------------------------------------------------------ deaths and restarts


def test_infinite_loop_times_out_and_next_call_gets_a_fresh_worker(ex) -> None:
    pid = ex.call("whoami", seed=next(ANEW))
    started = time.monotonic()
    with pytest.raises(CallTimeout, match=r"^timed out after 1 s while running `spin`$") as info:
        ex.call("spin")
    assert info.value.status == "timeout"
    assert time.monotonic() - started < 3
    assert ex.call("whoami", seed=next(ANEW)) != pid
    with pytest.raises(CallTimeout, match=r"after 0\.3 s"):
        ex.call("sleep_forever", timeout=0.3)


def test_exit_zero_in_a_call_is_never_success(ex) -> None:
    with pytest.raises(WorkerCrashed, match=r"worker exited without returning \(exit code 0\)"):
        ex.call("exit_zero")
    assert ex.call("add", 2, 3) == 5


def test_segfault_is_reported_as_a_crash(ex) -> None:
    with pytest.raises(WorkerCrashed, match=r"worker crashed \(SIGSEGV\) while running `segfault`"):
        ex.call("segfault")


@pytest.mark.parametrize("function", ["memory_bomb", "torch_memory_bomb"])
def test_memory_bomb_is_memory_limit_exceeded(ex, function: str) -> None:
    with pytest.raises(WorkerCrashed, match=f"^memory limit exceeded while running `{function}`"):
        ex.call(function)
    assert ex.call("add", 1, 1) == 2


def test_restarts_are_bounded_then_worker_unstable(ex) -> None:
    for _ in range(LIMITS.restarts + 1):
        with pytest.raises(WorkerCrashed):
            ex.call("exit_zero")
    with pytest.raises(WorkerUnstable, match="restarted 2 times") as info:
        ex.call("add", 1, 1)
    assert info.value.status == "crashed"


def test_output_flood_is_capped(ex) -> None:
    assert ex.call("flood", 1000) == "done"  # 10 MB printed
    text = ex.output()
    assert len(text) < LIMITS.output_bytes + 100
    assert "more bytes of output dropped" in text


# ------------------------------------------------------------------ import failures


def test_import_failures_cost_only_their_exercise(host: SandboxHost) -> None:
    sources = {
        # the cell clock cannot interrupt it: only the judge's import deadline ends it
        "ex_loop": "import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n"
        "while True:\n    pass\n",
        "ex_demo": "while True:\n    pass\ndef f():\n    return 2\n",  # a cell cut short
        "ex_syntax": "def f(:\n    pass\n",
        "ex_exit": "import os\nos._exit(0)\n",
        "ex_sysexit": "raise SystemExit(0)\n",
        "ex_wandb": "import wandb\n",
        "ex_ok": "def f():\n    return 1\n",
    }
    with host.submission(sources, origins={"ex_syntax": "ex_syntax.ipynb"}) as student:
        started = time.monotonic()
        with pytest.raises(ImportFailed, match=r"^timed out after 2 s while importing") as info:
            student.exercise("ex_loop").call("f")
        assert info.value.kind == "timeout" and info.value.status == "timeout"
        assert time.monotonic() - started < 4
        with pytest.raises(ImportFailed) as again:  # the same failure, without retrying
            student.exercise("ex_loop").call("g")
        assert again.value is info.value

        with pytest.raises(ImportFailed, match=r"SyntaxError: .*\(ex_syntax\.ipynb, line 1\)") as s:
            student.exercise("ex_syntax").call("f")
        assert s.value.kind == "syntax" and s.value.status == "error"

        with pytest.raises(ImportFailed, match=r"exited during import \(exit code 0\)") as e:
            student.exercise("ex_exit").call("f")
        assert e.value.kind == "exited"
        with pytest.raises(ImportFailed, match=r"exited during import: SystemExit: 0"):
            student.exercise("ex_sysexit").call("f")
        assert student.exercise("ex_demo").call("f") == 2  # the endless unit costs only itself
        assert [u["kind"] for u in student.unit_failures("ex_demo")] == ["timeout"]
        with pytest.raises(FunctionNotFound):  # the failed import is noted; nothing else ran
            student.exercise("ex_wandb").call("f")
        (wandb,) = student.unit_failures("ex_wandb")
        assert wandb["exc_type"] == "ModuleNotFoundError" and "wandb" in wandb["text"]
        with pytest.raises(ImportFailed, match="not found in your submission") as m:
            student.exercise("ex_absent").call("f")
        assert m.value.kind == "missing"

        assert student.exercise("ex_ok").call("f") == 1
        assert student.source("ex_syntax").startswith("def f(:")


def test_arguments_the_codec_cannot_carry_are_a_grader_error(ex) -> None:
    with pytest.raises(SandboxError, match="unsupported argument type `object`"):
        ex.call("add", object(), 1)


def test_unknown_probe_is_a_grader_error(ex) -> None:
    with pytest.raises(SandboxError, match="refused the request"):
        ex.probe("no_such_probe")


def test_probe_runs_in_the_worker(ex) -> None:
    # The host loaded the active assignment's probe files before it confined itself.
    assert ex.probe("core_call", "add", [2, 3])["result"] == 5


# ------------------------------------------------------------------ isolation layers


@needs_ns
def test_secrets_are_absent(host: SandboxHost, ex) -> None:
    # Masked (the files are gone), and Landlock, where the kernel has it, refuses
    # even to list the masks.
    for secret in (__file__, REPO / "checks" / "check_ex01_multiclass.py"):
        with pytest.raises(StudentRaised, match="FileNotFoundError"):
            ex.call("read_path", str(secret))
    for folder in (REPO / "checks", REPO / "tests"):
        if "landlock-fs" not in host.isolation.layers:
            assert ex.call("list_path", str(folder)) == []
            continue
        with pytest.raises(StudentRaised, match="PermissionError"):
            ex.call("list_path", str(folder))
    assert ex.call("read_path", str(REPO / "grader" / "sandbox" / "confined" / "worker.py")) > 0
    with pytest.raises(StudentRaised, match="PermissionError"):  # other submissions' folders
        ex.call("list_path", "/tmp/.inbox")


@needs_ns
def test_grader_files_are_read_only(ex) -> None:
    with pytest.raises(StudentRaised, match="Read-only file system"):
        ex.call("write_path", str(REPO / "grader" / "pwned.py"))
    assert not (REPO / "grader" / "pwned.py").exists()
    assert ex.call("write_path", "scratch.txt") is True  # scratch is writable


@needs_ns
def test_no_network(ex) -> None:
    # seccomp refuses the socket before the empty network namespace is reached
    with pytest.raises(StudentRaised, match=r"Operation not permitted|Network is unreachable"):
        ex.call("connect")


@needs_ns
def test_setsid_grandchild_is_killed_when_the_submission_closes(host: SandboxHost) -> None:
    with host.submission({"ex01_hostile": HOSTILE}) as first:
        ex = first.exercise("ex01_hostile")
        daemon = ex.call("daemon")
        ex.stop()  # the worker's group is gone, the setsid grandchild is not
        assert first.exercise("ex01_hostile").call("alive", daemon) is True
    with host.submission({"ex01_hostile": HOSTILE}) as second:
        ex = second.exercise("ex01_hostile")
        assert ex.call("alive", daemon) is False
        assert ex.call("pids") == sorted({1, ex.call("whoami", seed=next(ANEW))})


@needs_ns
def test_worker_cannot_kill_the_host(host: SandboxHost, ex) -> None:
    import signal

    for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):
        assert ex.call("kill_parent", int(sig)) == 1  # PID 1 of the namespace ignores them
    assert ex.call("add", 1, 1) == 2
    assert host.restarts == 0


def test_fork_bomb_is_contained(host: SandboxHost, ex) -> None:
    if "cgroup-pids" not in host.isolation.layers:
        pytest.skip("no pids cgroup on this machine (needs root and a writable cgroup fs)")
    count, errno = ex.call("fork_bomb", timeout=10)
    assert count < LIMITS.processes and errno == 11  # EAGAIN
    ex.stop()
    assert ex.call("add", 1, 2) == 3  # the bomb's children went with its group
