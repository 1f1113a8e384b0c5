"""Instructor overrides (``--overrides overrides.csv``), applied on every run.

Each row is ``id,target,points,comment``: ``target`` is ``total``, an
exercise (``ex02_softmax``) or a check id; ``points`` is absolute
(``8``: that target now scores 8) or a signed change (``+2``, ``-1.5``).
Check and exercise overrides change the score before any late penalty;
``total`` overrides come last, so ``total,90`` means a final score of 90.
The file is read again on every run and the grader's own result is never
rewritten, so a regrade cannot lose an override, and report.json shows both.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from grader.model import Adjustment, SubmissionResult
from grader.policy.late import PolicyError

__all__ = ["Override", "apply_overrides", "read_overrides"]


@dataclass(frozen=True)
class Override:
    id: str
    target: str
    points: float
    relative: bool  # "+2" / "-1" rather than "8"
    comment: str
    line: int


def read_overrides(path: Path) -> list[Override]:
    """Every override in ``path``, in file order; a bad row stops with its line number."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError(f"{path}: cannot be read ({error}); save it as UTF-8 CSV") from None
    reader = csv.DictReader(text.splitlines())
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    if not {"id", "target", "points"} <= set(header):
        raise PolicyError(f"{path}: the first line must be id,target,points,comment")
    found = []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        text_points = row.get("points", "")
        try:
            points = float(text_points)
        except ValueError:
            raise PolicyError(
                f"{path}, line {number}: points {text_points!r} is not a number; "
                "write 8 (absolute) or +2 / -1.5 (a change)"
            ) from None
        if not row.get("id") or not row.get("target"):
            raise PolicyError(f"{path}, line {number}: id and target are required")
        relative = text_points.startswith(("+", "-"))
        found.append(
            Override(row["id"], row["target"], points, relative, row.get("comment", ""), number)
        )
    return found


def apply_overrides(
    result: SubmissionResult, overrides: list[Override], stage: str
) -> list[Adjustment]:
    """The adjustments ``overrides`` make to ``result`` at ``stage``.

    ``stage`` ``"override"`` applies check and exercise targets; ``"final"``
    applies ``total`` targets against the score so far (adjustments included).
    """
    adjustments: list[Adjustment] = []
    exercises = result.by_exercise()
    checks = {check.id: check for check in result.checks}
    for item in overrides:
        is_total = item.target == "total"
        if is_total != (stage == "final"):
            continue
        if is_total:
            current = result.score + sum(a.points for a in result.adjustments)
            what = "total score"
        elif item.target in checks:
            current, what = checks[item.target].points, f"check {item.target}"
        elif item.target in exercises:
            current, what = exercises[item.target].score, f"exercise {item.target}"
        else:
            adjustments.append(
                Adjustment("override", item.target, 0.0,
                           f"not applied: no check or exercise {item.target!r} was graded "
                           f"(overrides line {item.line})", item.comment)
            )  # fmt: skip
            continue
        delta = item.points if item.relative else item.points - current
        shown = f"{item.points:+g}" if item.relative else f"set to {item.points:g}"
        adjustments.append(
            Adjustment(
                "final" if is_total else "override",
                item.target,
                round(delta, 4),
                f"{what}: {shown} (was {current:g}, now {current + delta:g})",
                item.comment,
            )
        )
        if is_total:  # a later total override starts from this one
            result = _with(result, adjustments[-1])
    return adjustments


def _with(result: SubmissionResult, adjustment: Adjustment) -> SubmissionResult:
    from dataclasses import replace

    return replace(result, adjustments=(*result.adjustments, adjustment))
