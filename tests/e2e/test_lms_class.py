"""``grader grade --class download.zip`` on a Canvas bulk download, as an instructor runs it.

The download is built here from the example class's ex08 files, named the
way Canvas names them: a LATE marker, a ``-1`` re-upload, spaces and
capitals, a student with two files for one exercise, a file that is no
exercise, and a file that belongs to nobody. With a roster, a deadline, a
per-student due date, a late policy and an override, one run must give one
gradebook row per student, the roster's names (accents kept), the newest
file graded and the older one named, the penalty taken, and a Canvas import
file. Reruns must keep every report and every override.

One run grades 4 submissions of one quick exercise; the reruns keep them all.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from course_files import COURSE

from grader.cli import main

CLASS = COURSE.root / "examples" / "class"
EXERCISE = "ex08_activations"
FULL = CLASS / "alice" / f"{EXERCISE}.py"  # every ex08 check passes
PARTIAL = COURSE.exercises_dir / f"{EXERCISE}.py"  # the unsolved stub: no ex08 check passes
NOTEBOOK = CLASS / "bob" / f"{EXERCISE}.ipynb"  # a correct notebook

DOWNLOAD = {
    # Kim: an on-time partial file, then a LATE notebook re-uploaded under a sloppy name
    "kimlee_48213_990001_ex08_activations.py": PARTIAL,
    "kimlee_LATE_48213_991024_Ex08 Activations-1.ipynb": NOTEBOOK,
    # José: two files for ex08; the higher attachment id is the newer upload
    "garciajose_51234_990100_ex08_activations (1).py": PARTIAL,
    "garciajose_51234_990101_EX08-Activations-2.py": FULL,
    # Ann: on time by her own due date (an extension), a note that is no exercise
    "smithann_60001_990200_ex08_activations.py": PARTIAL,
    "smithann_60001_990201_notes.txt": b"I used the lecture notes\n",
    # someone who is not on the roster
    "doejane_99999_990300_ex08_activations.py": FULL,
    # a file that belongs to nobody
    "grades_export.csv": b"not a submission\n",
}
ROSTER = (
    "id,name,email,section,due,SIS Login ID\n"
    "48213,Kim Lee,kim@example.edu,A,,klee\n"
    "51234,José García,jose@example.edu,A,,jgarcia\n"
    "60001,Ann Smith,ann@example.edu,B,2026-03-05T23:59:00+00:00,asmith\n"
    "70002,Zoë Brontë,zoe@example.edu,B,,zbronte\n"
)
DEADLINE = "2026-03-01T23:59:00+00:00"
TIMES = (
    "id,submitted_at\n"
    "48213,2026-03-03T01:00:00+00:00\n"  # 25 h late: 2 started days after the grace
    "51234,2026-03-01T23:50:00+00:00\n"  # on time
    "60001,2026-03-04T10:00:00+00:00\n"  # late for the class, on time for her due date
)
OVERRIDES = "id,target,points,comment\n60001,ex08_activations,+1,plot checked by hand\n"


def _download(folder: Path) -> Path:
    path = folder / "submissions.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, source in DOWNLOAD.items():
            archive.writestr(name, source if isinstance(source, bytes) else source.read_bytes())
    return path


def _argv(folder: Path, out: Path) -> list[str]:
    return [
        "grade", "--class", str(folder / "submissions.zip"), "--out", str(out),
        "--roster", str(folder / "roster.csv"), "--timestamps", str(folder / "times.csv"),
        "--deadline", DEADLINE, "--late-policy", "per_day=10,grace_minutes=15,max=50",
        "--overrides", str(folder / "overrides.csv"), "--export", "canvas",
        "--export-column", "Homework 8 (4321)", "--exercise", EXERCISE, "--jobs", "2", "-q",
    ]  # fmt: skip


def _grade(folder: Path, out: Path) -> str:
    """Run the command; what it printed to stderr (a module fixture has no capsys)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(_argv(folder, out)) == 0
    return err.getvalue()


def _rows(path: Path) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in csv.DictReader(path.open(encoding="utf-8"))}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    folder = tmp_path_factory.mktemp("canvas")
    _download(folder)
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (folder / "times.csv").write_text(TIMES, encoding="utf-8")
    (folder / "overrides.csv").write_text(OVERRIDES, encoding="utf-8")
    out = folder / "out"
    return folder, out, _grade(folder, out)


def _report(out: Path, student_id: str) -> dict:
    row = _rows(out / "gradebook.csv")[student_id]
    return json.loads((out / row["submission"] / "report.json").read_text(encoding="utf-8"))


def test_the_layout_is_detected_and_every_student_gets_one_row(run: tuple[Path, Path, str]) -> None:
    _, out, err = run
    assert "layout: canvas (detected), 4 students" in err
    rows = _rows(out / "gradebook.csv")
    assert sorted(rows) == ["48213", "51234", "60001", "70002", "99999"]
    names = {key: row["name"] for key, row in rows.items()}
    assert names == {
        "48213": "Kim Lee", "51234": "José García", "60001": "Ann Smith",
        "70002": "Zoë Brontë", "99999": "doejane",
    }  # fmt: skip
    assert len({row["submission"] for row in rows.values()}) == 5


def test_the_newest_upload_is_graded_and_the_older_one_is_named(
    run: tuple[Path, Path, str],
) -> None:
    _, out, _ = run
    rows = _rows(out / "gradebook.csv")
    jose = rows["51234"]
    assert jose["raw_score"] == jose["max_score"] == jose["score"]  # the full file, 990101
    assert jose["late_penalty"] == "0"
    report = _report(out, "51234")
    notes = report["student"]["notes"]
    (chosen,) = [n for n in notes if "not the older" in n]
    assert "990101_EX08-Activations-2.py" in chosen and "990100_ex08_activations (1).py" in chosen
    assert sorted(report["student"]["paths"]) == [
        "garciajose_51234_990100_ex08_activations (1).py",
        "garciajose_51234_990101_EX08-Activations-2.py",
    ]
    feedback = (out / jose["submission"] / "feedback.md").read_text(encoding="utf-8")
    assert "garciajose_51234_990100_ex08_activations (1).py" in feedback  # the student sees it


def test_the_late_notebook_wins_and_pays_two_days(run: tuple[Path, Path, str]) -> None:
    _, out, _ = run
    kim = _rows(out / "gradebook.csv")["48213"]
    top = float(kim["max_score"])
    assert float(kim["raw_score"]) == top  # the LATE notebook, not the older partial file
    assert float(kim["late_penalty"]) == pytest.approx(0.2 * top)  # 2 started days at 10 %
    assert float(kim["score"]) == pytest.approx(0.8 * top)
    report = _report(out, "48213")
    (late,) = [a for a in report["adjustments"] if a["kind"] == "late"]
    assert "2 started day(s)" in late["detail"] and "15-minute grace" in late["detail"]
    feedback = (out / kim["submission"] / "feedback.md").read_text(encoding="utf-8")
    assert "2 started day(s)" in feedback  # the student is told how the penalty was computed


def test_a_per_student_due_date_and_an_override(run: tuple[Path, Path, str]) -> None:
    _, out, _ = run
    ann = _rows(out / "gradebook.csv")["60001"]
    report = _report(out, "60001")
    own = sum(check["points"] for check in report["checks"])  # the grader's own result
    assert own == 0  # the stub
    assert ann["late_penalty"] == "0"  # late for the class, on time for her due date
    assert float(ann["raw_score"]) == pytest.approx(own + 1)
    assert float(ann[EXERCISE]) == pytest.approx(own + 1)
    (override,) = [a for a in report["adjustments"] if a["kind"] == "override"]
    assert override["comment"] == "plot checked by hand"
    feedback = (out / ann["submission"] / "feedback.md").read_text(encoding="utf-8")
    assert "plot checked by hand" in feedback


def test_missing_unknown_and_unmatched_are_all_shown(run: tuple[Path, Path, str]) -> None:
    _, out, err = run
    rows = _rows(out / "gradebook.csv")
    assert (rows["70002"]["status"], rows["70002"]["score"]) == ("missing", "0")
    assert "not on the roster" in rows["99999"]["reason"]
    assert rows["99999"]["status"] == "graded"
    assert "grades_export.csv" in err
    assert "smithann_60001_990201_notes.txt" in err


def test_the_canvas_import_file(run: tuple[Path, Path, str]) -> None:
    _, out, _ = run
    lines = list(csv.reader((out / "canvas.csv").open(encoding="utf-8")))
    header, possible, *rows = lines
    assert header == [
        "Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 8 (4321)",
    ]  # fmt: skip
    gradebook = _rows(out / "gradebook.csv")
    assert possible[0] == "Points Possible" and float(possible[-1]) == float(
        gradebook["51234"]["max_score"]
    )
    by_id = {row[1]: row for row in rows}
    assert sorted(by_id) == sorted(gradebook)
    assert by_id["51234"][:5] == ["José García", "51234", "", "jgarcia", "A"]
    assert by_id["99999"][:5] == ["doejane", "99999", "", "", ""]  # not on the roster
    for key, row in gradebook.items():
        assert by_id[key][-1] == row["score"]  # the final score, after penalty and override
    assert by_id["70002"][-1] == "0"


def test_a_rerun_keeps_every_report_and_every_override(run: tuple[Path, Path, str]) -> None:
    folder, out, _ = run
    before = (out / "gradebook.csv").read_text(encoding="utf-8")
    assert "resumed: kept 4" in _grade(folder, out)
    assert (out / "gradebook.csv").read_text(encoding="utf-8") == before
    assert (out / "changes.csv").read_text(encoding="utf-8").count("\n") == 1  # header only

    # a changed override moves one score, without regrading anyone, and changes.csv says so
    (folder / "overrides.csv").write_text(
        OVERRIDES + "51234,total,-2,copied the docstring\n", encoding="utf-8"
    )
    assert "resumed: kept 4" in _grade(folder, out)
    rows = _rows(out / "gradebook.csv")
    jose = rows["51234"]
    assert float(jose["score"]) == pytest.approx(float(jose["max_score"]) - 2)
    assert float(rows["60001"]["raw_score"]) == float(_rows_from(before)["60001"]["raw_score"])
    changes = list(csv.DictReader((out / "changes.csv").open(encoding="utf-8")))
    assert [c["id"] for c in changes] == ["51234"]
    assert changes[0]["name"] == "José García"
    assert "overrides" in changes[0]["moved_by"]


def _rows_from(text: str) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in csv.DictReader(text.splitlines())}
