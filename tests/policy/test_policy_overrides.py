"""Overrides: absolute or signed, on a check, an exercise or the total."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "reports"))
from report_samples import check, graded

from grader.policy import PolicyError, apply_overrides, read_overrides

RESULT = graded(
    "alice",
    check("ex01_multiclass", "one_hot", "values", 4, 10, "failed", "off"),
    check("ex02_regression_binary", "mse_manual", "values", 6, 6),
)


def _overrides(tmp_path: Path, rows: str):
    path = tmp_path / "overrides.csv"
    path.write_text("id,target,points,comment\n" + rows)
    return read_overrides(path)


def _applied(tmp_path: Path, rows: str):
    items = _overrides(tmp_path, rows)
    result = replace(RESULT, adjustments=tuple(apply_overrides(RESULT, items, "override")))
    final = apply_overrides(result, items, "final")
    return replace(result, adjustments=(*result.adjustments, *final))


def test_absolute_check_override_sets_that_check(tmp_path: Path) -> None:
    result = _applied(tmp_path, "alice,ex01_multiclass.one_hot.values,9,regraded by hand\n")
    assert (result.score, result.raw_score, result.final_score) == (10, 15, 15)
    assert result.adjustments[0].comment == "regraded by hand"


def test_signed_exercise_override_adds(tmp_path: Path) -> None:
    result = _applied(tmp_path, "alice,ex02_regression_binary,-1.5,copied plot\n")
    assert result.final_score == 8.5


def test_total_override_comes_last(tmp_path: Path) -> None:
    result = _applied(tmp_path, "alice,total,15,\nalice,ex01_multiclass,+2,\n")
    assert result.raw_score == 12 and result.final_score == 15


def test_unknown_target_is_recorded_not_applied(tmp_path: Path) -> None:
    result = _applied(tmp_path, "alice,ex09_capacity,5,\n")
    assert result.final_score == 10
    assert "not applied" in result.adjustments[0].detail


def test_bad_rows_name_the_line(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="line 3: points 'lots'"):
        _overrides(tmp_path, "alice,total,5,\nbob,total,lots,\n")
