"""gradebook.csv: contract columns, sorted rows, clean numbers, no formulas."""

from __future__ import annotations

import csv
import io

from report_samples import check, graded, not_gradable

from grader.assignment import EXERCISES
from grader.reports import gradebook_csv


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_header_follows_the_contract() -> None:
    header = _rows(gradebook_csv([graded()]))[0]
    assert header == [
        "id", "name", "submission", "status", "raw_score", "late_penalty", "score", "max_score",
        *EXERCISES, "reason", "paths",
    ]  # fmt: skip


def test_rows_round_trip_through_csv_reader() -> None:
    fourteen = graded(
        "Carol",
        check("ex01_multiclass", "one_hot", "values", 10, 10),
        check("ex02_regression_binary", "mse_manual", "values", 4, 6, "failed", "off by 2"),
    )
    text = gradebook_csv([graded("zed"), fourteen, not_gradable("bob", 'Broken "zip",\nsorry')])
    header, *rows = _rows(text)
    assert [row[0] for row in rows] == ["bob", "Carol", "zed"]  # sorted, case-insensitive
    cells = [dict(zip(header, row, strict=True)) for row in rows]
    bob, carol, zed = cells
    assert (zed["score"], zed["max_score"]) == ("12.5", "20")
    assert (zed["ex01_multiclass"], zed["ex03_forward_pass"], zed["ex05_optimizer"]) == (
        "6",
        "6.5",
        "0",
    )
    assert zed["ex02_regression_binary"] == ""  # not graded, not zero
    assert (carol["score"], carol["max_score"], carol["ex02_regression_binary"]) == (
        "14",
        "16",
        "4",
    )
    assert bob["status"] == "not_gradable"
    assert (bob["score"], bob["max_score"], bob["ex01_multiclass"]) == ("", "", "")
    assert bob["reason"] == 'Broken "zip", sorry'  # one line, quotes and commas survive
    assert text.count("\n") == 4


def test_no_float_noise() -> None:
    result = graded(
        "a",
        check("ex01_multiclass", "one_hot", "a", 0.1, 1),
        check("ex01_multiclass", "one_hot", "b", 0.2, 1),
    )
    header, row = _rows(gradebook_csv([result]))
    cells = dict(zip(header, row, strict=True))
    assert [cells[c] for c in ("raw_score", "score", "max_score", "ex01_multiclass")] == [
        "0.3",
        "0.3",
        "2",
        "0.3",
    ]


def test_text_cells_cannot_become_formulas() -> None:
    names = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "plain"]
    results = [not_gradable(name, reason="=1+1") for name in names]
    header, *rows = _rows(gradebook_csv(results))
    cells = [dict(zip(header, row, strict=True)) for row in rows]
    expected = sorted(['\'=HYPERLINK("http://x")', "'+1", "'-2", "'@SUM(A1)", "plain"])
    assert sorted(c["id"] for c in cells) == expected
    assert sorted(c["name"] for c in cells) == expected
    assert {c["reason"] for c in cells} == {"'=1+1"}


def test_unknown_exercises_get_their_own_column() -> None:
    header = _rows(gradebook_csv([graded("a", check("bonus_ex", "f", "n", 1, 1))]))[0]
    assert header[-3:] == ["bonus_ex", "reason", "paths"]


def test_empty_class_is_just_the_header() -> None:
    assert len(_rows(gradebook_csv([]))) == 1
