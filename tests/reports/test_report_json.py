"""report.json: the model on disk, read back exactly, other versions refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_samples import check, graded, not_gradable

from grader.model import SCHEMA_VERSION, SubmissionResult
from grader.reports import load_report, report_json


def _round_trip(result: SubmissionResult, tmp_path: Path) -> SubmissionResult:
    path = tmp_path / "report.json"
    path.write_text(report_json(result), encoding="utf-8")
    return load_report(path)


@pytest.mark.parametrize("result", [graded(), not_gradable()], ids=["graded", "not_gradable"])
def test_round_trip_is_exact(result: SubmissionResult, tmp_path: Path) -> None:
    assert _round_trip(result, tmp_path) == result


def test_round_trip_keeps_hostile_text(tmp_path: Path) -> None:
    message = "bad \x1b[31m<b>\ud800\x00 ünïcode"
    result = graded("x", check("ex01_multiclass", "one_hot", "values", 0, 1, "failed", message))
    assert _round_trip(result, tmp_path).checks[0].message == message


def test_staff_log_stays_out_of_the_report() -> None:
    result = graded(staff_log="Traceback: secret check source")
    assert "secret" not in report_json(result)


def test_layout_is_pretty_sorted_and_complete() -> None:
    text = report_json(graded())
    assert text.endswith("}\n") and text.startswith("{\n  ")
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert data["schema_version"] == SCHEMA_VERSION
    assert (data["score"], data["max_score"], data["status"]) == (12.5, 20.0, "graded")
    assert data["isolation"] == {"level": "L2", "layers": ["namespaces", "rlimits"]}
    assert (data["grader_version"], data["torch_version"]) == ("0.1.0", "2.13.0")
    first = data["checks"][0]
    for key in (
        "id",
        "exercise",
        "function",
        "name",
        "points",
        "max_points",
        "status",
        "message",
        "visibility",
        "mistake",
    ):
        assert key in first
    assert report_json(graded()) == text  # deterministic


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[1, 2]",
        json.dumps({"schema_version": SCHEMA_VERSION + 1, "submission": "a", "status": "graded"}),
        json.dumps({"schema_version": SCHEMA_VERSION, "status": "graded"}),
        json.dumps({"schema_version": SCHEMA_VERSION, "submission": "a", "status": "weird"}),
    ],
    ids=["bad-json", "not-object", "other-version", "missing-key", "bad-status"],
)
def test_load_refuses_what_is_not_a_report(content: str, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=r"report\.json"):
        load_report(path)


def test_load_refuses_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ValueError):
        load_report(path)
