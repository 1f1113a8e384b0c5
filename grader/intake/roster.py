"""The class list (``--roster``) and submission times (``--timestamps``), read from CSV.

A roster makes the gradebook complete: every student on it gets a row, with
``missing`` and 0 when nothing came in, and a submission whose id is not on
it is still graded but flagged. Ids are matched exactly, then against the
``email`` column ignoring case (Gradescope exports often carry the e-mail
rather than the id). Ids are never folded and names never used to match: two
students may share a name, and ``Alice`` and ``alice`` may be two people.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from grader.intake.layouts import _parse_time

__all__ = ["RosterError", "RosterStudent", "find", "read_roster", "read_timestamps"]


class RosterError(ValueError):
    """A roster or times file cannot be used; the message names the file, row and fix."""


@dataclass(frozen=True)
class RosterStudent:
    id: str
    name: str
    email: str = ""
    section: str = ""
    due: datetime | None = None
    sis_user_id: str = ""
    sis_login_id: str = ""


def _key(header: str) -> str:
    """A column name as looked up: ``SIS Login ID`` (Canvas' spelling) is ``sis_login_id``."""
    return "_".join(header.strip().lower().split())


def _rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise RosterError(f"{path}: cannot be read ({error}); save it as UTF-8 CSV") from None
    reader = csv.DictReader(text.splitlines())
    header = [_key(h) for h in reader.fieldnames or []]
    missing = [name for name in required if name not in header]
    if missing:
        raise RosterError(
            f"{path}: no {', '.join(missing)} column (found: {', '.join(header) or 'nothing'}); "
            f"the first line must name the columns, e.g. {','.join(required)}"
        )
    rows = []
    for number, row in enumerate(reader, start=2):
        clean = {_key(k or ""): (v or "").strip() for k, v in row.items()}
        if any(clean.values()):
            rows.append((number, clean))
    return rows


def read_roster(path: Path) -> list[RosterStudent]:
    """Every student of ``path`` (``id,name`` required; ``email``, ``section``, ``due``,
    and Canvas' ``sis_user_id`` / ``sis_login_id``, which only the Canvas export uses)."""
    students, seen = [], set()
    for number, row in _rows(path, ("id", "name")):
        if not row["id"]:
            raise RosterError(f"{path}, line {number}: empty id; every student needs one")
        if row["id"] in seen:
            raise RosterError(f"{path}, line {number}: id {row['id']!r} appears twice")
        seen.add(row["id"])
        due = None
        if row.get("due"):
            due = _parse_time(row["due"])
            if due is None:
                raise RosterError(
                    f"{path}, line {number}: due {row['due']!r} is not a date and time; "
                    "write it as ISO 8601, e.g. 2026-03-01T23:59:00+01:00"
                )
        students.append(
            RosterStudent(row["id"], row["name"] or row["id"], row.get("email", ""),
                          row.get("section", ""), due, row.get("sis_user_id", ""),
                          row.get("sis_login_id", ""))
        )  # fmt: skip
    return students


def read_timestamps(path: Path) -> dict[str, datetime]:
    """``id -> submitted_at`` from ``path`` (``id,submitted_at``)."""
    times = {}
    for number, row in _rows(path, ("id", "submitted_at")):
        stamp = _parse_time(row["submitted_at"])
        if stamp is None:
            raise RosterError(
                f"{path}, line {number}: submitted_at {row['submitted_at']!r} is not a date and "
                "time; write it as ISO 8601, e.g. 2026-03-01T23:59:00+01:00"
            )
        times[row["id"]] = stamp
    return times


def find(roster: list[RosterStudent], key: str) -> RosterStudent | None:
    """The roster student a submission's id ``key`` belongs to, if any."""
    for student in roster:
        if student.id == key:
            return student
    folded = key.strip().casefold()
    for student in roster:
        if student.email and student.email.casefold() == folded:
            return student
    return None
