"""The host template: one library import, every sandbox host a fork of it.

What the judges rely on: a second judge's host comes from the first judge's
template (no import of its own), a host a student killed is replaced by a
fork, a host holds only its own descriptors, and no host outlives its template.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.sandbox.trusted.client import Limits, SandboxHost

SOURCE = "import os\n\ndef pid():\n    return os.getpid()\n"
LIMITS = Limits(import_timeout=5.0, call_timeout=2.0)


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _gone(pid: int, within: float = 5.0) -> bool:
    """Whether `pid` exits (or is a zombie) within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if "zombie" in Path(f"/proc/{pid}/status").read_text():
                return True
        except FileNotFoundError:
            return True
        time.sleep(0.02)
    return False


def _host_pid(host: SandboxHost) -> int:
    process = host._state.process  # test-only peek
    assert process is not None
    return process.pid


def _template_pid(host: SandboxHost) -> int:
    template = host._state.template  # test-only peek
    assert template is not None and template.pid is not None
    return template.pid


def _serves(host: SandboxHost) -> bool:
    with host.submission({"ex01_probe": SOURCE}) as student:
        return isinstance(student.exercise("ex01_probe").call("pid"), int)


@pytest.fixture
def host() -> Iterator[SandboxHost]:
    with SandboxHost(LIMITS) as started:
        yield started


def test_the_host_is_a_child_of_the_template(host: SandboxHost) -> None:
    assert _parent(_host_pid(host)) == _template_pid(host)
    assert _serves(host)


def test_a_killed_host_is_replaced_by_a_fork_of_the_same_template(host: SandboxHost) -> None:
    template, first = _template_pid(host), _host_pid(host)
    os.kill(first, signal.SIGKILL)
    assert _gone(first)
    assert _serves(host)  # the next submission notices, and a new host is forked
    assert host.restarts == 1
    assert _template_pid(host) == template  # no second import
    assert _host_pid(host) != first and _parent(_host_pid(host)) == template


def test_a_second_judge_gets_its_host_from_the_same_template(host: SandboxHost) -> None:
    template = _template_pid(host)
    second = SandboxHost(LIMITS, template=host.attach_template())
    try:
        assert _parent(_host_pid(second)) == template
        assert _host_pid(second) != _host_pid(host)
        assert second.isolation == host.isolation  # the same layers, in a host of its own
        host.close()  # the first judge is done; the template serves on for the second
        assert not _gone(template, within=0.3)
        killed = _host_pid(second)
        os.kill(killed, signal.SIGKILL)
        assert _gone(killed)
        assert _serves(second)  # forked again, by the template the first judge started
        assert _parent(_host_pid(second)) == template
    finally:
        second.close()
    assert _gone(template)  # its last channel closed: it exits


def test_hosts_die_with_their_template(host: SandboxHost) -> None:
    serving = _host_pid(host)
    os.kill(_template_pid(host), signal.SIGKILL)
    assert _gone(serving)  # parent-death signal: no host outlives the template


def test_a_judge_whose_shared_template_is_gone_starts_its_own(host: SandboxHost) -> None:
    # Say a worker killed it (possible at L1, or at L2 without Landlock's signal
    # scoping): the judges it served must go on grading, not fail every submission.
    channel = host.attach_template()
    shared = _template_pid(host)
    os.kill(shared, signal.SIGKILL)
    assert _gone(shared)
    with SandboxHost(LIMITS, template=channel) as second:
        assert _template_pid(second) != shared
        assert _parent(_host_pid(second)) == _template_pid(second)
        assert _serves(second)


@pytest.mark.skipif(os.geteuid() != 0, reason="a non-dumpable host's descriptors: root only")
def test_a_host_keeps_only_its_own_descriptors(host: SandboxHost) -> None:
    # The template holds every judge's channel; a host must hold none of them.
    others = [host.attach_template() for _ in range(2)]
    second = SandboxHost(LIMITS, template=others[0])
    try:
        for pid in (_host_pid(host), _host_pid(second)):
            assert sorted(int(fd) for fd in os.listdir(f"/proc/{pid}/fd")) == [0, 1, 2, 3]
            assert os.readlink(f"/proc/{pid}/fd/3").startswith("socket:")
    finally:
        second.close()
        others[1].close()
