"""The terminal summary: rich table, literal student text, plain-text fallback."""

from __future__ import annotations

import io
import sys

import pytest
from report_samples import graded, not_gradable
from rich.console import Console

from grader.reports import summary_table, summary_text


def _render(results: list) -> str:  # type: ignore[type-arg]
    console = Console(file=io.StringIO(), width=200, record=True, color_system=None)
    summary_table(results, console=console)
    return console.export_text()


def test_rich_table_has_scores_per_exercise_and_reasons() -> None:
    text = _render([graded("alice"), not_gradable("bob", "zip is damaged")])
    header = next(line for line in text.splitlines() if "submission" in line)
    for column in ("status", "score", "ex01", "ex03", "ex05", "reason"):
        assert column in header
    alice = next(line for line in text.splitlines() if "alice" in line)
    assert "12.5/20" in alice and "6/6" in alice and "6.5/10" in alice and "0/4" in alice
    bob = next(line for line in text.splitlines() if "bob" in line)
    assert "not gradable" in bob and "zip is damaged" in bob
    assert "2 submissions, 1 graded, 1 not gradable; mean score 12.5" in text


def test_student_text_is_never_console_markup() -> None:
    text = _render([not_gradable("[bold red]mallory[/]", "\x1b[2J[link=http://x]click[/link]")])
    assert "[bold red]mallory[/]" in text
    assert "[link=http://x]click[/link]" in text and "\x1b" not in text


def test_reason_column_only_when_needed() -> None:
    assert "reason" not in _render([graded("alice")])


def test_plain_text_is_aligned() -> None:
    text = summary_text([graded("alice"), not_gradable("bob", "bad")])
    lines = text.splitlines()
    assert lines[0].split() == ["submission", "status", "score", "ex01", "ex03", "ex05", "reason"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split()[:3] == ["alice", "graded", "12.5/20"]
    assert lines[3].startswith("bob ") and lines[3].endswith("bad")
    assert lines[0].index("score") == lines[2].index("12.5/20")


def test_falls_back_to_plain_text_without_rich(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "rich.table", None)  # import now raises ImportError
    summary_table([graded("alice")])
    assert capsys.readouterr().out == summary_text([graded("alice")])
