"""Collect a GitHub Classroom assignment from the students' repositories, as of the due time.

GitHub Classroom makes one repository per student, named
``assignment-username``. The instructor clones them all (the workflow
template in ``deploy/`` does it with the organisation's token, in a
repository only staff can read) and :func:`collect` takes, from each clone,
the last commit of ``HEAD`` whose commit time is at or before the due time,
and writes its files to ``OUT/submissions/<username>/``, with ``OUT/times.csv``
(``id,submitted_at``: that commit's time) for ``grader grade --timestamps``
and ``OUT/collected.csv`` (which commit of which repository). Then
``grader grade --class OUT/submissions --layout folders --timestamps OUT/times.csv``
grades them with the hidden checks: the grade of record.

A commit's time is written by the student's own git, so it can be set back;
when that matters, compare it with the push times GitHub shows. Files are
exported with ``git archive`` (tracked files only, no ``.git``), and the
export is unpacked with tarfile's ``data`` filter: no links out of the
folder, no device files.
"""

from __future__ import annotations

import csv
import io
import subprocess
import tarfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from grader.errors import GraderError

__all__ = ["CollectError", "Collected", "collect"]

_GIT_SECONDS = 60


class CollectError(GraderError):
    """The repositories cannot be collected; the message names the folder and the fix."""

    default_hint = "give the folder holding one clone per student (assignment-username)"


@dataclass
class Collected:
    """What :func:`collect` found: students collected, and repositories with nothing in time."""

    students: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # id -> repo, sha, at
    nothing_in_time: list[str] = field(default_factory=list)  # repository folder names


def _git(repo: Path, *args: str) -> bytes:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        timeout=_GIT_SECONDS,
        check=False,
        # no system or user git config: only the clone's own (which a clone does not copy
        # from the student), so nothing in the environment can hook a command into git
        env={
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "HOME": "/nonexistent",
            "PATH": "/usr/bin:/bin",
        },
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed"
        raise CollectError(f"{repo}: {message}")
    return done.stdout


def _username(name: str, prefix: str) -> str:
    return name[len(prefix) :] if prefix and name.startswith(prefix) else name


def collect(repos: Path, due: datetime, out: Path, prefix: str) -> Collected:
    """Export every clone under ``repos`` as of ``due`` into ``out`` (see the module docstring).

    ``prefix`` is the assignment's repository prefix (``hw3-``); the rest of
    the name is the student's id. ``out`` must not hold an earlier collection.
    """
    repos, out = Path(repos), Path(out)
    if not repos.is_dir():
        raise CollectError(f"{repos}: not a folder")
    clones = sorted(
        p for p in repos.iterdir() if (p / ".git").exists() and p.name.startswith(prefix)
    )
    if not clones:
        raise CollectError(f"{repos}: no git clone whose name starts with {prefix!r}")
    if out.exists() and any(out.iterdir()):
        raise CollectError(f"{out}: not empty", "collect into a new folder")
    out.mkdir(parents=True, exist_ok=True)
    moment = (due if due.tzinfo else due.replace(tzinfo=UTC)).isoformat()
    found = Collected()
    for clone in clones:
        student = _username(clone.name, prefix)
        if student in found.students:
            raise CollectError(f"{clone}: a second repository for {student!r}")
        sha = _git(clone, "rev-list", "-1", f"--before={moment}", "HEAD").decode().strip()
        if not sha:
            found.nothing_in_time.append(clone.name)
            continue
        at = _git(clone, "show", "-s", "--format=%cI", sha).decode().strip()
        target = out / "submissions" / student
        target.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(_git(clone, "archive", "--format=tar", sha))) as tar:
            tar.extractall(target, filter="data")
        found.students[student] = (clone.name, sha, at)
    _write_csv(out / "times.csv", ["id", "submitted_at"],
               [[s, at] for s, (_, _, at) in sorted(found.students.items())])  # fmt: skip
    _write_csv(
        out / "collected.csv",
        ["id", "repository", "commit", "committed_at"],
        [[s, *info] for s, info in sorted(found.students.items())],
    )
    return found


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
