"""Grade one submission: intake, sandbox, hidden checks, one result.

This is the verb behind ``grader grade``. Whatever goes wrong, the caller gets
a :class:`SubmissionResult`: a submission that cannot be read is
``not_gradable`` with a reason; a failure of the grader itself is too, with the
traceback kept for staff. Nothing here ever runs student code: that happens in
the sandbox's workers.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader import __version__, timings
from grader.assignment import EXERCISES, current
from grader.intake import Submission, SubmissionError, load_submission
from grader.model import ExerciseOutcome, Isolation, SubmissionResult, SubmissionStatus

if TYPE_CHECKING:
    from grader.sandbox.trusted.client import SandboxHost

# torch, pytest, the sandbox client and the checks are imported when first
# needed, not here: the orchestrator imports this module for `not_gradable`
# and must stay light (no torch).


def torch_version() -> str:
    """torch's version, without importing torch into a process that has not."""
    torch = sys.modules.get("torch")
    if torch is not None:
        return str(torch.__version__)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch")
    except PackageNotFoundError:
        return "unknown"


def not_gradable(
    name: str,
    reason: str,
    *,
    isolation: Isolation | None = None,
    limits: Mapping[str, float] | None = None,
    fingerprint: str = "",
    staff_log: str = "",
    duration: float = 0.0,
) -> SubmissionResult:
    return SubmissionResult(
        submission=name,
        status=SubmissionStatus.NOT_GRADABLE,
        reason=reason,
        isolation=isolation or Isolation("none"),
        limits=dict(limits or {}),
        grader_version=__version__,
        torch_version=torch_version(),
        fingerprint=fingerprint,
        staff_log=staff_log,
        duration=duration,
    )


def grade_loaded(
    submission: Submission,
    host: SandboxHost,
    *,
    exercises: Iterable[str] | None = None,
) -> SubmissionResult:
    """Grade an already-loaded submission with a running sandbox host."""
    import torch

    from grader.runner import StudentView, run_on_student

    # One thread: reference values are then bit-for-bit reproducible, and idle
    # OpenMP threads spinning here would steal the core the worker needs.
    torch.set_num_threads(1)
    started = time.perf_counter()
    sources = {name: src.source for name, src in submission.exercises.items()}
    origins = {name: src.origin for name, src in submission.exercises.items()}
    # A converted notebook's lines are named as code cells, not module lines.
    locate, cells = submission.notebook_maps()
    notes = list(submission.notes)
    for src in submission.exercises.values():
        notes.extend(f"{src.origin}: {note}" for note in src.notes)
    if not submission.exercises and not submission.problems:
        example = next(iter(EXERCISES), "exercise")
        notes.append(f"No exercise files were found (expected names like {example}.py).")
    try:
        with host.submission(sources, origins=origins, locate=locate, cells=cells) as session:
            view = StudentView(session, available=sources, problems=submission.problems)
            with timings.phase("run"):
                run = run_on_student(view, exercises=exercises)
            outcomes = exercise_outcomes(submission, session, host.limits)
    except Exception:  # the grader broke, not the student: keep a report anyway
        return not_gradable(
            submission.name,
            "The grader failed while grading this submission; staff have been told.",
            isolation=host.isolation,
            limits=host.limits.to_dict(),
            fingerprint=submission.fingerprint,
            staff_log=traceback.format_exc(),
            duration=time.perf_counter() - started,
        )
    return SubmissionResult(
        submission=submission.name,
        status=SubmissionStatus.GRADED,
        checks=tuple(run.results),
        notes=tuple(notes),
        isolation=host.isolation,
        limits=host.limits.to_dict(),
        grader_version=__version__,
        torch_version=torch.__version__,
        fingerprint=submission.fingerprint,
        duration=time.perf_counter() - started,
        staff_log="\n".join(run.staff_log),
        outcomes=outcomes,
    )


def exercise_outcomes(
    submission: Submission, session: Any, limits: Any = None
) -> tuple[ExerciseOutcome, ...]:
    """Per exercise: not gradable (its file could not be read), or the cells that failed.

    ``session`` is the submission's sandbox (or the in-process backend), asked
    after the checks ran which units of each imported module did not finish.
    """
    from grader.packages import available_packages
    from grader.sandbox.trusted.units import unit_notes

    outcomes = []
    for exercise in EXERCISES:
        if exercise in submission.problems:
            outcomes.append(
                ExerciseOutcome(
                    exercise, SubmissionStatus.NOT_GRADABLE, reason=submission.problems[exercise]
                )
            )
            continue
        src = submission.exercises.get(exercise)
        if src is None:
            continue
        notes = unit_notes(
            session.unit_failures(exercise),
            display=src.origin,
            locate=src.describe if src.kind == "notebook" else None,
            graded=EXERCISES[exercise],
            limits=limits,
            available=available_packages(),
        )
        notes += session.call_notes(exercise)  # said during its graded calls, not at import
        if notes:
            outcomes.append(ExerciseOutcome(exercise, notes=tuple(notes)))
    return tuple(outcomes)


def grade_path(
    path: Path,
    host: SandboxHost,
    *,
    name: str | None = None,
    exercises: Iterable[str] | None = None,
) -> SubmissionResult:
    """Load and grade the submission at ``path``; never raises for student input."""
    try:
        with timings.phase("intake"):
            submission = load_submission(path, name=name)
    except SubmissionError as error:
        return not_gradable(
            name or path.stem, str(error), isolation=host.isolation, limits=host.limits.to_dict()
        )
    return grade_loaded(submission, host, exercises=exercises)


def grade_submission(
    path: Path | str,
    *,
    name: str | None = None,
    require: str | None = None,
    exercises: Iterable[str] | None = None,
) -> SubmissionResult:
    """Grade one submission from scratch (starts and stops its own sandbox host)."""
    from grader.sandbox.trusted.client import SandboxHost

    with SandboxHost(require=require) as host:
        return grade_path(Path(path), host, name=name, exercises=exercises)


def verify(*, require: str | None = None) -> tuple[SubmissionResult, SubmissionResult]:
    """Grade the reference solutions and the untouched stubs.

    A sound assignment gives the solutions full marks and the stubs zero;
    ``grader verify`` exits non-zero otherwise.
    """
    from grader.sandbox.trusted.client import SandboxHost

    assignment = current()
    with SandboxHost(require=require) as host:
        solutions = grade_path(assignment.solutions_dir, host, name="solutions")
        stubs = grade_path(assignment.exercises_dir, host, name="stubs")
    return solutions, stubs


def verify_problems(solutions: SubmissionResult, stubs: SubmissionResult) -> list[str]:
    """Why ``verify`` fails, in plain words; empty when the assignment is sound."""
    problems = []
    if solutions.status is not SubmissionStatus.GRADED or solutions.score != solutions.max_score:
        problems.append(
            f"reference solutions scored {solutions.score:g}/{solutions.max_score:g},"
            " not full marks"
        )
    if stubs.status is SubmissionStatus.GRADED and stubs.score != 0:
        problems.append(f"untouched stubs scored {stubs.score:g}, not 0")
    graded = {c.exercise for c in solutions.checks}
    missing = [name for name in EXERCISES if name not in graded]
    if missing:
        problems.append(f"no checks ran for: {', '.join(missing)}")
    problems += _declared_points_problems(solutions)
    return problems


def _declared_points_problems(solutions: SubmissionResult) -> list[str]:
    """Where the checks' points disagree with the points the assignment file declares."""
    found: dict[tuple[str, str], float] = {}
    for check in solutions.checks:
        key = (check.exercise, check.function)
        found[key] = found.get(key, 0.0) + check.max_points
    problems = []
    for exercise in current().exercises.values():
        for function, points in exercise.points.items():
            got = found.get((exercise.name, function), 0.0)
            if abs(got - points) > 1e-9:
                problems.append(
                    f"{exercise.name}.{function}: the checks give {got:g} points, "
                    f"the assignment file declares {points:g}"
                )
    return problems
