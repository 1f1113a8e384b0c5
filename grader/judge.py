"""A judge process: grades the submissions it is sent, one at a time.

``grader grade --jobs N`` starts N of these: one process, which forks the
other N-1 once its imports are done (``--fork``), so the class pays for the
judging stack's imports once. Each judge owns one sandbox host, forked by one
host template (started by ``grader grade``, or by a judge started alone),
which imports torch and the rest once for the whole class while the first
judge imports its own; each judge writes each
submission's reports itself, atomically, before saying it is done, so a judge
killed halfway never leaves a half-written report and never loses one already
written. When the orchestrator rewrites them anyway (course policy adds the
student's identity, a late penalty, an override: ``"write": false`` in the
request), the judge writes nothing and replies with the report alone, so a
class does not render every report twice.

Protocol on stdin/stdout, one JSON object per line (trusted both ways: the
judge and the orchestrator are both the grader; student code is further down,
in the sandbox's workers):

    in:  {"path": "/abs/submission", "name": "alice"}          (+ "write": false)
    out: {"name": "alice", "status": "graded", "score": 87.0,
          "report": "<report.json text>", "staff_log": "...", "digests": {file: sha256}}
          (digests of what it wrote: none with "write": false)
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import os
import socket
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from grader import timings
from grader.sandbox.trusted import launcher
from grader.sandbox.trusted.client import SandboxHost
from grader.sandbox.trusted.errors import SandboxError
from grader.sandbox.trusted.spawner import HostTemplate

# Set to 1 (bench/phases.py does) for each reply to carry where the judge's time went.
TIMINGS_VARIABLE = "GRADER_TIMINGS"

# What the first submission would otherwise import on its critical path: the
# judging stack. Not torch._dynamo: see grader.torch_eager.
_WARM = (
    "torch", "torch.optim", "pytest", "grader.grading", "grader.runner", "grader.reports",
    "grader.checklib",
)  # fmt: skip


def _warm(exercises: list[str] | None = None) -> None:
    for name in _WARM:
        with contextlib.suppress(ImportError):  # the first grade that needs it says so
            importlib.import_module(name)
    import torch

    from grader.assignment import current
    from grader.checklib import cache as _cache
    from grader.torch_eager import skip_dynamo_import

    torch.set_num_threads(1)  # before any parallel op: see grading.grade_loaded
    assignment = current()
    _cache.use_disk([Path(__file__).resolve().parent, assignment.checks_dir,
                     assignment.solutions_dir])  # fmt: skip
    if not _cache.on_disk():  # the first run since the code changed: compute, as before
        # What the reference solutions may pull in (pandas and scikit-learn for the
        # bundled course, ~0.75 s), needed only for expected values not on disk yet.
        for name in assignment.packages:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
    skip_dynamo_import()  # this process never compiles: 0.9 s less per cold start
    from grader import runner

    runner.prepare(exercises)  # collected here, beside the template's imports, not after them
    # The objects the imports made are never garbage: out of the collector's sight
    # (freezing is instant; a collection first would cost ~0.12 s of the cold
    # start), a full collection costs ~10 ms instead of ~110, and does not write
    # to (and so un-share) every page the forked judges share with this one.
    gc.freeze()
    _rehearse(exercises)  # after the freeze: what it leaves behind stays collectable


def _rehearse(exercises: list[str] | None) -> None:
    """Run the checks once here on the reference solutions (trusted code, in-process).

    A judge's first submission cost ~0.2 s of CPU more than the next: first
    calls of every torch operator, codec path and comparison the checks use.
    Paid here, while the host template is still importing in its own process,
    they are off the cold start's path and inherited by every forked judge.
    Only solutions whose imports are already loaded take part (no pandas is
    imported for this); the results are dropped, and nothing here may stop
    the judge from starting.
    """
    from grader.assignment import current
    from grader.runner import StudentView, run_on_student
    from grader.sandbox.trusted.inprocess import InProcessSubmission

    try:
        assignment = current()
        sources = {}
        for name in exercises or list(assignment.exercises):
            path = assignment.solutions_dir / f"{name}.py"
            if path.is_file():
                text = path.read_text(encoding="utf-8")
                if _imports_loaded(text):
                    sources[name] = text
        session = InProcessSubmission(sources)
        try:
            run_on_student(StudentView(session, available=sources), exercises=exercises)
        finally:
            session.close()
    except Exception:  # a head start only: the first grade says what is wrong
        return


def _imports_loaded(source: str) -> bool:
    """Whether every module ``source`` imports at its top level is loaded already."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    for node in tree.body:
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        if any(name.split(".")[0] not in sys.modules for name in names):
            return False
    return True


def serve(
    out_dir: Path,
    *,
    require: str | None,
    exercises: list[str] | None,
    forks: Sequence[tuple[int, int]] = (),
    template: HostTemplate | None = None,
) -> int:
    """Grade what arrives on stdin; first fork one more judge per pair in ``forks``.

    Each pair is (requests, replies) file descriptors the orchestrator passed
    for another judge slot. The copies are forked once the imports are paid
    (they share those pages and cost no start-up of their own) and each starts
    its own sandbox host, as a judge started from scratch would. ``template``
    is a channel to a host template the orchestrator started (``--template-fd``);
    without one, this judge starts its own.
    """
    # Import while the host template boots (its own torch import, in another
    # process). The thread starts only once the template is launched: importing
    # torch holds the GIL for long stretches, and started earlier it held up
    # the launch by most of a second.
    warm = threading.Thread(target=_warm, args=(exercises,), name="warm-imports", daemon=True)
    if os.environ.get(TIMINGS_VARIABLE) == "1":
        timings.enable()
    try:
        with timings.phase("start.host"):
            host = SandboxHost(
                require=require, secrets=(out_dir,), on_launch=warm.start, template=template
            )
    except SandboxError as error:  # e.g. the required isolation level is out of reach
        if warm.is_alive():
            warm.join()  # it may be inside a check, with sys.stdout captured by pytest
        print(json.dumps({"ready": False, "error": str(error)}), flush=True)
        return 3
    with timings.phase("start.imports"):  # what the imports still needed after the host
        warm.join()
    from grader import runner

    with timings.phase("start.collect"):
        runner.prepare(exercises)  # collected once, here, for this judge and its forks
    with host:
        # Each fork's host comes from this judge's host template: a fork, not an import.
        templates = [host.attach_template() for _ in forks]
        children = [
            _fork(i, forks, templates, host, out_dir, require, exercises) for i in range(len(forks))
        ]
        ready = {"ready": True, "isolation": host.isolation.to_dict()}
        print(json.dumps({**ready, **_timings()}), flush=True)
        _grade_lines(host, out_dir, exercises)
        for pid in children:  # they stop when the orchestrator closes their requests
            os.waitpid(pid, 0)
    return 0


def _fork(
    index: int,
    channels: Sequence[tuple[int, int]],
    templates: Sequence[HostTemplate],
    host: SandboxHost,
    out_dir: Path,
    require: str | None,
    exercises: list[str] | None,
) -> int:
    """Fork the judge for ``channels[index]``; returns its pid (never returns in it).

    The fork starts its own host from ``templates[index]``, its own channel to
    this judge's host template.
    """
    channel = channels[index]
    sys.stdout.flush()
    pid = os.fork()
    if pid:
        os.close(channel[0])
        os.close(channel[1])
        templates[index].forget()  # the fork's channel now
        return pid
    code = 70
    try:
        host.forget()  # the parent's host: this judge starts its own
        for later in channels[index + 1 :]:  # earlier ones: closed before this fork
            os.close(later[0])
            os.close(later[1])
        for other in templates[index + 1 :]:
            other.forget()
        os.dup2(channel[0], 0)
        os.dup2(channel[1], 1)
        os.close(channel[0])
        os.close(channel[1])
        try:
            own = SandboxHost(require=require, secrets=(out_dir,), template=templates[index],
                              failed=host.failed)  # fmt: skip
        except SandboxError as error:
            print(json.dumps({"ready": False, "error": str(error)}), flush=True)
            code = 3
        else:
            with own:
                ready = {"ready": True, "isolation": own.isolation.to_dict(), "pid": os.getpid()}
                print(json.dumps(ready), flush=True)
                _grade_lines(own, out_dir, exercises)
            code = 0
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
        os._exit(code)  # nothing the parent registered (atexit, finalizers) runs twice


def _grade_lines(host: SandboxHost, out_dir: Path, exercises: list[str] | None) -> None:
    """Grade each submission named on stdin; reply with its report and the digests of
    what was written.

    The reports are written once ``grade_path`` has returned, that is once the
    submission's sandbox is closed and its processes are gone (the host's
    sweep answers only after it killed and reaped them). The reply carries
    the report itself, so the orchestrator never reads a grade back from the
    output folder, and the digests it checks again before the gradebook
    (``grader.reports.seal``).
    """
    from grader.checklib import cache as _cache
    from grader.grading import grade_path
    from grader.reports import report_json, submission_files, write_submission_reports
    from grader.reports.seal import digest_texts

    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        result = grade_path(Path(job["path"]), host, name=job["name"], exercises=exercises)
        with timings.phase("reports"):
            if job.get("write", True) is False:  # the orchestrator writes what policy makes
                report, digests = report_json(result), {}
            else:
                files = submission_files(result)
                write_submission_reports(result, out_dir, files=files)
                report, digests = files["report.json"], digest_texts(files)
        reply = {
            "name": result.submission,
            "status": result.status.value,
            "score": result.score,
            "report": report,
            "staff_log": result.staff_log,
            "digests": digests,
            **_timings(),
        }
        print(json.dumps(reply), flush=True)
        _cache.flush()  # expected values computed for this one, for the next run


def _timings() -> dict[str, object]:
    """What this judge's phases took since the last reply, when asked for (bench)."""
    if os.environ.get(TIMINGS_VARIABLE) != "1":
        return {}
    return {"timings": timings.take()}


def _channel(text: str) -> tuple[int, int]:
    requests, _, replies = text.partition(":")
    return int(requests), int(replies)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m grader.judge",
        description="Without --out, the settings come as the first line of stdin: "
        '{"config": {"out": DIR, "require": LEVEL, "exercises": [..], "environ": {..}}}, '
        "so that no path shows in this process's command line.",
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--require-isolation", default=None)
    parser.add_argument("--exercise", action="append", default=None)
    parser.add_argument(
        "--fork",
        type=_channel,
        action="append",
        default=[],
        metavar="REQUESTS:REPLIES",
        help="also serve another judge slot over these inherited descriptors (repeatable)",
    )
    parser.add_argument(
        "--template-fd",
        type=int,
        default=None,
        metavar="FD",
        help="an inherited channel to a host template to fork the sandbox host from",
    )
    args = parser.parse_args(argv)
    launcher.keep_private()
    out, require, exercises = args.out, args.require_isolation, args.exercise
    if out is None:
        line = sys.stdin.readline()
        if not line.strip():
            parser.error("no --out and no config line on stdin")
        config = json.loads(line)["config"]
        os.environ.update({str(k): str(v) for k, v in config.get("environ", {}).items()})
        out, require = Path(config["out"]), config.get("require")
        exercises = config.get("exercises")
    template = None
    if args.template_fd is not None:
        template = HostTemplate(socket.socket(fileno=args.template_fd), None)
    return serve(out, require=require, exercises=exercises, forks=args.fork,
                 template=template)  # fmt: skip


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything is written and the host is stopped: skip tearing down torch,
    # pandas and the rest (over a second of the grader's wall time).
    os._exit(code)
