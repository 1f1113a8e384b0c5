"""Grade a class as an LMS delivers it: layout, roster, deadlines, overrides, regrades, exports.

:func:`grade_lms_class` is ``grader grade --class``. It reads the download
(folder or zip) by layout, stages each student's newest files, matches them
to the roster, grades through :func:`grader.batch.grade_class` and, for
every result, kept or new, attaches the student and recomputes the
policy (late penalty, overrides) from the inputs of this run. The grader's
own result (the checks) is never rewritten by policy.

Regrades: a run keeps a report whose submission files are unchanged, unless
the grading code changed (checks, solutions, probes, the grader: see
:func:`grading_fingerprint`, kept in ``OUT/.grading-fingerprint``), in which
case everything is graded again. Every run writes ``changes.csv``: each
student whose score moved since the last run into ``OUT``, from what to
what, and which checks or adjustments moved it; reports in ``OUT`` whose
student is not in this run are listed there as ``gone`` and left out of the
gradebook.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import grader
from grader.assignment import ASSIGNMENT_FILE, Assignment, current
from grader.batch import Job, grade_class
from grader.intake.archive import ArchiveError, extract_zip
from grader.intake.layouts import LAYOUTS, detect_layout, read_layout
from grader.intake.roster import RosterStudent, find, read_roster, read_timestamps
from grader.intake.shard import in_shard
from grader.intake.staging import PlannedStudent, stage_students
from grader.model import Student, SubmissionResult, SubmissionStatus
from grader.policy import LatePolicy, Override, apply_overrides, late_adjustment, read_overrides
from grader.reports import load_report
from grader.reports.atomic import write_text_atomic
from grader.reports.lms import canvas_csv, moodle_csv
from grader.reports.markdown import format_points

__all__ = ["ClassOptions", "ClassRun", "grade_lms_class", "grading_fingerprint"]

_CLASS_ZIP_BYTES = 4 << 30
_CLASS_ZIP_ENTRIES = 200_000
_FINGERPRINT_FILE = ".grading-fingerprint"


@dataclass(frozen=True)
class ClassOptions:
    layout: str = "auto"
    file_pattern: str | None = None
    roster: Path | None = None
    timestamps: Path | None = None
    deadline: datetime | None = None
    late_policy: LatePolicy | None = None
    overrides: Path | None = None
    exports: tuple[str, ...] = ()
    export_column: str = "Autograder"
    shard: tuple[int, int] | None = None  # (index from 1, count), by student id


@dataclass
class ClassRun:
    """What a class run did, for the command line to print."""

    layout: str
    results: list[SubmissionResult]
    unmatched: list[str]
    kept: int = 0
    changed: int = 0
    gone: list[str] = field(default_factory=list)
    regraded_all: bool = False


def grading_fingerprint(assignment: Assignment | None = None) -> str:
    """A hash of everything that decides a score: the assignment's checks, solutions,
    probes, data and ``assignment.toml``, and the grader package itself."""
    assignment = assignment or current()
    digest = hashlib.sha256()
    package = Path(grader.__file__).resolve().parent
    folders = (("checks", assignment.checks_dir), ("solutions", assignment.solutions_dir))
    for label, base in (*folders, ("grader", package)):
        if not base.is_dir():
            continue
        # every file of the checks and solutions (a seed or a data file decides scores too),
        # but not caches: hidden entries (``checks/.expected/``, which judges write) and
        # ``__pycache__``; of the grader, its sources
        pattern = "*.py" if label == "grader" else "*"
        for path in sorted(base.rglob(pattern)):
            parts = path.relative_to(base).parts
            if not path.is_file() or any(p.startswith(".") or p == "__pycache__" for p in parts):
                continue
            digest.update(_entry(f"{label}/{path.relative_to(base).as_posix()}", path))
    for path in sorted((*assignment.probe_files, *assignment.data_files)):
        if path.is_file():
            digest.update(_entry(path.name, path))
    digest.update(_entry(ASSIGNMENT_FILE, assignment.root / ASSIGNMENT_FILE))
    return digest.hexdigest()


def _entry(label: str, path: Path) -> bytes:
    """One fingerprint entry: the file's label and its content's hash (``-`` if absent)."""
    content = hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"-"
    return label.encode() + b"\0" + content


def grade_lms_class(
    source: Path,
    out_dir: Path,
    options: ClassOptions,
    *,
    grade: Callable[..., list[SubmissionResult]] = grade_class,
    on_layout: Callable[[str, int], None] | None = None,
    **grade_kwargs: object,
) -> ClassRun:
    """Grade the class in ``source`` (folder or ``.zip``) into ``out_dir``."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    roster = read_roster(options.roster) if options.roster else None
    times = read_timestamps(options.timestamps) if options.timestamps else {}
    overrides = read_overrides(options.overrides) if options.overrides else []
    with tempfile.TemporaryDirectory(prefix="grader-class-") as scratch_name:
        scratch = Path(scratch_name)
        root = _unpacked(Path(source), scratch / "download")
        layout = options.layout
        if options.file_pattern is None and layout == "auto":
            layout = detect_layout(root)
        intake = read_layout(root, layout, options.file_pattern)
        planned = stage_students(intake.students, scratch / "staged")
        if on_layout:
            on_layout(intake.layout, len(planned))
        identities = _identities(planned, roster, times)
        missing = _missing(roster, identities)
        if options.shard is not None:
            index, count = options.shard
            planned = [p for p in planned if in_shard(identities[p.slug][0].id, index, count)]
            missing = [m for m in missing if m.student and in_shard(m.student.id, index, count)]
        before = _snapshot(out_dir)
        fingerprint = grading_fingerprint()
        stored = out_dir / _FINGERPRINT_FILE
        regrade_all = stored.is_file() and stored.read_text().strip() != fingerprint
        jobs = [Job(p.path.resolve(), p.slug) for p in planned]
        kept: list[str] = []

        def finish(result: SubmissionResult) -> SubmissionResult:
            student, submitted, due = identities[result.submission]
            return _finish(result, student, submitted, due, options, overrides)

        if regrade_all:
            grade_kwargs["resume"] = False
        results = grade(
            jobs, out_dir, finish=finish, extra_results=missing, kept=kept, **grade_kwargs
        )
    write_text_atomic(stored, fingerprint + "\n")
    write_missing(out_dir, [r for r in results if r.status is SubmissionStatus.MISSING])
    present = {r.submission for r in results}
    gone = sorted(name for name in before if name not in present)
    changes = _changes(before, results, gone)
    write_text_atomic(out_dir / "changes.csv", changes[0])
    for kind in options.exports:
        if kind == "canvas":
            write_text_atomic(out_dir / "canvas.csv", canvas_csv(results, options.export_column))
        elif kind == "moodle":
            write_text_atomic(out_dir / "moodle.csv", moodle_csv(results))
    unmatched = list(intake.unmatched)
    for p in planned:
        unmatched += [f"{p.id}: {n}" for n in p.notes if n.startswith("not graded:")]
    return ClassRun(intake.layout, results, unmatched, len(kept), changes[1], gone, regrade_all)


# --- intake ---------------------------------------------------------------------------


def _unpacked(source: Path, scratch: Path) -> Path:
    if source.is_dir():
        return source
    if source.is_file() and source.suffix.lower() == ".zip":
        scratch.mkdir(parents=True)
        try:
            extract_zip(source, scratch, max_bytes=_CLASS_ZIP_BYTES, max_entries=_CLASS_ZIP_ENTRIES)
        except ArchiveError as error:
            raise ValueError(f"{source}: {error}") from None
        return scratch
    raise ValueError(f"{source}: not a folder or a .zip of submissions")


Identity = tuple[Student, datetime | None, datetime | None]


def _identities(
    planned: list[PlannedStudent],
    roster: list[RosterStudent] | None,
    times: dict[str, datetime],
) -> dict[str, Identity]:
    """slug -> (student, submitted at, per-student due) for every planned submission."""
    found: dict[str, Identity] = {}
    claimed: dict[str, str] = {}
    for p in planned:
        flags: list[str] = []
        entry = find(roster, p.id) if roster is not None else None
        if roster is not None and entry is None:
            flags.append(f"id {p.id!r} is not on the roster")
        elif entry is not None and entry.id in claimed:
            flags.append(f"roster student {entry.id!r} also handed in as {claimed[entry.id]!r}")
        if entry is not None:
            claimed.setdefault(entry.id, p.id)
        submitted = times.get(entry.id if entry else p.id) or times.get(p.id) or p.submitted_at
        if p.late_marker and submitted is None:
            flags.append("marked LATE by the LMS, but no submission time (give --timestamps)")
        student = Student(
            id=entry.id if entry else p.id,
            name=entry.name if entry else p.name,
            paths=p.origins,
            email=entry.email if entry else "",
            section=entry.section if entry else "",
            submitted_at=submitted.isoformat() if submitted else "",
            flags=tuple(flags),
            notes=p.notes,
            sis_user_id=entry.sis_user_id if entry else "",
            sis_login_id=entry.sis_login_id if entry else "",
        )
        found[p.slug] = (student, submitted, entry.due if entry else None)
    return found


def _missing(
    roster: list[RosterStudent] | None, identities: dict[str, Identity]
) -> list[SubmissionResult]:
    if roster is None:
        return []
    handed_in = {student.id for student, _, _ in identities.values()}
    return [
        SubmissionResult(
            submission="",
            status=SubmissionStatus.MISSING,
            reason="nothing handed in",
            student=Student(
                r.id,
                r.name,
                email=r.email,
                section=r.section,
                sis_user_id=r.sis_user_id,
                sis_login_id=r.sis_login_id,
            ),
        )
        for r in roster
        if r.id not in handed_in
    ]


MISSING_FILE = ".missing.json"


def write_missing(out_dir: Path, missing: Sequence[SubmissionResult]) -> None:
    """Keep this run's roster students who handed in nothing beside the reports.

    They have no report folder, so ``grader merge`` reads them from here to
    put them back in the merged gradebook.
    """
    rows = [result.to_dict() for result in missing]
    write_text_atomic(out_dir / MISSING_FILE, json.dumps(rows, ensure_ascii=False) + "\n")


def read_missing(out_dir: Path) -> list[SubmissionResult]:
    """What :func:`write_missing` kept in ``out_dir`` (nothing if absent or unreadable)."""
    try:
        rows = json.loads((out_dir / MISSING_FILE).read_text(encoding="utf-8"))
        return [SubmissionResult.from_dict(row) for row in rows]
    except (OSError, ValueError, KeyError, TypeError):
        return []


# --- policy ---------------------------------------------------------------------------


def _finish(
    result: SubmissionResult,
    student: Student,
    submitted: datetime | None,
    due: datetime | None,
    options: ClassOptions,
    overrides: Sequence[Override],
) -> SubmissionResult:
    """Attach who and policy to a result (the batch writes and seals its reports)."""
    own = _own_reason(result)  # before the student (and so the earlier flags) is replaced
    result = replace(result, student=student, adjustments=())
    mine = [o for o in overrides if o.id == student.id]
    if result.status is SubmissionStatus.GRADED:
        result = replace(result, adjustments=tuple(apply_overrides(result, mine, "override")))
        deadline = due or options.deadline
        if options.late_policy is not None:
            late = late_adjustment(
                submitted, deadline, options.late_policy,
                score=result.raw_score, max_score=result.max_score,
            )  # fmt: skip
            if late is not None:
                result = replace(result, adjustments=(*result.adjustments, late))
        final = apply_overrides(result, mine, "final")
        result = replace(result, adjustments=(*result.adjustments, *final))
    return replace(result, reason="; ".join([*own, *student.flags]) or None)


def _own_reason(result: SubmissionResult) -> list[str]:
    """The grader's reason, without the flags an earlier run of this class appended to it."""
    reason = result.reason or ""
    earlier = "; ".join(result.student.flags) if result.student else ""
    if earlier and reason.endswith(earlier):
        reason = reason.removesuffix(earlier).removesuffix("; ")
    return [reason] if reason else []


# --- regrades -------------------------------------------------------------------------


def _snapshot(out_dir: Path) -> dict[str, SubmissionResult]:
    found = {}
    for report in sorted(out_dir.glob("*/report.json")):
        try:
            found[report.parent.name] = load_report(report)
        except (ValueError, KeyError, OSError):
            continue
    return found


def _changes(
    before: dict[str, SubmissionResult], results: list[SubmissionResult], gone: list[str]
) -> tuple[str, int]:
    """changes.csv text and how many students' scores moved."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "name", "submission", "from", "to", "moved_by"])
    moved = 0
    for result in results:
        old = before.get(result.submission)
        if old is None or not result.submission:
            continue
        was, now = _final(old), _final(result)
        if was == now:
            continue
        moved += 1
        old_checks = {c.id: c.points for c in old.checks}
        movers = [
            f"{c.id} {format_points(old_checks.get(c.id, 0))}->{format_points(c.points)}"
            for c in result.checks
            if old_checks.get(c.id) != c.points
        ]
        movers += [f"{c} (gone)" for c in old_checks if c not in {x.id for x in result.checks}]
        if {a.to_dict()["detail"] for a in old.adjustments} != {
            a.to_dict()["detail"] for a in result.adjustments
        }:
            movers.append("late penalty or overrides")
        student = result.student
        writer.writerow([
            student.id if student else result.submission,
            student.name if student else result.submission,
            result.submission, was, now, "; ".join(movers),
        ])  # fmt: skip
    for name in gone:
        old = before[name]
        ident = old.student.id if old.student else name
        label = old.student.name if old.student else name
        writer.writerow([ident, label, name, _final(old), "gone", "no such student in this run"])
    return buffer.getvalue(), moved


def _final(result: SubmissionResult) -> str:
    if result.status is not SubmissionStatus.GRADED:
        return result.status.value
    return format_points(result.final_score)


LAYOUT_CHOICES = ("auto", *LAYOUTS)
