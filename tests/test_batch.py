"""The orchestrator's side of a class: forked judges, their replacements, a light process.

The judge here is a stand-in speaking the judge protocol (no torch, no
sandbox): it "grades" by writing a not-gradable report naming who graded,
so the tests see which judge took which submission. The real judge is run by
the end-to-end tests (``tests/e2e``), with ``--jobs 2``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from grader import batch
from grader.batch import JudgeStartError, default_jobs, grade_class

FAKE_JUDGE = """
import json, os, sys, time
from pathlib import Path
from grader.grading import not_gradable
from grader.reports import submission_files, write_submission_reports
from grader.reports.seal import digest_texts

args = sys.argv[1:]
config = json.loads(sys.stdin.readline())["config"]  # a judge's settings come on stdin
out = Path(config["out"])
mode = args[args.index("--mode") + 1]
forks = [tuple(map(int, args[i + 1].split(":"))) for i, a in enumerate(args) if a == "--fork"]
channel = "no-template"
if "--template-fd" in args:  # what the orchestrator handed over must be a live socket
    import stat
    fd = int(args[args.index("--template-fd") + 1])
    channel = "template-socket" if stat.S_ISSOCK(os.fstat(fd).st_mode) else "template-other"


def serve(who):
    if mode == "refuse":
        print(json.dumps({"ready": False, "error": "no sandbox here"}), flush=True)
        return
    print(json.dumps({"ready": True, "pid": os.getpid()}), flush=True)
    for n, line in enumerate(sys.stdin):
        job = json.loads(line)
        if mode == "fork-dies" and who == "forked" and n == 1:
            os._exit(9)  # mid-submission, without a reply
        time.sleep(0.2)  # slow enough that every judge gets work
        result = not_gradable(job["name"], f"{who} {os.getpid()} {channel}")
        files = submission_files(result)
        write_submission_reports(result, out, files=files)
        report, digests = files["report.json"], digest_texts(files)
        reply = {"name": job["name"], "report": report, "digests": digests}
        print(json.dumps(reply), flush=True)


children = []
for i, (requests, replies) in enumerate(forks):
    if mode == "ignore-forks":
        os.close(requests)
        os.close(replies)
        continue
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        for later in forks[i + 1:]:
            os.close(later[0])
            os.close(later[1])
        os.dup2(requests, 0)
        os.dup2(replies, 1)
        serve("forked")
        sys.stdout.flush()
        os._exit(0)
    os.close(requests)
    os.close(replies)
    children.append(pid)
serve("started")
for pid in children:
    os.waitpid(pid, 0)
"""


@pytest.fixture
def fake_judge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    script = tmp_path / "fake_judge.py"
    script.write_text(FAKE_JUDGE)

    def use(mode: str) -> None:
        def command(out_dir: Path, require: object, exercises: object) -> list[str]:
            return [sys.executable, str(script), "--mode", mode]

        monkeypatch.setattr(batch, "_judge_command", command)

    return use


def make_class(root: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        path = root / f"student-{i}"
        path.mkdir(parents=True)
        paths.append(path)
    return paths


def graded_by(out: Path) -> dict[str, str]:
    return {
        path.parent.name: json.loads(path.read_text())["reason"]
        for path in out.glob("*/report.json")
    }


def test_one_judge_is_started_and_forks_the_others(
    tmp_path: Path, fake_judge: Callable[[str], None]
) -> None:
    fake_judge("fork")
    results = grade_class(make_class(tmp_path / "class", 6), tmp_path / "out", jobs=2)
    assert len(results) == 6
    who = graded_by(tmp_path / "out")
    assert len(who) == 6
    kinds = {reason.split()[0] for reason in who.values()}
    assert kinds == {"started", "forked"}  # both judges took work
    assert len({reason.split()[1] for reason in who.values()}) == 2  # two processes


def test_a_fork_that_never_says_ready_is_replaced(
    tmp_path: Path, fake_judge: Callable[[str], None]
) -> None:
    fake_judge("ignore-forks")
    results = grade_class(make_class(tmp_path / "class", 4), tmp_path / "out", jobs=2)
    who = graded_by(tmp_path / "out")
    assert len(results) == len(who) == 4
    assert {reason.split()[0] for reason in who.values()} == {"started"}
    assert len({reason.split()[1] for reason in who.values()}) == 2  # a second judge was started


def test_every_judge_started_gets_a_channel_to_the_callers_template(
    tmp_path: Path, fake_judge: Callable[[str], None]
) -> None:
    from grader.sandbox.trusted.spawner import HostTemplate

    fake_judge("ignore-forks")  # so that a second judge is started, not forked
    template = HostTemplate.start(log=None, spares=1)
    try:
        # Once it serves, a channel made on request is as quick as the spare: the
        # second judge then starts as soon as in the test above, and takes work.
        template.attach().close()
        grade_class(make_class(tmp_path / "class", 4), tmp_path / "out", jobs=2, template=template)
    finally:
        template.close()
    who = graded_by(tmp_path / "out")
    assert len({reason.split()[1] for reason in who.values()}) == 2  # two judges started
    assert {reason.split()[2] for reason in who.values()} == {"template-socket"}
    # and without one, judges start their own
    grade_class(make_class(tmp_path / "again", 2), tmp_path / "out2", jobs=1)
    assert {r.split()[2] for r in graded_by(tmp_path / "out2").values()} == {"no-template"}


def test_a_forked_judge_that_dies_costs_only_its_submission(
    tmp_path: Path, fake_judge: Callable[[str], None]
) -> None:
    fake_judge("fork-dies")
    results = grade_class(make_class(tmp_path / "class", 6), tmp_path / "out", jobs=2)
    who = graded_by(tmp_path / "out")
    assert len(results) == len(who) == 6
    crashed = [name for name, reason in who.items() if "crashed" in reason]
    assert len(crashed) == 1
    assert sum(reason.startswith(("started", "forked")) for reason in who.values()) == 5


def test_no_judge_can_start(tmp_path: Path, fake_judge: Callable[[str], None]) -> None:
    fake_judge("refuse")
    with pytest.raises(JudgeStartError, match="no sandbox here"):
        grade_class(make_class(tmp_path / "class", 3), tmp_path / "out", jobs=2)


def test_the_orchestrator_never_imports_torch() -> None:
    code = (
        "import sys\n"
        "import grader.batch, grader.cli, grader.commands.grade, grader.reports\n"
        "from grader.grading import not_gradable\n"
        "not_gradable('x', 'y')\n"
        "heavy = sorted(m for m in ('torch', 'numpy', 'pytest') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_default_jobs_is_between_one_and_the_cores() -> None:
    assert 1 <= default_jobs() <= (os.cpu_count() or 1)
