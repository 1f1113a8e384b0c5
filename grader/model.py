"""The results model: what a grade is, independent of how it is reported.

Every report format (JSON, Markdown, Gradescope, CSV, JUnit) is a small writer
over these frozen dataclasses, so the formats can never disagree about a score.
Scores are derived from the checks, never stored beside them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SCHEMA_VERSION = 1


class CheckStatus(StrEnum):
    """Outcome of one hidden check."""

    PASSED = "passed"
    FAILED = "failed"  # the student's value was judged wrong
    ERROR = "error"  # the student's code raised, could not be imported, or returned junk
    TIMEOUT = "timeout"  # a deadline ran out in the student's code
    CRASHED = "crashed"  # the worker died: signal, exit, memory limit
    GRADER_ERROR = "grader_error"  # our fault; staff see the traceback


class SubmissionStatus(StrEnum):
    GRADED = "graded"
    NOT_GRADABLE = "not_gradable"
    MISSING = "missing"  # on the roster, nothing handed in: 0 points


@dataclass(frozen=True)
class CheckResult:
    """One hidden check's verdict, written in the student's terms."""

    id: str
    exercise: str
    function: str
    name: str
    points: float
    max_points: float
    status: CheckStatus
    message: str = ""
    visibility: str = "hidden"
    mistake: str | None = None
    duration: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status is CheckStatus.PASSED

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "exercise": self.exercise,
            "function": self.function,
            "name": self.name,
            "points": self.points,
            "max_points": self.max_points,
            "status": self.status.value,
            "message": self.message,
            "visibility": self.visibility,
            "mistake": self.mistake,
            "duration": round(self.duration, 4),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        return cls(
            id=data["id"],
            exercise=data["exercise"],
            function=data["function"],
            name=data["name"],
            points=float(data["points"]),
            max_points=float(data["max_points"]),
            status=CheckStatus(data["status"]),
            message=data.get("message", ""),
            visibility=data.get("visibility", "hidden"),
            mistake=data.get("mistake"),
            duration=float(data.get("duration", 0.0)),
        )


@dataclass(frozen=True)
class Isolation:
    """The isolation level actually reached, and the layers that made it."""

    level: str
    layers: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # per layer not in force: why ("uid-switch: not in force: ...")
    # per layer in force: what exactly holds ("uid-switch": "uid 65534, gid 65534, no groups")
    details: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"level": self.level, "layers": list(self.layers)}
        if self.notes:  # only when a layer is missing for a reason worth reading
            data["notes"] = list(self.notes)
        if self.details:
            data["details"] = dict(self.details)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Isolation:
        details = tuple((str(k), str(v)) for k, v in dict(data.get("details", {})).items())
        return cls(level=data["level"], layers=tuple(data.get("layers", ())),
                   notes=tuple(data.get("notes", ())), details=details)  # fmt: skip


@dataclass(frozen=True)
class ExerciseScore:
    exercise: str
    score: float
    max_score: float


@dataclass(frozen=True)
class Student:
    """Who a submission belongs to, as the class knows them (roster, LMS, folder name).

    ``name`` is kept exactly as given, accents and spaces included; ``paths``
    are the files or folders it came from, as named in the download; ``flags``
    say what staff should look at (not on the roster, a LATE marker without a time).
    """

    id: str
    name: str
    paths: tuple[str, ...] = ()
    email: str = ""
    section: str = ""
    submitted_at: str = ""  # ISO 8601, when known
    flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what intake did: resubmissions chosen, files not graded
    sis_user_id: str = ""  # the institution's ids, from the roster, for Canvas' import
    sis_login_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "paths": list(self.paths),
            "email": self.email,
            "section": self.section,
            "submitted_at": self.submitted_at,
            "flags": list(self.flags),
            "notes": list(self.notes),
            "sis_user_id": self.sis_user_id,
            "sis_login_id": self.sis_login_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Student:
        return cls(
            id=data["id"],
            name=data.get("name", data["id"]),
            paths=tuple(data.get("paths", ())),
            email=data.get("email", ""),
            section=data.get("section", ""),
            submitted_at=data.get("submitted_at", ""),
            flags=tuple(data.get("flags", ())),
            notes=tuple(data.get("notes", ())),
            sis_user_id=data.get("sis_user_id", ""),
            sis_login_id=data.get("sis_login_id", ""),
        )


@dataclass(frozen=True)
class ExerciseOutcome:
    """What happened to one exercise beside its checks.

    ``not_gradable`` with a ``reason`` when its file could not be read at all
    (its checks then score 0, and reports say the reason once, not once per
    check); ``notes`` say what the student should know, such as the cells that
    failed or were cut short while it was imported.
    """

    exercise: str
    status: SubmissionStatus = SubmissionStatus.GRADED
    reason: str | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "reason": self.reason, "notes": list(self.notes)}

    @classmethod
    def from_dict(cls, exercise: str, data: Mapping[str, Any]) -> ExerciseOutcome:
        return cls(
            exercise=exercise,
            status=SubmissionStatus(data.get("status", "graded")),
            reason=data.get("reason"),
            notes=tuple(data.get("notes", ())),
        )


@dataclass(frozen=True)
class Adjustment:
    """A change to the grader's score, applied by policy, never by the checks.

    ``kind``: ``override`` (an instructor's change to a check or exercise,
    before any late penalty), ``late`` (the penalty, negative) or ``final``
    (an override of the total, after the penalty). ``points`` is the signed
    change it made; ``detail`` says what it was, for the student.
    """

    kind: str
    target: str
    points: float
    detail: str
    comment: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "points": self.points,
            "detail": self.detail,
            "comment": self.comment,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Adjustment:
        return cls(
            data["kind"], data["target"], float(data["points"]), data.get("detail", ""),
            data.get("comment", ""),
        )  # fmt: skip


@dataclass(frozen=True)
class SubmissionResult:
    """A whole submission's grade: the checks plus how they were obtained."""

    submission: str
    status: SubmissionStatus
    checks: tuple[CheckResult, ...] = ()
    reason: str | None = None
    notes: tuple[str, ...] = ()
    isolation: Isolation = field(default_factory=lambda: Isolation("none"))
    limits: Mapping[str, float] = field(default_factory=dict)  # what the workers were held to
    grader_version: str = ""
    torch_version: str = ""
    fingerprint: str = ""
    duration: float = 0.0
    staff_log: str = ""
    student: Student | None = None
    adjustments: tuple[Adjustment, ...] = ()
    outcomes: tuple[ExerciseOutcome, ...] = ()  # only exercises with a status or notes

    @property
    def score(self) -> float:
        """The grader's own score: the checks' points, before any policy."""
        return round(sum(c.points for c in self.checks), 4)

    @property
    def raw_score(self) -> float:
        """The score with instructor overrides of checks and exercises, before lateness."""
        overrides = sum(a.points for a in self.adjustments if a.kind == "override")
        return round(self.score + overrides, 4)

    @property
    def late_penalty(self) -> float:
        return round(-sum(a.points for a in self.adjustments if a.kind == "late"), 4)

    @property
    def final_score(self) -> float:
        """What goes in the gradebook: the score after every adjustment."""
        return round(self.score + sum(a.points for a in self.adjustments), 4)

    @property
    def label(self) -> str:
        """Who this is, for people: the student's name and id when known, else the submission.

        A ``missing`` row has no submission folder, so its label is all that names it.
        """
        student = self.student
        if student is None:
            return self.submission
        return student.id if student.name == student.id else f"{student.name} ({student.id})"

    @property
    def max_score(self) -> float:
        return round(sum(c.max_points for c in self.checks), 4)

    def by_exercise(self) -> dict[str, ExerciseScore]:
        """Scores per exercise, in the order the checks ran."""
        totals: dict[str, list[float]] = {}
        for check in self.checks:
            got, most = totals.setdefault(check.exercise, [0.0, 0.0])
            totals[check.exercise] = [got + check.points, most + check.max_points]
        return {
            name: ExerciseScore(name, round(got, 4), round(most, 4))
            for name, (got, most) in totals.items()
        }

    def outcome(self, exercise: str) -> ExerciseOutcome:
        """The exercise's status and notes (graded, no notes, if nothing was recorded)."""
        for outcome in self.outcomes:
            if outcome.exercise == exercise:
                return outcome
        return ExerciseOutcome(exercise)

    def to_dict(self) -> dict[str, Any]:
        outcomes = {o.exercise: o for o in self.outcomes}
        return {
            "schema_version": SCHEMA_VERSION,
            "submission": self.submission,
            "status": self.status.value,
            "reason": self.reason,
            "score": self.score,
            "max_score": self.max_score,
            "isolation": self.isolation.to_dict(),
            "limits": dict(self.limits),
            "grader_version": self.grader_version,
            "torch_version": self.torch_version,
            "fingerprint": self.fingerprint,
            "duration": round(self.duration, 3),
            "notes": list(self.notes),
            "exercises": {
                name: {
                    "score": s.score,
                    "max_score": s.max_score,
                    **outcomes.get(name, ExerciseOutcome(name)).to_dict(),
                }
                for name, s in self.by_exercise().items()
            },
            "checks": [c.to_dict() for c in self.checks],
            **({"student": self.student.to_dict()} if self.student else {}),
            **(
                {
                    "adjustments": [a.to_dict() for a in self.adjustments],
                    "raw_score": self.raw_score,
                    "late_penalty": self.late_penalty,
                    "final_score": self.final_score,
                }
                if self.adjustments
                else {}
            ),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SubmissionResult:
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(
                f"report schema_version {data.get('schema_version')!r} is not {SCHEMA_VERSION}"
            )
        return cls(
            submission=data["submission"],
            status=SubmissionStatus(data["status"]),
            checks=tuple(CheckResult.from_dict(c) for c in data.get("checks", ())),
            reason=data.get("reason"),
            notes=tuple(data.get("notes", ())),
            isolation=Isolation.from_dict(data.get("isolation", {"level": "none"})),
            limits=dict(data.get("limits", {})),
            grader_version=data.get("grader_version", ""),
            torch_version=data.get("torch_version", ""),
            fingerprint=data.get("fingerprint", ""),
            duration=float(data.get("duration", 0.0)),
            student=Student.from_dict(data["student"]) if data.get("student") else None,
            adjustments=tuple(Adjustment.from_dict(a) for a in data.get("adjustments", ())),
            outcomes=tuple(
                outcome
                for name, entry in (data.get("exercises") or {}).items()
                if isinstance(entry, Mapping)
                and (outcome := ExerciseOutcome.from_dict(name, entry)) != ExerciseOutcome(name)
            ),
        )


def exercise_names(results: Iterable[SubmissionResult]) -> list[str]:
    """Every exercise seen across results, in first-seen order (gradebook columns)."""
    seen: dict[str, None] = {}
    for result in results:
        for check in result.checks:
            seen.setdefault(check.exercise, None)
    return list(seen)
