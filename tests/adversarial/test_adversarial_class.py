"""Nothing lost: whole classes with hostile submissions, through the real CLI.

* A class in which submissions loop forever, exhaust memory and kill their
  worker still finishes, with a report for everyone and full marks for the
  correct ones (``bench/hostile_class.py`` with 4 correct submissions; the
  benchmark runs 20).
* Killing ``grader grade`` (SIGKILL to its whole process group) in the middle
  of a class and running the same command again finishes the class without
  regrading or rewriting the reports that were already finished. Both runs
  ``--require-isolation`` at the highest level this machine reaches (L3 here),
  which must pass and be recorded in every report.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from adversarial_support import CONTROL_SOURCE, REPO, TOUCHED

from grader.sandbox.trusted import launcher

_SPEC = importlib.util.spec_from_file_location("hostile_class", REPO / "bench" / "hostile_class.py")
assert _SPEC is not None and _SPEC.loader is not None
hostile_class = importlib.util.module_from_spec(_SPEC)
sys.modules["hostile_class"] = hostile_class  # dataclasses look their module up there
_SPEC.loader.exec_module(hostile_class)


def test_hostile_class_finishes_with_a_report_for_everyone(tmp_path: Path) -> None:
    wall = hostile_class.run(n_correct=4, jobs=2, keep=tmp_path)
    reports = sorted(p.parent.name for p in (tmp_path / "out").glob("*/report.json"))
    assert reports == sorted(
        [f"student-{i:02d}" for i in range(1, 5)] + [h.name for h in hostile_class.HOSTILE]
    )
    rows = (tmp_path / "out" / "gradebook.csv").read_text().splitlines()
    assert len(rows) == 1 + len(reports)
    assert wall < 120


TEMPLATE = str(REPO / "grader" / "sandbox" / "confined" / "template.py")


def _grader_processes() -> set[int]:
    """This checkout's judges (run from it) and host templates (hosts are their forks).

    No trusted process names the output folder on its command line, so they
    are told apart by the checkout they run from.
    """
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()[0]
            judge = b"grader.judge" in cmdline and os.readlink(f"/proc/{entry}/cwd") == str(REPO)
        except OSError:
            continue
        if (judge or TEMPLATE.encode() in cmdline) and state not in "ZX":
            found.add(int(entry))
    return found


def test_killed_grader_resumes_without_regrading(tmp_path: Path) -> None:
    correct = CONTROL_SOURCE
    slow = correct.replace(
        "import torch\n",
        "import time\n\nimport torch\n\ntime.sleep(3)  # slow but right: busy when killed\n",
        1,
    )
    assert slow.count("time.sleep(3)") == 1
    class_dir = tmp_path / "class"
    sources = {"a": correct, "b": correct, "c": slow, "d": correct, "e": correct}
    for name, source in sources.items():
        (class_dir / name).mkdir(parents=True)
        (class_dir / name / f"{TOUCHED}.py").write_text(source)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader.cli", "grade", "--class", str(class_dir), "--out",
               str(out), "--jobs", "1", "--exercise", TOUCHED, "-q"]  # fmt: skip
    level = "L3" if launcher.machine().namespaces else "L1"
    command += ["--require-isolation", level]  # reachable here: must pass, and be recorded

    before = _grader_processes()
    grader = subprocess.Popen(
        command, cwd=REPO, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (out / "b" / "report.json").exists():
            assert grader.poll() is None, "the grader finished before it could be killed"
            assert time.monotonic() < deadline, "the grader made no progress"
            time.sleep(0.02)
        assert not (out / "c" / "report.json").exists()
        os.killpg(grader.pid, signal.SIGKILL)  # the CLI and its judges, mid-class
    finally:
        grader.wait(timeout=30)
    assert grader.returncode == -signal.SIGKILL

    # What outlived the kill (the sandbox host, in its own session) goes once its judge is gone.
    deadline = time.monotonic() + 15
    while left := _grader_processes() - before:
        assert time.monotonic() < deadline, f"left running: {left}"
        time.sleep(0.1)

    finished = {
        path.parent.name: (path.read_bytes(), path.stat().st_mtime_ns)
        for path in out.glob("*/report.json")
    }
    assert set(finished) == {"a", "b"}

    again = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    # "b" may have been killed between the judge's report and the course policy's
    # (identity) rewrite of it: resume completes that one without grading it again.
    # A report policy had finished is not touched at all.
    for name, (data, mtime) in finished.items():
        path = out / name / "report.json"
        was, now = json.loads(data), json.loads(path.read_bytes())
        assert (now["checks"], now["duration"]) == (was["checks"], was["duration"]), name
        if "student" in was:
            assert path.read_bytes() == data and path.stat().st_mtime_ns == mtime, name
    assert "student" in json.loads(finished["a"][0]), "a was finished before b started"
    reports = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/report.json")}
    assert set(reports) == {"a", "b", "c", "d", "e"}
    for report in reports.values():
        assert report["status"] == "graded" and report["score"] == report["max_score"] == 8
        assert report["isolation"]["level"] == level
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert len(rows) == 6
