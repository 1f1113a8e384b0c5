"""What a judge killed with SIGKILL leaves behind is removed by the next one.

Its folder holds students' code (the inbox) and its pids cgroup lingers; both
are named after the judge's pid, so a later judge can tell they are stale.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.sandbox.trusted import client, launcher


@pytest.fixture
def dead_pid() -> int:
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


@pytest.fixture
def tmp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(client.tempfile, "gettempdir", lambda: str(tmp_path))
    yield tmp_path


def _judge_folder(root: Path, pid: int) -> Path:
    folder = root / f"grader-judge-{pid}-abc123"
    session = folder / "inbox" / "0123abcd"
    session.mkdir(parents=True)
    (session / "ex01_multiclass.py").write_text("SECRET = 'a student'\n")
    (folder / "inbox").chmod(0o311)  # as a live host leaves it
    return folder


def test_folders_of_dead_judges_are_removed_and_live_ones_kept(
    tmp_root: Path, dead_pid: int
) -> None:
    stale = _judge_folder(tmp_root, dead_pid)
    live = _judge_folder(tmp_root, os.getpid())
    unrelated = tmp_root / "grader-judge-oldstyle"
    unrelated.mkdir()
    client._remove_leftovers()
    assert not stale.exists()
    assert live.exists() and unrelated.exists()
    (live / "inbox").chmod(0o755)


def test_names_carry_the_owner_pid() -> None:
    assert launcher.owner_of(Path("/tmp/grader-judge-4242-x1y2"), "grader-judge-") == 4242
    assert launcher.owner_of(Path("/tmp/grader-judge-x1y2z3"), "grader-judge-") is None
    assert launcher.owner_of(Path("/sys/fs/cgroup/grader-17-ab"), "grader-") == 17
    assert launcher.running(os.getpid()) is True


def test_stale_cgroups_are_removed(dead_pid: int) -> None:
    made = launcher.make_pids_cgroup(16)
    if made is None:
        pytest.skip("no writable pids cgroup here (needs root and a pids controller)")
    try:
        assert launcher.owner_of(made, "grader-") == os.getpid()
        stale = made.parent / f"grader-{dead_pid}-0123456789ab"
        stale.mkdir()
        launcher.remove_stale_cgroups()
        assert not stale.exists()
        assert made.exists()  # ours: this process is alive
    finally:
        launcher.remove_cgroup(made)
