"""End to end through the real CLI and sandbox: the example class and ``verify``.

One class run serves every test in this module (grading is the slow part).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from course_files import COURSE

from grader.assignment import EXERCISES
from grader.cli import main
from grader.sandbox.trusted.limits import OVERRIDES_VARIABLE, Limits

CLASS = COURSE.root / "examples" / "class"


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:  # --limit leaves its values for the judges
        patch.setenv(OVERRIDES_VARIABLE, "")
        argv = ["grade", "--class", str(CLASS), "--out", str(out), "--jobs", "2", "-q"]
        assert main([*argv, "--limit", "output_bytes=2M"]) == 0
    return out


def report(out: Path, name: str) -> dict:
    return json.loads((out / name / "report.json").read_text())


def test_every_submission_gets_every_report(demo_out: Path) -> None:
    for name in ("alice", "bob", "carol", "dave", "erin"):
        for file in ("report.json", "feedback.md", "results.json"):
            assert (demo_out / name / file).is_file(), f"{name}/{file} missing"
    assert (demo_out / "gradebook.csv").is_file()
    assert (demo_out / "junit.xml").is_file()


def test_correct_modules_and_notebooks_get_full_marks(demo_out: Path) -> None:
    for name in ("alice", "bob"):
        data = report(demo_out, name)
        assert data["status"] == "graded"
        assert data["score"] == data["max_score"] == 100
        assert data["schema_version"] == 1
        assert data["isolation"]["level"] in {"L1", "L2", "L3"}


def test_every_report_records_the_limits_it_was_graded_under(demo_out: Path) -> None:
    defaults = Limits().to_dict()
    for name in ("alice", "carol", "erin"):
        limits = report(demo_out, name)["limits"]
        assert limits["output_bytes"] == 2 << 20  # from --limit
        assert limits["call_timeout"] == COURSE.limits.get("call_timeout", defaults["call_timeout"])
        assert set(limits) == set(defaults)


def test_notebook_and_module_of_the_same_code_grade_the_same(demo_out: Path) -> None:
    alice = {c["id"]: (c["status"], c["points"]) for c in report(demo_out, "alice")["checks"]}
    bob = {c["id"]: (c["status"], c["points"]) for c in report(demo_out, "bob")["checks"]}
    assert alice == bob
    notes = " ".join(report(demo_out, "bob")["notes"])
    assert "pip install torchinfo" in notes


def test_partial_submission_scores_only_what_is_done(demo_out: Path) -> None:
    data = report(demo_out, "carol")
    exercises = data["exercises"]
    for name in EXERCISES:
        got = exercises[name]["score"]
        if name <= "ex05":
            assert got == exercises[name]["max_score"], name
        else:
            assert got == 0, name
    stubbed = [c for c in data["checks"] if c["exercise"] >= "ex06"]
    assert all("NotImplementedError" in c["message"] for c in stubbed)


def test_lesson_mistakes_are_named(demo_out: Path) -> None:
    checks = report(demo_out, "dave")["checks"]
    mistakes = {c["mistake"] for c in checks if c["mistake"]}
    assert {"softmax_twice", "weight_not_transposed", "missing_zero_grad"} <= mistakes
    lost = {c["function"] for c in checks if c["status"] != "passed"}
    assert lost == {"cross_entropy_manual", "linear_forward", "forward_manual", "train"}


def test_broken_notebook_costs_only_its_exercise(demo_out: Path) -> None:
    data = report(demo_out, "erin")
    assert data["status"] == "graded"
    assert data["exercises"]["ex03_forward_pass"]["score"] == 0
    assert data["score"] == 100 - data["exercises"]["ex03_forward_pass"]["max_score"]
    broken = [c for c in data["checks"] if c["exercise"] == "ex03_forward_pass"]
    assert broken and all("could not be parsed" in c["message"] for c in broken)


def test_gradebook_and_junit_agree_with_the_reports(demo_out: Path) -> None:
    rows = {r["submission"]: r for r in csv.DictReader((demo_out / "gradebook.csv").open())}
    assert set(rows) == {"alice", "bob", "carol", "dave", "erin"}
    for name, row in rows.items():
        assert float(row["score"]) == report(demo_out, name)["score"]
    suites = ET.parse(demo_out / "junit.xml").getroot()
    dave = next(s for s in suites.iter("testsuite") if s.get("name") == "dave")
    failing = sum(1 for c in report(demo_out, "dave")["checks"] if c["status"] != "passed")
    assert int(dave.get("failures", 0)) + int(dave.get("errors", 0)) == failing


def test_rerun_keeps_finished_reports(demo_out: Path) -> None:
    before = {p: p.read_bytes() for p in demo_out.glob("*/report.json")}
    assert main(["grade", "--class", str(CLASS), "--out", str(demo_out), "-q"]) == 0
    assert {p: p.read_bytes() for p in demo_out.glob("*/report.json")} == before


def test_rerun_regrades_a_submission_whose_feedback_a_power_cut_emptied(demo_out: Path) -> None:
    # Only report.json is fsynced; a sibling left empty means "grade it again".
    others = {p: p.read_bytes() for p in demo_out.glob("*/report.json") if p.parent.name != "bob"}
    (demo_out / "bob" / "feedback.md").write_text("")
    assert main(["grade", "--class", str(CLASS), "--out", str(demo_out), "-q"]) == 0
    assert "bob" in (demo_out / "bob" / "feedback.md").read_text()
    assert {p: p.read_bytes() for p in others} == others


def test_verify_passes_on_the_course() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "grader.cli", "verify"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "reference solutions: 100/100" in result.stdout
    assert "untouched stubs:     0/100" in result.stdout
    # the [mutants] quick list's score, every variant of it killed
    line = next(x for x in result.stdout.splitlines() if x.startswith("mutants (quick: "))
    assert "mutation score 100.0%" in line and "threshold 98%" in line, line


def test_missing_path_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["grade", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "error:" in err and "nope" in err and "hint:" in err
