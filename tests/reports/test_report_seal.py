"""The ledger of accepted reports: a changed file is noticed, written back, and named."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from report_samples import graded

from grader.reports import submission_files, write_submission_reports
from grader.reports.seal import Ledger, digest_folder, digest_texts


def test_digests_of_the_texts_match_the_files_written(tmp_path: Path) -> None:
    result = dataclasses.replace(graded(), staff_log="Traceback: the grader's own")
    files = submission_files(result)
    folder = write_submission_reports(result, tmp_path, files=files)
    assert digest_folder(folder) == digest_texts(files)
    assert digest_texts(files)["staff.log"] != "missing"


def test_an_untouched_class_has_no_flags(tmp_path: Path) -> None:
    ledger = Ledger.start(tmp_path)
    result = graded()
    files = submission_files(result)
    write_submission_reports(result, tmp_path, files=files)
    ledger.accept(result, digest_texts(files))
    assert ledger.recheck() == {}


def test_a_changed_report_is_written_back_and_named(tmp_path: Path) -> None:
    result = dataclasses.replace(graded(), staff_log="kept for staff\n")
    folder = write_submission_reports(result, tmp_path)
    ledger = Ledger.start(tmp_path)
    ledger.accept(result)  # as found on disk (resume): the staff log is read back too
    original = {name: (folder / name).read_bytes() for name in ("report.json", "staff.log")}
    (folder / "report.json").write_text('{"score": 3}\n')
    (folder / "staff.log").unlink()
    flags = ledger.recheck()
    assert set(flags) == {result.submission}
    assert flags[result.submission].startswith("staff.log, report.json changed after grading")
    assert "written again" in flags[result.submission]
    assert {name: (folder / name).read_bytes() for name in original} == original
    assert ledger.recheck() == {}  # sealed again as written back


def test_a_planted_report_is_named_and_one_there_before_is_not(tmp_path: Path) -> None:
    write_submission_reports(dataclasses.replace(graded(), submission="old"), tmp_path)
    ledger = Ledger.start(tmp_path)
    write_submission_reports(dataclasses.replace(graded(), submission="planted"), tmp_path)
    assert list(ledger.recheck()) == ["planted"]
