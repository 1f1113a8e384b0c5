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

    @property
    def score(self) -> float:
        return round(sum(c.points for c in self.checks), 4)

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

    def to_dict(self) -> dict[str, Any]:
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
                name: {"score": s.score, "max_score": s.max_score}
                for name, s in self.by_exercise().items()
            },
            "checks": [c.to_dict() for c in self.checks],
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
        )


def exercise_names(results: Iterable[SubmissionResult]) -> list[str]:
    """Every exercise seen across results, in first-seen order (gradebook columns)."""
    seen: dict[str, None] = {}
    for result in results:
        for check in result.checks:
            seen.setdefault(check.exercise, None)
    return list(seen)
