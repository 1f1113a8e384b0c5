"""What forked judges rely on: closing a submission ends its worker, and a forked
copy of the judge can drop the parent's host without stopping it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.sandbox.trusted.client import Limits, SandboxHost

SOURCE = "import os\n\ndef pid():\n    return os.getpid()\n"
LIMITS = Limits(import_timeout=5.0, call_timeout=2.0)


@pytest.fixture(scope="module")
def host() -> Iterator[SandboxHost]:
    with SandboxHost(LIMITS, namespaces=False) as started:
        yield started


def _alive(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def test_closing_a_submission_ends_its_worker(host: SandboxHost) -> None:
    names = [f"ex0{i}_probe" for i in range(1, 5)]
    with host.submission(dict.fromkeys(names, SOURCE)) as student:
        pids = [student.exercise(name).call("pid") for name in names]
        assert len(set(pids)) == 1  # one worker (one fork) per submission
        assert _alive(pids[0])
        output = student.exercise(names[0])
    assert not _alive(pids[0])
    assert output.output() == ""  # what it printed is still readable after close
    with host.submission({"ex01_probe": SOURCE}) as student:  # the host carries on
        assert student.exercise("ex01_probe").call("pid") not in pids


def test_a_forked_copy_forgets_the_host_without_stopping_it(host: SandboxHost) -> None:
    pid = os.fork()
    if pid == 0:  # a forked judge: drop the parent's host, then exit as judges do
        code = 0
        try:
            host.forget()
            assert host.closed
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert not host.closed
    with host.submission({"ex01_probe": SOURCE}) as student:
        assert student.exercise("ex01_probe").call("pid") > 0


def test_the_host_folder_is_named_after_its_judge(host: SandboxHost) -> None:
    from grader.sandbox.trusted import launcher

    # what lets a later judge remove it if this one is killed (test_sandbox_leftovers.py)
    assert launcher.owner_of(host._state.workdir, "grader-judge-") == os.getpid()


def test_on_launch_runs_once_the_template_process_exists() -> None:
    # The judge starts its import thread here: after the launch, so that the
    # thread's hold on the GIL cannot delay it (grader/judge.py).
    children_then: list[set[str]] = []

    def launched() -> None:
        tid = threading.get_native_id()
        children_then.append(set(Path(f"/proc/self/task/{tid}/children").read_text().split()))

    with SandboxHost(LIMITS, namespaces=False, on_launch=launched) as started:
        assert len(children_then) == 1
        template = started._state.template
        assert template is not None and template.pid is not None
        assert str(template.pid) in children_then[0]  # launched, then called
