"""From a student's loose files to one submission folder the grader reads as usual.

A flat download (Canvas, Blackboard, a ``--file-pattern``) gives each
student a heap of files. Here, per exercise and kind, the newest one wins:
the latest timestamp, else the highest Canvas attachment id (Canvas numbers
uploads in order), else the highest copy number (``-2`` over ``-1`` over
none). It is copied under its plain name (``ex07_attention.ipynb``) into
a private folder that is graded like any other; every file that lost, or
matches no exercise, is named in the student's notes. Folder layouts need
no staging: their folder is the submission.

Report folders get :func:`grader.intake.names.student_slug` names, and a
slug that is somehow taken twice gets a counter, so no two students ever
share a folder.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from grader.intake.layouts import FoundFile, StudentEntry
from grader.intake.names import student_slug

__all__ = ["PlannedStudent", "stage_students"]

_MAX_FILE_BYTES = 20 << 20  # the notebook cap: anything larger would be refused anyway


@dataclass(frozen=True)
class PlannedStudent:
    """One student, ready to grade: ``path`` is what the judge reads."""

    id: str
    name: str
    slug: str
    path: Path
    origins: tuple[str, ...]
    notes: tuple[str, ...]
    submitted_at: datetime | None
    late_marker: bool


def stage_students(entries: list[StudentEntry], scratch: Path) -> list[PlannedStudent]:
    """A :class:`PlannedStudent` per entry, copying flat files into ``scratch/<slug>/``."""
    planned: list[PlannedStudent] = []
    taken: set[str] = set()
    for entry in entries:
        slug, n = student_slug(entry.id), 2
        base = slug
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        notes = list(entry.notes)
        path, submitted = entry.path, entry.submitted_at
        if path is None:
            path, newest = _stage(entry.files, scratch / slug, notes)
            submitted = submitted or newest
        planned.append(
            PlannedStudent(
                entry.id, entry.name, slug, path, tuple(entry.origins), tuple(notes),
                submitted, entry.late_marker,
            )
        )  # fmt: skip
    return planned


def _newest_first(found: FoundFile) -> tuple[float, int, int]:
    stamp = found.timestamp.timestamp() if found.timestamp else float("-inf")
    copy = found.match.copy if found.match else 0
    return (-stamp, -(found.attachment if found.attachment is not None else -1), -copy)


def _stage(files: list[FoundFile], folder: Path, notes: list[str]) -> tuple[Path, datetime | None]:
    """Copy each exercise's newest file into ``folder``; returns it and the newest time."""
    folder.mkdir(parents=True, exist_ok=True)
    by_exercise: dict[tuple[str, str], list[FoundFile]] = {}
    loose = []
    for found in files:
        if found.match is None:
            loose.append(found)
        else:
            by_exercise.setdefault((found.match.exercise, found.match.kind), []).append(found)
    zips = [f for f in loose if f.path.suffix.lower() == ".zip"]
    if not by_exercise and len(zips) == 1:  # the student zipped their work: that is the submission
        return zips[0].path, zips[0].timestamp
    times = []
    for (exercise, kind), candidates in sorted(by_exercise.items()):
        ordered = sorted(candidates, key=_newest_first)
        chosen = ordered[0]
        target = folder / f"{exercise}{'.py' if kind == 'module' else '.ipynb'}"
        size = chosen.path.stat().st_size
        if size > _MAX_FILE_BYTES:
            notes.append(f"not graded: {chosen.origin} is larger than {_MAX_FILE_BYTES >> 20} MB")
            continue
        shutil.copyfile(chosen.path, target, follow_symlinks=False)
        if chosen.timestamp:
            times.append(chosen.timestamp)
        if not chosen.match or not chosen.match.exact:
            notes.append(f"graded {chosen.origin} as {target.name}")
        for older in ordered[1:]:
            notes.append(f"resubmitted: graded {chosen.origin}, not the older {older.origin}")
    for found in loose:
        notes.append(f"not graded: {found.origin} matches no exercise file name")
    return folder, max(times, key=lambda t: t.timestamp(), default=None)
