"""The class summary for the terminal: a rich table, or aligned plain text without rich.

Submission names and reasons come from students, so every cell is built as
``rich.text.Text`` (never parsed as console markup: a file named
``[red]alice`` stays literal) from text already passed through
:func:`~grader.reports.text.clean_text` (no escape sequences that could
repaint the terminal).

A row stays one line: a not-gradable reason is cut to :data:`REASON_CHARS`
(its whole text is in that submission's ``feedback.md`` and ``report.json``),
and the mean is rounded to what the points allow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from grader.assignment import EXERCISES
from grader.model import SubmissionResult, SubmissionStatus, exercise_names
from grader.reports.gradebook import exercise_points
from grader.reports.text import count, format_mean, format_points, one_line, points_decimals

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["summary_rows", "summary_table", "summary_text"]

Cell = tuple[str, str]  # (text, rich style; "" for none)

REASON_CHARS = 48


def summary_rows(results: Sequence[SubmissionResult]) -> tuple[list[str], list[list[Cell]]]:
    """Header and styled rows shared by the rich table and the plain-text fallback.

    Columns: who (the student's name and id when known, else the submission),
    status, final score/max, one per exercise graded anywhere
    in the class (contract order, short names like ``ex03``), and a reason
    column when some submission could not be graded.
    """
    seen = exercise_names(results)
    exercises = [name for name in EXERCISES if name in seen]
    exercises += [name for name in seen if name not in EXERCISES]
    any_reason = any(r.status is SubmissionStatus.NOT_GRADABLE for r in results)
    missing = SubmissionStatus.MISSING
    header = ["submission", "status", "score", *(_short(e) for e in exercises)]
    if any_reason:
        header.append("reason")
    rows: list[list[Cell]] = []
    for result in sorted(results, key=lambda r: (r.label.casefold(), r.label)):
        name = one_line(result.label, 60)
        row: list[Cell]
        if result.status is missing:
            row = [(name, ""), ("missing", "yellow"), ("0", "red")]
            row += [("-", "dim")] * len(exercises)
            if any_reason:
                row.append((one_line(result.reason or "", REASON_CHARS), "yellow"))
        elif result.status is SubmissionStatus.GRADED:
            by_exercise = result.by_exercise()
            points = exercise_points(result)  # with the instructor's overrides, as the gradebook
            row = [
                (name, ""),
                ("graded", "green"),
                _fraction(result.final_score, result.max_score),
            ]
            row += [
                _fraction(points[e], by_exercise[e].max_score)
                if e in by_exercise
                else ("-", "dim")
                for e in exercises
            ]
            if any_reason:
                row.append(("", ""))
        else:
            row = [(name, ""), ("not gradable", "bold red"), ("-", "dim")]
            row += [("-", "dim")] * len(exercises)
            row.append((one_line(result.reason or "", REASON_CHARS), "red"))
        rows.append(row)
    return header, rows


def summary_text(results: Sequence[SubmissionResult]) -> str:
    """The summary as aligned plain text, for logs and terminals without rich."""
    header, rows = summary_rows(results)
    table = [header, *([text for text, _ in row] for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(_caption(results))
    return "\n".join(lines) + "\n"


def summary_table(results: Sequence[SubmissionResult], *, console: Console | None = None) -> None:
    """Print the class summary with rich, or as plain text if rich is not installed."""
    try:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text
    except ImportError:  # rich is a dependency, but a report must never fail for want of it
        print(summary_text(results), end="")
        return
    header, rows = summary_rows(results)
    table = Table(caption=_caption(results), show_lines=False)
    for index, title in enumerate(header):
        numeric = 2 <= index < len(header) and title != "reason"
        table.add_column(
            title, justify="right" if numeric else "left", no_wrap=True, overflow="ellipsis"
        )
    for row in rows:
        table.add_row(*(Text(text, style=style) for text, style in row))
    (console or Console()).print(table)


def _caption(results: Sequence[SubmissionResult]) -> str:
    graded = [r for r in results if r.status is SubmissionStatus.GRADED]
    missing = sum(r.status is SubmissionStatus.MISSING for r in results)
    handed_in = len(results) - missing
    text = f"{count(handed_in, 'submission')}, {len(graded)} graded"
    if len(graded) < handed_in:
        text += f", {handed_in - len(graded)} not gradable"
    if missing:
        text += f"; {missing} on the roster handed in nothing"
    if graded:
        mean = sum(r.final_score for r in graded) / len(graded)
        text += f"; mean score {format_mean(mean, points_decimals(graded))}"
    if any(len(one_line(r.reason or "", 10_000)) > REASON_CHARS for r in results):
        text += "\nreasons shortened: each is whole in its submission's feedback.md"
    return text


def _fraction(score: float, most: float) -> Cell:
    style = "green" if most and score >= most else "red" if score <= 0 else "yellow"
    return f"{format_points(score)}/{format_points(most)}", style


def _short(exercise: str) -> str:
    return exercise.split("_", 1)[0]
