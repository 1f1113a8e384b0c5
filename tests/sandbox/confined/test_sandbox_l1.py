"""A host without namespaces: what must hold on any Linux machine, root or not.

It is L1, plus what `confine.py` adds where the kernel has Landlock and
seccomp (L2 then; `test_sandbox_confine.py` tests those layers).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.sandbox import levels
from grader.sandbox.trusted.client import Limits, SandboxHost
from grader.sandbox.trusted.errors import CallTimeout, SandboxError, WorkerCrashed

HOSTILE = (Path(__file__).parents[1] / "files" / "hostile.py").read_text()
LIMITS = Limits(import_timeout=2.0, call_timeout=0.5, output_bytes=4096, restarts=2)


@pytest.fixture(scope="module")
def host() -> Iterator[SandboxHost]:
    with SandboxHost(LIMITS, namespaces=False) as started:
        yield started


def test_level_matches_the_layers_it_has(host: SandboxHost) -> None:
    layers = set(host.isolation.layers)
    assert host.isolation.level == levels.level_of(layers)
    assert levels.meets(host.isolation.level, "L1")
    assert {"subprocess", "rlimits", "codec", "setsid", "env-allowlist", "python-isolated",
            "non-dumpable", "subreaper"} <= layers  # fmt: skip
    assert not layers & {"netns", "pidns", "secrets-masked"}


def test_calls_timeouts_and_exits(host: SandboxHost) -> None:
    with host.submission({"ex01_hostile": HOSTILE}) as student:
        ex = student.exercise("ex01_hostile")
        assert ex.call("add", 1, 2) == 3
        with pytest.raises(CallTimeout):
            ex.call("spin")
        with pytest.raises(WorkerCrashed, match=r"exit code 0"):
            ex.call("exit_zero")
        assert ex.call("add", 2, 2) == 4


def _running(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def test_setsid_grandchild_is_killed_without_a_pid_namespace(host: SandboxHost) -> None:
    with host.submission({"ex01_hostile": HOSTILE}) as student:
        daemon = student.exercise("ex01_hostile").call("daemon")
        assert _running(daemon)  # same PID namespace as this test at L1
    assert not _running(daemon)


def test_a_killed_host_is_replaced_for_the_next_submission(host: SandboxHost) -> None:
    import signal

    student = host.submission({"ex01_hostile": HOSTILE})
    student.exercise("ex01_hostile").call("kill_parent", int(signal.SIGKILL))  # at L1 it can
    with pytest.raises(SandboxError, match="sandbox host"):
        student.close()
    with host.submission({"ex01_hostile": HOSTILE}) as student:
        assert student.exercise("ex01_hostile").call("add", 1, 2) == 3
    assert host.restarts == 1
