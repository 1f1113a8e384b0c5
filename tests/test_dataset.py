"""The shipped salary table is the exact file the lesson uses."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

CSV_PATH = Path(__file__).resolve().parents[1] / "datasets" / "ds_salaries.csv"
SHA256 = "920d6d07d434741f8109fd1b91eb7910d913f60eca17622c91240ca105e90818"


def test_bytes_match_the_recorded_hash() -> None:
    data = CSV_PATH.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SHA256
    assert len(data) == 37_566


def test_has_607_rows_and_the_lesson_columns() -> None:
    rows = list(csv.reader(io.StringIO(CSV_PATH.read_text(encoding="utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    assert len(body) == 607
    for column in ("experience_level", "employment_type", "remote_ratio", "company_size"):
        assert column in header
    assert "salary_in_usd" in header
    assert body[0] == [
        *("0", "2020", "MI", "FT", "Data Scientist", "70000"),
        *("EUR", "79833", "DE", "0", "DE", "L"),
    ]


def test_line_endings_are_crlf_without_final_newline() -> None:
    data = CSV_PATH.read_bytes()
    assert data.count(b"\r\n") == 607
    assert data.count(b"\n") == 607
    assert not data.endswith(b"\n")
