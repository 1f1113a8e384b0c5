"""A judge and the judge it forks share one host template: one import of the
sandbox's libraries for the whole class, one sandbox host per judge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "class"


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _is_template(pid: int) -> bool:
    try:
        return b"sandbox/confined/template.py" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def test_the_forked_judge_gets_its_host_from_the_first_judges_template(tmp_path: Path) -> None:
    requests_read, requests_write = os.pipe()
    replies_read, replies_write = os.pipe()
    first = subprocess.Popen(
        [sys.executable, "-m", "grader.judge", "--out", str(tmp_path / "out"),
         "--fork", f"{requests_read}:{replies_write}"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        pass_fds=[requests_read, replies_write],
    )  # fmt: skip
    os.close(requests_read)
    os.close(replies_write)
    assert first.stdin is not None and first.stdout is not None
    with os.fdopen(requests_write, "w") as requests, os.fdopen(replies_read) as replies:
        try:
            assert json.loads(first.stdout.readline())["ready"] is True
            forked = json.loads(replies.readline())
            assert forked["ready"] is True
            templates = [pid for pid in _children(first.pid) if _is_template(pid)]
            assert len(templates) == 1  # the forked judge started none of its own
            hosts = [pid for pid in _children(templates[0]) if _is_template(pid)]
            assert len(hosts) == 2  # one per judge, both forks of the template
            assert forked["pid"] in _children(first.pid)
            # The forked judge grades with what it inherited: collected checks, a host.
            requests.write(json.dumps({"path": str(EXAMPLES / "alice"), "name": "alice"}) + "\n")
            requests.flush()
            reply = json.loads(replies.readline())
            assert (reply["status"], reply["score"]) == ("graded", 100.0)
        finally:
            first.stdin.close()
            requests.close()
            code = first.wait(timeout=60)
    assert code == 0
    assert not any(Path(f"/proc/{pid}").exists() and not _zombie(pid) for pid in templates)


def _zombie(pid: int) -> bool:
    try:
        return "zombie" in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True


def test_a_judge_given_a_template_channel_starts_no_template_of_its_own(tmp_path: Path) -> None:
    # What the orchestrator does: it starts the template first of all, and hands
    # the first judge a spare channel (`--template-fd`).
    from grader.sandbox.trusted.spawner import HostTemplate

    template = HostTemplate.start(log=None, spares=1)
    channel = template.channel()
    judge = subprocess.Popen(
        [sys.executable, "-m", "grader.judge", "--out", str(tmp_path / "out"),
         "--template-fd", str(channel.fileno())],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        pass_fds=[channel.fileno()],
    )  # fmt: skip
    channel.forget()
    assert judge.stdin is not None and judge.stdout is not None
    template_pid = template.pid
    assert template_pid is not None
    try:
        assert json.loads(judge.stdout.readline())["ready"] is True
        assert not [pid for pid in _children(judge.pid) if _is_template(pid)]
        hosts = [pid for pid in _children(template_pid) if _is_template(pid)]
        assert len(hosts) == 1  # the judge's host, forked by the template it was given
        judge.stdin.write(json.dumps({"path": str(EXAMPLES / "bob"), "name": "bob"}) + "\n")
        judge.stdin.flush()
        assert json.loads(judge.stdout.readline())["score"] == 100.0
    finally:
        judge.stdin.close()
        code = judge.wait(timeout=60)
        template.close()
    assert code == 0
    assert not Path(f"/proc/{template_pid}").exists()  # exited and reaped by its starter


def test_a_spare_channel_needs_no_answer_from_the_template(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A channel made by `attach` waits for the template to finish importing; the
    # first judge's is made at launch, so that it starts at once.
    from grader.sandbox.trusted import launcher
    from grader.sandbox.trusted.spawner import HostTemplate

    def never_answers(fds: list[int], python: str = sys.executable) -> list[str]:
        return [sys.executable, "-c", "import time; time.sleep(60)"]

    monkeypatch.setattr(launcher, "template_command", never_answers)
    template = HostTemplate.start(log=None, spares=1)
    try:
        spare = template.channel()  # returns at once: no request was made
        assert spare.fileno() >= 0 and not template._spares
        spare.close()
    finally:
        template.close()  # it never served: killed at once, not waited for
