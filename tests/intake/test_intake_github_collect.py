"""Collecting GitHub Classroom repositories as of the due time, on local git repositories."""

from __future__ import annotations

import csv
import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from grader.intake.github_collect import CollectError, collect

DUE = datetime.fromisoformat("2026-03-01T23:59:00+00:00")


def _commit(repo: Path, files: dict[str, str], when: str) -> None:
    for name, text in files.items():
        (repo / name).write_text(text)
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when,
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}  # fmt: skip
    git = ["git", "-C", str(repo), "-c", "user.name=s", "-c", "user.email=s@example.edu"]
    subprocess.run([*git, "add", "-A"], check=True, env=env)
    subprocess.run([*git, "commit", "-qm", "work"], check=True, env=env)


def _repo(root: Path, name: str) -> Path:
    repo = root / name
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    return repo


def test_the_last_commit_before_the_due_time_is_collected(tmp_path: Path) -> None:
    repos = tmp_path / "repos"
    alice = _repo(repos, "hw3-alice")
    _commit(alice, {"ex01_multiclass.py": "X = 1\n"}, "2026-03-01T20:00:00+00:00")
    _commit(alice, {"ex01_multiclass.py": "X = 2\n"}, "2026-03-02T09:00:00+00:00")  # too late
    bob = _repo(repos, "hw3-bob-smith")
    _commit(bob, {"ex01_multiclass.py": "X = 3\n"}, "2026-03-01T23:58:00+01:00")
    late = _repo(repos, "hw3-carol")
    _commit(late, {"ex01_multiclass.py": "X = 4\n"}, "2026-03-05T10:00:00+00:00")
    _repo(repos, "other-dave")  # another assignment's repository

    found = collect(repos, DUE, tmp_path / "out", "hw3-")

    out = tmp_path / "out"
    assert sorted(found.students) == ["alice", "bob-smith"]
    assert found.nothing_in_time == ["hw3-carol"]
    assert (out / "submissions" / "alice" / "ex01_multiclass.py").read_text() == "X = 1\n"
    assert not (out / "submissions" / "alice" / ".git").exists()
    assert (out / "submissions" / "bob-smith" / "ex01_multiclass.py").read_text() == "X = 3\n"
    times = {r["id"]: r["submitted_at"] for r in csv.DictReader((out / "times.csv").open())}
    assert times == {"alice": "2026-03-01T20:00:00+00:00", "bob-smith": "2026-03-01T23:58:00+01:00"}
    rows = list(csv.DictReader((out / "collected.csv").open()))
    assert [r["repository"] for r in rows] == ["hw3-alice", "hw3-bob-smith"]
    assert all(len(r["commit"]) == 40 for r in rows)


def test_nothing_to_collect_is_an_error_that_names_the_folder(tmp_path: Path) -> None:
    (tmp_path / "repos").mkdir()
    with pytest.raises(CollectError, match="no git clone whose name starts with 'hw3-'"):
        collect(tmp_path / "repos", DUE, tmp_path / "out", "hw3-")


def test_the_command_collects_and_names_what_came_too_late(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from grader.cli import main

    repos = tmp_path / "repos"
    _commit(_repo(repos, "hw3-alice"), {"ex01_multiclass.py": "X = 1\n"}, "2026-03-01T20:00Z")
    _commit(_repo(repos, "hw3-carol"), {"ex01_multiclass.py": "X = 4\n"}, "2026-03-05T10:00Z")
    out = tmp_path / "out"
    argv = ["collect-github", str(repos), "--prefix", "hw3-", "--due", DUE.isoformat()]
    assert main([*argv, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "hw3-carol: no commit at or before" in err and "collected 1 repositories" in err
    assert (out / "submissions" / "alice" / "ex01_multiclass.py").is_file()
    assert main([*argv, "--out", str(out)]) == 2  # never over an earlier collection
    assert "not empty" in capsys.readouterr().err
