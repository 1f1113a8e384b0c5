"""Grade a whole class: parallel judges, resume, progress, one report each.

The orchestrator never grades anything itself. It hands submissions to judge
processes (``grader.judge``) and waits for each to say its reports are on
disk. That gives the three promises instructors need:

- nothing is lost: a judge that dies takes only its current submission with
  it, which gets a ``not_gradable`` report saying so, and a fresh judge carries on;
- resume: a report whose fingerprint matches the submission and the grader
  version is kept as it is, so rerunning after a crash or Ctrl-C only grades
  what is missing and never rewrites finished reports;
- speed: each judge pays for one torch import, whatever the class size.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader import __version__
from grader.grading import not_gradable
from grader.intake import SubmissionError, load_submission, submission_name
from grader.model import SubmissionResult, SubmissionStatus
from grader.reports import load_report, write_class_reports, write_submission_reports

Progress = Callable[[SubmissionResult], None]


class JudgeStartError(RuntimeError):
    """No judge could start, so nothing can be graded (for example, the required
    isolation level is out of reach on this machine)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Job:
    path: Path
    name: str


def plan_jobs(paths: Sequence[Path]) -> list[Job]:
    """Name every submission, keeping names unique (``alice``, ``alice-2``)."""
    jobs: list[Job] = []
    taken: set[str] = set()
    for path in paths:
        base = submission_name(path)
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        jobs.append(Job(Path(path).resolve(), name))
    return jobs


def finished_report(job: Job, out_dir: Path) -> SubmissionResult | None:
    """The report already on disk for ``job``, if it still describes this submission."""
    path = out_dir / job.name / "report.json"
    if not path.is_file():
        return None
    try:
        old = load_report(path)
    except (ValueError, KeyError, OSError):
        return None
    if old.grader_version != __version__ or not old.fingerprint:
        return None
    try:
        current = load_submission(job.path, name=job.name).fingerprint
    except SubmissionError:
        return None
    return old if current == old.fingerprint else None


def grade_class(
    paths: Iterable[Path],
    out_dir: Path,
    *,
    jobs: int = 1,
    require: str | None = None,
    resume: bool = True,
    exercises: Sequence[str] | None = None,
    on_result: Progress | None = None,
) -> list[SubmissionResult]:
    """Grade every submission in ``paths`` into ``out_dir``; returns results in input order."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    all_jobs = plan_jobs(list(paths))
    results: dict[str, SubmissionResult] = {}
    todo: list[Job] = []
    for job in all_jobs:
        old = finished_report(job, out_dir) if resume else None
        if old is None:
            todo.append(job)
        else:
            results[job.name] = old
            if on_result:
                on_result(old)
    if todo:
        for result in _run_judges(todo, out_dir, jobs, require, exercises):
            results[result.submission] = result
            if on_result:
                on_result(result)
    ordered = [results[job.name] for job in all_jobs if job.name in results]
    write_class_reports(ordered, out_dir)
    return ordered


def _judge_command(
    out_dir: Path, require: str | None, exercises: Sequence[str] | None
) -> list[str]:
    command = [sys.executable, "-m", "grader.judge", "--out", str(out_dir)]
    if require:
        command += ["--require-isolation", require]
    for name in exercises or ():
        command += ["--exercise", name]
    return command


def _run_judges(
    todo: list[Job],
    out_dir: Path,
    jobs: int,
    require: str | None,
    exercises: Sequence[str] | None,
) -> Iterable[SubmissionResult]:
    """Feed ``todo`` to ``jobs`` judge processes; yield each result as it lands."""
    work: queue.Queue[Job | None] = queue.Queue()
    for job in todo:
        work.put(job)
    done: queue.Queue[SubmissionResult | BaseException] = queue.Queue()
    command = _judge_command(out_dir, require, exercises)
    slots = max(1, min(jobs, len(todo)))
    for _ in range(slots):
        work.put(None)
    threads = [
        threading.Thread(target=_drive_judge, args=(command, work, done, out_dir), daemon=True)
        for _ in range(slots)
    ]
    for thread in threads:
        thread.start()
    for _ in todo:
        item = done.get()
        if isinstance(item, BaseException):
            raise item
        yield item
    for thread in threads:
        thread.join()


class _Judge:
    """One judge subprocess, restarted on demand."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,
            text=True,
            env=env,
        )
        ready = self._read()
        if ready is None or not ready.get("ready"):
            code = self.process.wait()
            reason = (ready or {}).get("error") or f"a judge process exited with code {code}"
            raise JudgeStartError(
                f"grading could not start: {reason}",
                "run without --require-isolation to grade at the level this machine allows, "
                "or grade on a machine that allows the level you require",
            )

    def _read(self) -> dict[str, object] | None:
        assert self.process is not None and self.process.stdout is not None
        line = self.process.stdout.readline()
        return json.loads(line) if line else None

    def grade(self, job: Job) -> dict[str, object] | None:
        if self.process is None or self.process.poll() is not None:
            self.start()
        assert self.process is not None and self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps({"path": str(job.path), "name": job.name}) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            return None
        return self._read()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _drive_judge(
    command: list[str],
    work: queue.Queue[Job | None],
    done: queue.Queue[SubmissionResult | BaseException],
    out_dir: Path,
) -> None:
    judge = _Judge(command)
    try:
        while (job := work.get()) is not None:
            reply = judge.grade(job)
            if reply is None:  # the judge died mid-submission: report it, restart later
                judge.process = None
                result = not_gradable(
                    job.name,
                    "The grader crashed while grading this submission; "
                    "run the same command again to retry it.",
                )
                write_submission_reports(result, out_dir)
            else:
                result = load_report(out_dir / job.name / "report.json")
            done.put(result)
    except BaseException as error:  # surface judge start-up failures to the caller
        done.put(error)
    finally:
        judge.stop()


def class_summary_rows(results: Sequence[SubmissionResult]) -> list[tuple[str, str, str]]:
    """(name, status, score) rows for quick printing without rich."""
    rows = []
    for result in results:
        if result.status is SubmissionStatus.GRADED:
            score = f"{result.score:g}/{result.max_score:g}"
        else:
            score = "-"
        rows.append((result.submission, result.status.value, score))
    return rows
