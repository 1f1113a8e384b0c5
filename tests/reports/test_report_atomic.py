"""Atomic writes: whole files only, no leftovers, old file kept on failure."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from report_samples import graded

from grader.reports import atomic, write_submission_reports
from grader.reports.atomic import json_text, write_json_atomic, write_text_atomic


def test_writes_text_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "feedback.md"
    assert write_text_atomic(target, "hello\n") == target
    assert target.read_text(encoding="utf-8") == "hello\n"
    assert [p.name for p in tmp_path.iterdir()] == ["feedback.md"]


def test_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old and much longer content\n")
    write_text_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_keeps_line_endings_byte_for_byte(tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    write_text_atomic(target, "a,b\r\nc,d\n")
    assert target.read_bytes() == b"a,b\r\nc,d\n"


def test_gets_ordinary_file_mode_not_private_temp_mode(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    target = tmp_path / "atomic.txt"
    write_text_atomic(target, "x")
    assert stat.S_IMODE(target.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


def test_failure_keeps_old_file_and_removes_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_text("old\n")

    def broken_replace(src: str, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_unencodable_text_fails_cleanly(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(target, "lone \ud800 surrogate")
    assert list(tmp_path.iterdir()) == []


def test_json_is_sorted_indented_and_ends_with_newline(tmp_path: Path) -> None:
    target = write_json_atomic(tmp_path / "r.json", {"b": 1, "a": [1, 2], "s": "é\ud800"})
    text = target.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text.index('"a"') < text.index('"b"') < text.index('"s"')
    assert '\n  "a": [' in text
    assert json.loads(text)["s"] == "é\ud800"  # ASCII escapes keep even lone surrogates


def test_json_refuses_nan_before_touching_disk(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_json_atomic(tmp_path / "r.json", {"score": float("nan")})
    assert list(tmp_path.iterdir()) == []
    assert json_text({"x": 1}) == '{\n  "x": 1\n}\n'


def test_temp_file_lives_next_to_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real_replace = os.replace

    def spy(src: str, dst: object) -> None:
        seen.append(src)
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.os, "replace", spy)
    write_text_atomic(tmp_path / "a.txt", "x")
    assert Path(seen[0]).parent == tmp_path  # same folder, so the rename is atomic


def test_a_submission_costs_two_fsyncs_report_json_and_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    folder = write_submission_reports(graded(), tmp_path)
    assert len(synced) == 2
    assert {p.name for p in folder.iterdir()} >= {"report.json", "feedback.md", "results.json"}
