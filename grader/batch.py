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

import contextlib
import dataclasses
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from grader import __version__
from grader.errors import GraderError
from grader.grading import not_gradable
from grader.intake import SubmissionError, load_submission, submission_name
from grader.model import SubmissionResult
from grader.reports import (
    load_report,
    parse_report,
    submission_files,
    write_class_reports,
    write_submission_reports,
)
from grader.reports.seal import Ledger, digest_texts
from grader.sandbox.trusted.errors import SandboxError

if TYPE_CHECKING:
    from grader.sandbox.trusted.spawner import HostTemplate

Progress = Callable[[SubmissionResult], None]
Accepted = tuple[SubmissionResult, dict[str, str]]  # a result and the digests of its files


class JudgeStartError(GraderError, RuntimeError):
    """No judge could start, so nothing can be graded (for example, the required
    isolation level is out of reach on this machine)."""


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


def default_jobs() -> int:
    """One judge per core this process may use, as memory allows (about 1 GiB each:
    a judge and its sandbox host share most of their pages with their siblings)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    gib = cores
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    gib = int(line.split()[1]) >> 20
    except (OSError, ValueError, IndexError):
        pass
    return max(1, min(cores, gib))


def finished_report(job: Job, out_dir: Path) -> SubmissionResult | None:
    """The report already on disk for ``job``, if it still describes this submission."""
    path = out_dir / job.name / "report.json"
    if not path.is_file():
        return None
    # Only report.json is fsynced (grader.reports.write_submission_reports): after
    # a power cut its siblings may be empty, and then the submission is graded again.
    siblings = ("feedback.md", "feedback.html", "results.json")
    if any(_empty(path.parent / name) for name in siblings):
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


def _empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return True


def grade_class(
    paths: Iterable[Path | Job],
    out_dir: Path,
    *,
    jobs: int = 1,
    require: str | None = None,
    resume: bool = True,
    exercises: Sequence[str] | None = None,
    on_result: Progress | None = None,
    template: HostTemplate | None = None,
    finish: Callable[[SubmissionResult], SubmissionResult] | None = None,
    extra_results: Sequence[SubmissionResult] = (),
    kept: list[str] | None = None,
) -> list[SubmissionResult]:
    """Grade every submission in ``paths`` into ``out_dir``; returns results in input order.

    ``template``: a host template the caller started (and stops), from which
    every judge's sandbox host is forked; without one, the first judge starts
    its own. The command line starts it first thing, so that its library
    import, the longest step of a cold start, begins as early as it can.

    ``paths`` may hold ready-named :class:`Job` items (a class read from an
    LMS layout names its students itself). ``finish`` is applied to every
    result, kept or new, before the class reports (course policy: identity,
    late penalty, overrides); ``extra_results`` join the class reports as
    they are (roster students with nothing handed in); ``kept`` collects the
    names whose report was kept by resume.
    """
    from grader.sandbox.trusted.launcher import keep_private

    keep_private()  # this process's /proc entries say where the reports are
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    items = list(paths)
    named = [item for item in items if isinstance(item, Job)]
    all_jobs = named + plan_jobs([item for item in items if not isinstance(item, Job)])
    ledger = Ledger.start(out_dir)
    results: dict[str, SubmissionResult] = {}
    todo: list[Job] = []
    for job in all_jobs:
        old = finished_report(job, out_dir) if resume else None
        if old is None:
            todo.append(job)
        else:
            if kept is not None:
                kept.append(job.name)
            ledger.accept(old)  # as found, before any worker of this run exists
            sealed = ledger.accepted[job.name][0]  # with its staff log read back
            results[job.name] = _finished(sealed, None, finish, out_dir, ledger)
            if on_result:
                on_result(results[job.name])
    stopping: list[threading.Thread] = []
    if todo:
        for result, digests in _run_judges(
            todo, out_dir, jobs, require, exercises, stopping, template, writes=finish is None
        ):
            results[result.submission] = _finished(result, digests, finish, out_dir, ledger)
            if on_result:
                on_result(results[result.submission])
    ordered = [results[job.name] for job in all_jobs if job.name in results]
    flags = ledger.recheck()  # every report this run accepted, as it was accepted
    for name, flag in flags.items():
        print(f"warning: {name}: {flag}", file=sys.stderr, flush=True)
    ordered += list(extra_results)
    write_class_reports(ordered, out_dir, flags=flags)  # while the judges stop their hosts
    for thread in stopping:
        thread.join()
    return ordered


def _finished(
    result: SubmissionResult,
    digests: Mapping[str, str] | None,
    finish: Callable[[SubmissionResult], SubmissionResult] | None,
    out_dir: Path,
    ledger: Ledger,
) -> SubmissionResult:
    """Seal ``result``; with ``finish``, seal and write what it made instead.

    ``finish`` (course policy) returns a new result; its reports are written
    here from that result, and the ledger seals the texts written, so the
    final check compares against what policy made, not the judge's first draft.
    """
    if finish is None:
        if digests is not None:
            ledger.accept(result, digests)
        return result
    final = finish(result)
    files = submission_files(final)
    written = digest_texts(files)
    kept = ledger.accepted.get(final.submission)
    if digests is None and kept is not None and kept[1] == written:
        return final  # kept by resume and policy changed nothing: leave the files be
    write_submission_reports(final, out_dir, files=files)
    ledger.accept(final, written)
    return final


# What a judge needs that names or holds the grader's secrets: sent on its stdin,
# never put in its environment, which a worker at L1 may read in /proc.
_PRIVATE_ENV = ("GRADER_ASSIGNMENT", "GRADER_COURSE_ROOT", "GRADER_CHECK_SEED")
_DROPPED_ENV = ("PWD", "OLDPWD")  # where the instructor ran from: often above the output


def _judge_command(
    out_dir: Path, require: str | None, exercises: Sequence[str] | None
) -> list[str]:
    """A judge's command line: no path and no setting; those come on its stdin
    (`_judge_config`), so no worker finds them in ``/proc/<pid>/cmdline``."""
    del out_dir, require, exercises  # see _judge_config
    return [sys.executable, "-m", "grader.judge"]


def _judge_config(
    out_dir: Path, require: str | None, exercises: Sequence[str] | None
) -> str:
    """The first line a judge we start reads on its stdin: where to write, what to
    require and grade, and the grader's variables kept out of its environment."""
    environ = {name: os.environ[name] for name in _PRIVATE_ENV if name in os.environ}
    config = {"out": str(out_dir), "require": require,
              "exercises": list(exercises) if exercises else None, "environ": environ}  # fmt: skip
    return json.dumps({"config": config}) + "\n"


def _judge_environment(out_dir: Path) -> dict[str, str]:
    """This process's environment for a judge, less anything naming a secret path.

    A worker that can read the judge's ``/proc/<pid>/environ`` (L1: same
    uid, or root without a uid switch) must not learn where the reports,
    checks or solutions are from it (docs/threats.md G2, G7).
    """
    from grader.assignment import current

    assignment = current()
    secrets = [str(out_dir), str(assignment.checks_dir), str(assignment.solutions_dir)]
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in (*_PRIVATE_ENV, *_DROPPED_ENV) and not any(s in value for s in secrets)
    }
    env.setdefault("PYTHONUNBUFFERED", "1")
    # One thread, like the worker: no idle BLAS threads competing with the
    # other judges for the cores, and forking the judge stays safe.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    return env


def _run_judges(
    todo: list[Job],
    out_dir: Path,
    jobs: int,
    require: str | None,
    exercises: Sequence[str] | None,
    stopping: list[threading.Thread],
    template: HostTemplate | None = None,
    *,
    writes: bool = True,
) -> Iterable[Accepted]:
    """Feed ``todo`` to ``jobs`` judges; yield each result (and its digests) as it lands.

    ``writes=False``: the judges write no reports (the caller writes what
    course policy makes of each result, `_finished`), and the digests are empty.

    The threads driving the judges are added to ``stopping``: once the last
    result is in, they are still waiting for their judges to exit, and the
    caller joins them when it has written what it can meanwhile.
    """
    work: queue.Queue[Job | None] = queue.Queue()
    for job in todo:
        work.put(job)
    done: queue.Queue[Accepted | BaseException] = queue.Queue()
    start = _Start(
        _judge_command(out_dir, require, exercises),
        _judge_config(out_dir, require, exercises),
        _judge_environment(out_dir),
    )
    slots = max(1, min(jobs, len(todo)))
    for _ in range(slots):
        work.put(None)
    judges = _plan_judges(start, slots, template)
    threads = [
        threading.Thread(
            target=_drive_judge, args=(judge, work, done, out_dir, writes), daemon=True
        )
        for judge in judges
    ]
    for thread in threads:
        thread.start()
        stopping.append(thread)
    for _ in todo:
        item = done.get()
        if isinstance(item, BaseException):
            raise item
        yield item


@dataclass(frozen=True)
class _Start:
    """How to start a judge: its command line, the config line for its stdin, its environment."""

    command: list[str]
    config: str
    env: dict[str, str]


def _plan_judges(
    command: _Start, slots: int, template: HostTemplate | None = None
) -> list[_Judge]:
    """One judge we start, which forks the other ``slots - 1`` once its imports are paid.

    Each forked judge gets a pair of pipes of its own, passed to the first one
    as inherited descriptors. A judge that dies, or never says it is ready, is
    replaced by one started from scratch, as before. Each judge we start gets
    a channel of its own to ``template``.
    """
    first = _Judge(command, template)
    others = []
    for _ in range(slots - 1):
        requests_read, requests_write = os.pipe()
        replies_read, replies_write = os.pipe()
        first.fork_args += ["--fork", f"{requests_read}:{replies_write}"]
        first.pass_fds += [requests_read, replies_write]
        other = _Judge(command, template)
        first.forked.append(other)
        other.pipes = (
            open(requests_write, "w", encoding="utf-8"),  # noqa: SIM115 - lives with the judge
            open(replies_read, encoding="utf-8"),  # noqa: SIM115
        )
        others.append(other)
    return [first, *others]


class _Judge:
    """One judge slot: a process we started, or one our first judge forked for us."""

    def __init__(self, command: _Start, template: HostTemplate | None = None) -> None:
        self.command = command
        self.template = template
        self.process: subprocess.Popen[str] | None = None
        self.pipes: tuple[IO[str], IO[str]] | None = None  # (requests, replies)
        self.pid: int | None = None  # a forked judge's, from its ready line
        self.fork_args: list[str] = []  # for the first start only
        self.pass_fds: list[int] = []
        self.forked: list[_Judge] = []  # the slots whose judge this one forks
        self.finished = threading.Event()  # stopped, and its judge is gone
        self._ready = False

    def start(self) -> None:
        fds, self.pass_fds = self.pass_fds, []
        channel = self._template_channel()
        extra, extra_fds = [], []
        if channel is not None:
            extra, extra_fds = ["--template-fd", str(channel.fileno())], [channel.fileno()]
        try:
            self.process = subprocess.Popen(
                self.command.command + self.fork_args + extra,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,
                text=True,
                env=self.command.env,
                pass_fds=[*fds, *extra_fds],
            )
        finally:
            self.fork_args = []
            if channel is not None:
                channel.forget()  # the judge's now
            for fd in fds:  # the judge's (and its forks') now: EOF then means "gone"
                os.close(fd)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.pipes = (self.process.stdin, self.process.stdout)
        with contextlib.suppress(BrokenPipeError):  # one that died says so below
            self.process.stdin.write(self.command.config)
            self.process.stdin.flush()
        ready = self._read()
        if ready is None or not ready.get("ready"):
            code = self.process.wait()
            reason = (ready or {}).get("error") or f"a judge process exited with code {code}"
            raise JudgeStartError(
                f"grading could not start: {reason}",
                "run without --require-isolation to grade at the level this machine allows, "
                "or grade on a machine that allows the level you require",
            )
        self._ready = True

    def _template_channel(self) -> HostTemplate | None:
        """A new channel to the template for the judge about to start, if there is one
        (and it still answers: otherwise the judge starts a template of its own)."""
        if self.template is None:
            return None
        try:
            return self.template.channel()
        except SandboxError:
            return None

    def _await_fork(self) -> bool:
        """Whether the judge forked for this slot said it is ready (False: start our own)."""
        ready = self._read()
        if ready is None or not ready.get("ready"):
            self._drop()
            return False
        self.pid = int(ready.get("pid", 0)) or None  # type: ignore[call-overload]
        self._ready = True
        return True

    def _read(self) -> dict[str, object] | None:
        assert self.pipes is not None
        line = self.pipes[1].readline()
        return json.loads(line) if line else None

    def alive(self) -> bool:
        if self.pipes is None:
            return False
        return self.process is None or self.process.poll() is None

    def prepare(self) -> None:
        """Have a ready judge in this slot: the forked one, or else one of our own."""
        if self._ready and self.alive():
            return
        if self.pipes is not None and self.process is None and self._await_fork():
            return
        self._drop()
        self.start()

    def grade(self, job: Job, *, write: bool = True) -> dict[str, object] | None:
        """Have the judge grade `job`; its reply, or None if it died meanwhile.

        `write=False`: the judge writes no reports; the caller writes them.
        """
        self.prepare()
        assert self.pipes is not None
        request: dict[str, object] = {"path": str(job.path), "name": job.name}
        if not write:
            request["write"] = False
        try:
            self.pipes[0].write(json.dumps(request) + "\n")
            self.pipes[0].flush()
        except BrokenPipeError:
            return None
        return self._read()

    def died(self) -> None:
        """The judge went away mid-submission: the next one starts from scratch."""
        self._drop()

    def _drop(self) -> None:
        if self.process is None and self.pipes is not None:
            for pipe in self.pipes:
                with contextlib.suppress(OSError):
                    pipe.close()
        self.pipes, self.process, self.pid, self._ready = None, None, None, False

    def stop(self) -> None:
        try:
            self._stop()
        finally:
            self.finished.set()

    def _stop(self) -> None:
        if self.pipes is None:
            return
        with contextlib.suppress(OSError):
            self.pipes[0].close()  # the judge finishes on end of input
        for other in self.forked:  # ours waits for its forks: let them finish their work
            other.finished.wait()
        if self.process is not None:
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            return
        # A forked judge is not our child: its replies end when it has exited.
        reader = threading.Thread(target=self.pipes[1].read, daemon=True)
        reader.start()
        reader.join(timeout=30)
        if reader.is_alive() and self.pid:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            reader.join(timeout=5)
        with contextlib.suppress(OSError):
            self.pipes[1].close()


def _drive_judge(
    judge: _Judge,
    work: queue.Queue[Job | None],
    done: queue.Queue[Accepted | BaseException],
    out_dir: Path,
    writes: bool = True,
) -> None:
    try:
        judge.prepare()  # before taking work: a slot still starting holds no submission
        while (job := work.get()) is not None:
            reply = judge.grade(job, write=writes)
            if reply is None:  # the judge died mid-submission: report it, restart later
                judge.died()
                result = not_gradable(
                    job.name,
                    "The grader crashed while grading this submission; "
                    "run the same command again to retry it.",
                )
                files = submission_files(result)
                write_submission_reports(result, out_dir, files=files)
                done.put((result, digest_texts(files)))
            else:  # the judge's own copy: never read back from a folder a worker may reach
                report = parse_report(str(reply["report"]), where=f"{job.name}: the judge's reply")
                report = dataclasses.replace(report, staff_log=str(reply.get("staff_log") or ""))
                digests = reply["digests"]
                assert isinstance(digests, dict), f"{job.name}: a judge's reply without digests"
                done.put((report, {str(k): str(v) for k, v in digests.items()}))
    except BaseException as error:  # surface judge start-up failures to the caller
        done.put(error)
    finally:
        judge.stop()
