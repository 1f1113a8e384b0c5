"""The two writers that touch disk: folders, file set, order, atomicity, safety."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from report_samples import graded, not_gradable

import grader.reports
from grader.reports import atomic as atomic_module
from grader.reports import load_report, write_class_reports, write_submission_reports


def test_submission_reports_are_written(tmp_path: Path) -> None:
    result = graded("alice")
    folder = write_submission_reports(result, tmp_path)
    assert folder == tmp_path / "alice"
    assert sorted(p.name for p in folder.iterdir()) == [
        "feedback.html",
        "feedback.md",
        "report.json",
        "results.json",
    ]
    assert load_report(folder / "report.json") == result
    assert json.loads((folder / "results.json").read_text())["score"] == 12.5
    assert (folder / "feedback.md").read_text(encoding="utf-8").startswith("# Feedback: alice")


def test_report_json_is_written_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real = atomic_module.os.replace

    def spy(src: str, dst: str) -> None:
        order.append(Path(dst).name)
        real(src, dst)

    monkeypatch.setattr(atomic_module.os, "replace", spy)
    write_submission_reports(graded("alice", staff_log="tb"), tmp_path)
    assert order[-1] == "report.json"  # resume treats it as "done"
    assert set(order) == {
        "feedback.md", "feedback.html", "results.json", "staff.log", "report.json"
    }  # fmt: skip


def test_staff_log_is_kept_for_staff_and_removed_on_regrade(tmp_path: Path) -> None:
    folder = write_submission_reports(graded("alice", staff_log="Traceback ...\n\ud800"), tmp_path)
    assert (folder / "staff.log").read_text(encoding="utf-8") == "Traceback ...\n\\ud800\n"
    assert "Traceback" not in (folder / "feedback.md").read_text(encoding="utf-8")
    write_submission_reports(graded("alice"), tmp_path)
    assert not (folder / "staff.log").exists()


def test_regrade_replaces_files_and_leaves_no_temp(tmp_path: Path) -> None:
    write_submission_reports(not_gradable("alice"), tmp_path)
    folder = write_submission_reports(graded("alice"), tmp_path)
    assert load_report(folder / "report.json").status.value == "graded"
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".")]


@pytest.mark.parametrize("name", ["", ".", "..", "../evil", "a/b", "a\\b", " padded", "nul\x00"])
def test_unsafe_names_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="folder name"):
        write_submission_reports(graded(name), tmp_path / "out")
    assert not (tmp_path / "evil").exists()


def test_class_reports_are_written(tmp_path: Path) -> None:
    out = tmp_path / "new" / "out"
    write_class_reports([graded("zed"), not_gradable("bob")], out)
    assert sorted(p.name for p in out.iterdir()) == ["gradebook.csv", "junit.xml", "summary.html"]
    rows = list(csv.reader((out / "gradebook.csv").open(newline="", encoding="utf-8")))
    assert [row[0] for row in rows[1:]] == ["bob", "zed"]
    assert len(ET.parse(out / "junit.xml").getroot().findall("testsuite")) == 2


def test_a_folder_kept_from_before_feedback_html_gets_it(tmp_path: Path) -> None:
    folder = write_submission_reports(graded("old"), tmp_path)
    (folder / "feedback.html").unlink()  # as a resumed run from an older grader left it
    write_class_reports([graded("old")], tmp_path)
    assert (folder / "feedback.html").read_text(encoding="utf-8").count("<h1>Feedback: old") == 1
    assert 'href="old/feedback.html"' in (tmp_path / "summary.html").read_text(encoding="utf-8")


def test_public_names_exist() -> None:
    for name in grader.reports.__all__:
        assert callable(getattr(grader.reports, name)), name
