"""Who writes a submission's reports: the judge, unless the orchestrator rewrites them.

A class graded with course policy (`grader grade --class`: identity, late
penalties, overrides) has every report rewritten by the orchestrator from
what policy made. The judge is then asked not to write (``"write": false``)
and replies with the report alone, so no report is rendered twice, and what
ends up on disk is still every file, written once.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader.reports import parse_report

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "class"


def test_a_judge_asked_not_to_write_replies_with_the_same_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    judge = subprocess.Popen(
        [sys.executable, "-m", "grader.judge", "--out", str(out)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert judge.stdin is not None and judge.stdout is not None
    try:
        assert json.loads(judge.stdout.readline())["ready"] is True
        replies = []
        for job in ({"name": "written"}, {"name": "quiet", "write": False}):
            judge.stdin.write(json.dumps({"path": str(EXAMPLES / "carol"), **job}) + "\n")
            judge.stdin.flush()
            replies.append(json.loads(judge.stdout.readline()))
    finally:
        judge.stdin.close()
        assert judge.wait(timeout=60) == 0
    written, quiet = replies
    files = {"feedback.html", "feedback.md", "report.json", "results.json"}
    assert files <= {p.name for p in (out / "written").iterdir()}
    assert files <= set(written["digests"])
    assert not (out / "quiet").exists() and quiet["digests"] == {}
    ours, theirs = (parse_report(r["report"], where="reply") for r in replies)
    assert theirs.score == ours.score < 100  # carol loses points: a real report either way
    assert [(c.name, c.status, c.points) for c in theirs.checks] == [
        (c.name, c.status, c.points) for c in ours.checks
    ]


def test_a_class_with_policy_gets_every_file_from_the_orchestrator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from grader import batch

    sent: list[bool] = []
    real = batch._Judge.grade

    def grade(self: batch._Judge, job: batch.Job, *, write: bool = True) -> object:
        sent.append(write)
        return real(self, job, write=write)

    monkeypatch.setattr(batch._Judge, "grade", grade)
    results = batch.grade_class(
        [EXAMPLES / "carol"],
        tmp_path / "out",
        resume=False,
        finish=lambda r: r,  # policy that changes nothing still rewrites
    )
    assert sent == [False]
    folder = tmp_path / "out" / "carol"
    assert {"feedback.html", "feedback.md", "report.json", "results.json"} <= {
        p.name for p in folder.iterdir()
    }
    on_disk = parse_report((folder / "report.json").read_text(), where="report.json")
    assert on_disk.score == results[0].score < 100
