"""``grader grade --class X.zip`` on Moodle, Blackboard, Gradescope and GitHub Classroom downloads.

The point is intake and identity through the real command, so the files are
stubs (``X = 1``) graded on one or two exercises: every student gets one row,
with the name the LMS gave, their own report folder, the exercise file found
under its sloppy name, and the file left out named where staff look.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

from grader.cli import main

LMS = Path(__file__).resolve().parent.parent / "files" / "lms"


def _grade(zip_name: str, out: Path, *extra: str) -> str:
    err = io.StringIO()
    argv = ["grade", "--class", str(LMS / zip_name), "--out", str(out), "--jobs", "2", "-q"]
    with contextlib.redirect_stderr(err):
        assert main([*argv, *extra]) == 0
    return err.getvalue()


def _rows(out: Path) -> dict[str, dict[str, str]]:
    return {
        row["id"]: row for row in csv.DictReader((out / "gradebook.csv").open(encoding="utf-8"))
    }


def _notes(out: Path, row: dict[str, str]) -> list[str]:
    report = json.loads((out / row["submission"] / "report.json").read_text(encoding="utf-8"))
    return report["student"]["notes"]


def test_moodle_names_kept_browser_copy_graded_and_moodle_export(tmp_path: Path) -> None:
    out = tmp_path / "out"
    err = _grade(
        "moodle.zip", out, "--exercise", "ex01", "--exercise", "ex05", "--export", "moodle"
    )
    assert "layout: moodle (detected), 3 students" in err
    rows = _rows(out)
    assert {key: row["name"] for key, row in rows.items()} == {
        "1001": "José García", "1002": "Jose Garcia", "1003": "Ann Smith",
    }  # fmt: skip
    assert len({row["submission"] for row in rows.values()}) == 3  # accents never merge two
    jose = rows["1001"]
    assert jose["status"] == "graded" and jose["ex05_optimizer"] == "0"  # graded, not skipped
    assert any("ex05_optimizer (1).ipynb as ex05_optimizer.ipynb" in n for n in _notes(out, jose))
    feedback = (out / jose["submission"] / "feedback.md").read_text(encoding="utf-8")
    assert feedback.startswith("# Feedback: José García (1001) — 0 / ")
    assert "Ann Smith_1003_assignsubmission_onlinetext_" in err  # not graded, and said so
    moodle = {r["Identifier"]: r for r in csv.DictReader((out / "moodle.csv").open())}
    assert sorted(moodle) == ["Participant 1001", "Participant 1002", "Participant 1003"]
    assert moodle["Participant 1001"]["Full name"] == "José García"


def test_blackboard_newest_attempt_and_the_receipt_name(tmp_path: Path) -> None:
    out = tmp_path / "out"
    err = _grade("blackboard.zip", out, "--exercise", "ex01", "--exercise", "ex02")
    assert "layout: blackboard (detected), 2 students" in err
    rows = _rows(out)
    assert sorted(rows) == ["jdoe", "mroe"]
    jane = rows["jdoe"]
    assert jane["name"] == "Jane Doe"  # from the attempt's .txt receipt
    (newest,) = [n for n in _notes(out, jane) if "not the older" in n]
    assert "2026-03-02-09-00-00" in newest.split(", not")[0]
    assert rows["mroe"]["ex02_regression_binary"] == "0"  # "ex02 regression binary.py" found


def test_gradescope_export_names_from_the_metadata(tmp_path: Path) -> None:
    out = tmp_path / "out"
    err = _grade("gradescope.zip", out, "--exercise", "ex02")
    assert "layout: gradescope (detected), 2 students" in err
    rows = _rows(out)
    assert {key: row["name"] for key, row in rows.items()} == {"s1": "Zoë Ng", "s2": "Omar Haddad"}


def test_github_classroom_repositories_by_username(tmp_path: Path) -> None:
    out = tmp_path / "out"
    err = _grade("github.zip", out, "--layout", "github", "--exercise", "ex01")
    assert "layout: github (given), 2 students" in err
    rows = _rows(out)
    assert sorted(rows) == ["alice", "bob-smith"]  # the common "hw3-" prefix is not the student
    assert rows["alice"]["paths"] == "hw3-alice"
