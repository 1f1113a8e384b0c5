"""``grader grade --shard I/N`` then ``grader merge``: the same class folder as one run.

The example class (5 submissions) is graded once whole and once in 2 shards,
on two quick exercises; later tests reuse those folders.
"""

from __future__ import annotations

import csv
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from course_files import COURSE

from grader.cli import main
from grader.merge import MergeError, merge_shards

CLASS = COURSE.root / "examples" / "class"
QUICK = ["--exercise", "ex08_activations", "--exercise", "ex09_capacity", "-q"]
NAMES = {"alice", "bob", "carol", "dave", "erin"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("shards")
    folders = {"whole": base / "whole", "1": base / "shard1", "2": base / "shard2"}
    assert main(["grade", "--class", str(CLASS), "--out", str(folders["whole"]), *QUICK]) == 0
    for index in ("1", "2"):
        shard = ["--shard", f"{index}/2", "--out", str(folders[index])]
        assert main(["grade", "--class", str(CLASS), *shard, *QUICK]) == 0
    return folders


def submissions(folder: Path) -> set[str]:
    return {p.parent.name for p in folder.glob("*/report.json")}


def copy_shard(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def test_shards_split_the_class(runs: dict[str, Path]) -> None:
    first, second = submissions(runs["1"]), submissions(runs["2"])
    assert first and second and not first & second
    assert first | second == NAMES


def test_merged_gradebook_equals_an_unsharded_run(
    runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    merged = tmp_path / "merged"
    assert main(["merge", str(merged), str(runs["1"]), str(runs["2"])]) == 0
    assert "merged 5 submissions" in capsys.readouterr().err

    whole = (runs["whole"] / "gradebook.csv").read_text(encoding="utf-8")
    assert (merged / "gradebook.csv").read_text(encoding="utf-8") == whole
    assert submissions(merged) == NAMES
    for name in NAMES:
        for file in ("report.json", "feedback.md", "results.json"):
            assert (merged / name / file).is_file(), f"{name}/{file}"
    class_files = {p.name for p in runs["whole"].iterdir() if p.is_file()}
    assert class_files >= {"gradebook.csv", "junit.xml"}  # and summary.html, once written
    assert class_files <= {p.name for p in merged.iterdir() if p.is_file()}
    suites = ET.parse(merged / "junit.xml").getroot()
    assert {suite.get("name") for suite in suites.iter("testsuite")} == NAMES
    # the merged reports are the shards' reports, byte for byte
    for name in NAMES:
        shard = runs["1"] if (runs["1"] / name).is_dir() else runs["2"]
        copied = (merged / name / "report.json").read_bytes()
        assert copied == (shard / name / "report.json").read_bytes()


def test_merging_shard_by_shard_gives_the_same_folder(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    merged = tmp_path / "merged"
    first = merge_shards(merged, [runs["1"]])
    assert {r.submission for r in first.results} == submissions(runs["1"])
    second = merge_shards(merged, [runs["2"]])
    assert second.copied == len(submissions(runs["2"]))
    whole = (runs["whole"] / "gradebook.csv").read_text(encoding="utf-8")
    assert (merged / "gradebook.csv").read_text(encoding="utf-8") == whole


def test_same_submission_twice_with_the_same_files_is_accepted(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    summary = merge_shards(tmp_path / "merged", [runs["1"], runs["2"], runs["whole"]])
    assert summary.duplicates == 5
    assert len(summary.results) == 5


def test_duplicate_with_different_files_is_refused_by_name(
    runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = copy_shard(runs["whole"], tmp_path / "stale")
    name = sorted(submissions(runs["2"]))[0]
    report = stale / name / "report.json"
    data = json.loads(report.read_text())
    data["fingerprint"] = "0" * 16  # as if the student had pushed again since this run
    report.write_text(json.dumps(data))
    merged = tmp_path / "merged"

    code = main(["merge", str(merged), str(runs["1"]), str(runs["2"]), str(stale)])

    err = capsys.readouterr().err
    assert code == 2
    assert f"submission {name!r} was graded differently" in err and "hint:" in err
    assert not merged.exists()  # refused before anything was copied


def test_unfinished_submission_is_refused(runs: dict[str, Path], tmp_path: Path) -> None:
    shard = copy_shard(runs["1"], tmp_path / "shard")
    name = sorted(submissions(shard))[0]
    (shard / name / "report.json").unlink()  # a judge killed before its last write
    with pytest.raises(MergeError, match=f"{name} has reports but no report.json"):
        merge_shards(tmp_path / "merged", [shard, runs["2"]])


def test_output_folder_cannot_be_a_shard(runs: dict[str, Path]) -> None:
    with pytest.raises(MergeError, match="cannot also be a shard"):
        merge_shards(runs["1"], [runs["1"], runs["2"]])


def test_missing_shard_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["merge", str(tmp_path / "out"), str(tmp_path / "nope")])
    assert code == 2
    assert "nope: not a folder of grading reports" in capsys.readouterr().err


def test_roster_students_who_handed_in_nothing_survive_the_merge(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    from grader.classrun import read_missing, write_missing
    from grader.model import Student, SubmissionResult, SubmissionStatus

    def missing(ident: str, name: str) -> SubmissionResult:
        return SubmissionResult(
            "", SubmissionStatus.MISSING, reason="nothing handed in", student=Student(ident, name)
        )

    first = copy_shard(runs["1"], tmp_path / "one")
    second = copy_shard(runs["2"], tmp_path / "two")
    write_missing(first, [missing("zoe", "Zoë Brontë")])
    # shard 2 did not see alice's files, but shard 1 graded her: she is not missing
    write_missing(second, [missing("alice", "alice"), missing("yann", "Yann Le Gall")])
    merged = tmp_path / "merged"
    export = ["--export", "canvas", "--export-column", "Homework 3 (4321)"]
    assert main(["merge", str(merged), str(first), str(second), *export]) == 0

    canvas = list(csv.DictReader((merged / "canvas.csv").open(encoding="utf-8")))
    assert canvas[0]["Student"] == "Points Possible"
    cells = {r["ID"]: r["Homework 3 (4321)"] for r in canvas[1:]}
    assert sorted(cells) == sorted([*NAMES, "yann", "zoe"]) and cells["zoe"] == "0"
    rows = list(csv.DictReader((merged / "gradebook.csv").open(encoding="utf-8")))
    assert sorted(r["id"] for r in rows) == sorted([*NAMES, "yann", "zoe"])
    by_id = {r["id"]: r for r in rows}
    assert (by_id["zoe"]["status"], by_id["zoe"]["name"]) == ("missing", "Zoë Brontë")
    assert by_id["alice"]["status"] == "graded"
    assert sorted(r.student.id for r in read_missing(merged) if r.student) == ["yann", "zoe"]
