"""``grader check``: the public checks, run by a student on their own exercises.

The same checks, plugin and runner as grading, restricted to the checks whose
``grade`` marker says ``public=True``; in the student bundle those are the
only checks there are. The output says plainly that these are public checks
only: a student who passes them all has not been graded (users' complaint:
"I had the 'all tests passed' thing but… 51/70").

Why the student's code runs in this process by default (the L0 backend,
:mod:`grader.sandbox.trusted.inprocess`): it is the student's own code on the
student's own machine, so there is nothing to protect the checker from, and
the in-process backend works everywhere students work (macOS, Windows,
Jupyter), while the sandbox needs Linux. Values still cross the same codec as
in grading, so the checks see exactly what they will see when graded.
``sandbox=True`` (``grader check --sandbox``) uses the real sandbox host
instead, with its memory limits too, on Linux. Either way a check sees what
grading shows it: the limits are the assignment's (and ``--limit``'s), each
call is cut at its time limit (in this process by ``SIGALRM``, so not on
Windows), a notebook runs cell by cell, and a line is named "code cell N,
line M".
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.assignment import EXERCISES
from grader.errors import GraderError
from grader.model import CheckResult

if TYPE_CHECKING:
    from rich.console import Console

    from grader.intake import Submission

__all__ = [
    "LABEL",
    "CheckError",
    "CheckReport",
    "check",
    "classroom_output",
    "default_path",
    "resolve_exercises",
]

LABEL = "Public checks only — your grade comes from hidden checks on other inputs."


class CheckError(GraderError):
    """A problem the student can fix (a path, an exercise name); ``hint`` says how."""


@dataclass(frozen=True)
class CheckReport:
    """What ``check`` found: every public check's result, per exercise asked for."""

    path: Path
    exercises: tuple[str, ...]
    results: tuple[CheckResult, ...]
    origins: Mapping[str, str] = field(default_factory=dict)  # exercise -> file checked
    problems: Mapping[str, str] = field(default_factory=dict)  # exercise -> unreadable why
    notes: tuple[str, ...] = ()
    backend: str = "in this process"

    @property
    def passed(self) -> bool:
        """Every public check ran and passed (which is not a grade: see :data:`LABEL`)."""
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]

    @property
    def score(self) -> float:
        return round(sum(r.points for r in self.results), 4)

    @property
    def max_score(self) -> float:
        return round(sum(r.max_points for r in self.results), 4)

    def show(self, console: Console | None = None) -> None:
        """Print the table, the failing checks with their messages, and the label."""
        from rich.console import Console

        _render(self, console or Console(highlight=False))

    def text(self, width: int = 100) -> str:
        """The same output as :meth:`show`, as plain text."""
        from rich.console import Console

        buffer = io.StringIO()
        console = Console(file=buffer, width=width, color_system=None, highlight=False)
        _render(self, console)
        return buffer.getvalue()

    def __repr__(self) -> str:
        passed = sum(r.passed for r in self.results)
        return (
            f"<CheckReport: {passed} of {len(self.results)} public checks pass "
            "(public checks only; hidden checks decide the grade)>"
        )


def check(
    exercises: str | Iterable[str] | None = None,
    path: str | Path | None = None,
    *,
    sandbox: bool = False,
    show: bool = True,
) -> CheckReport:
    """Run the public checks on the exercises in ``path`` and print what they found.

    ``exercises`` is one name or several (``"ex02_shapes"``, or just
    ``"ex03"``); None checks every exercise. ``path`` is the folder of
    exercise files (default: ``exercises/`` here, or the folder a notebook
    runs in). Raises :class:`CheckError` for a problem the caller can fix.

    Called from an exercise module that the grader is importing, it does
    nothing and returns an empty report: a notebook is graded as a module run
    top to bottom, so the cell where the student called ``check()`` runs
    again inside the checker (or the sandbox) and must not start it anew.
    """
    if _called_from_an_exercise():  # before anything that could raise into the grader
        return CheckReport(path=Path(path or "."), exercises=(), results=(), backend="not run")
    from grader.intake import SubmissionError, load_submission

    wanted = resolve_exercises(exercises)
    folder = Path(path) if path is not None else default_path()
    if not folder.exists():
        raise CheckError(
            f"{folder}: no such file or folder",
            "give the folder that holds your exercise files, e.g. --path exercises/",
        )
    try:
        submission = load_submission(folder, name="your exercises")
    except SubmissionError as error:
        raise CheckError(str(error), "check the path and the file names") from None
    if not submission.exercises and not submission.problems:
        raise CheckError(
            f"no exercise files in {folder}",
            f"files must be named like {next(iter(EXERCISES))}.py or "
            f"{next(iter(EXERCISES))}.ipynb; "
            "give their folder with --path",
        )
    origins = {name: src.origin for name, src in submission.exercises.items()}
    notes = list(submission.notes)
    for src in submission.exercises.values():
        # A student's folder always holds both the .py and the notebook; which one
        # ran is in the table, so intake's "also found ..." notes would only be noise.
        notes += [
            f"{src.origin}: {note}"
            for note in src.notes
            if src.exercise in wanted and not note.startswith("also found ")
        ]
    results, backend = _run(submission, wanted, sandbox=sandbox)
    report = CheckReport(
        path=folder,
        exercises=tuple(wanted),
        results=tuple(results),
        origins=origins,
        problems=dict(submission.problems),
        notes=tuple(notes),
        backend=backend,
    )
    if show:
        report.show()
    return report


def _called_from_an_exercise() -> bool:
    """Whether ``check``'s caller is a module the grader is importing as an exercise.

    A student's own session runs as ``__main__``; the grader's worker marks
    each exercise module it imports (in the sandbox as in this process), so
    this needs no assignment file, which the sandbox cannot read.
    """
    return sys._getframe(2).f_globals.get("__grader_exercise__") is True


def resolve_exercises(names: str | Iterable[str] | None) -> list[str]:
    """Contract names for what a student typed: full names, or the ``exNN`` prefix."""
    if names is None:
        return list(EXERCISES)
    wanted: list[str] = []
    for raw in [names] if isinstance(names, str) else list(names):
        token = str(raw).strip().removesuffix(".py").removesuffix(".ipynb")
        matches = [e for e in EXERCISES if e == token or e.split("_", 1)[0] == token]
        if len(matches) != 1:
            raise CheckError(
                f"unknown exercise {raw!r}", "one of: " + ", ".join(EXERCISES) + " (or ex01 …)"
            )
        if matches[0] not in wanted:
            wanted.append(matches[0])
    return wanted or list(EXERCISES)


def default_path(cwd: Path | None = None) -> Path:
    """Where the exercises are when no path is given.

    ``exercises/`` under the current folder; else the current folder if it
    holds exercise files, except that a notebook running in
    ``exercises/notebooks/`` checks ``exercises/`` (so both the ``.py`` files
    and the notebooks are seen, as when graded).
    """
    here = cwd or Path.cwd()
    if _has_exercises(here / "exercises"):
        return here / "exercises"
    if here.name == "notebooks" and _has_exercises(here.parent):
        return here.parent
    if _has_exercises(here):
        return here
    return here / "exercises"


def _has_exercises(folder: Path) -> bool:
    return any(
        (folder / sub / f"{name}{suffix}").is_file()
        for sub in ("", "notebooks")
        for name in EXERCISES
        for suffix in (".py", ".ipynb")
    )


def _run(
    submission: Submission, wanted: list[str], *, sandbox: bool
) -> tuple[list[CheckResult], str]:
    """The public checks' results, and where the code ran.

    As when graded: the same limits (the assignment's, then ``--limit``), each
    call cut at its deadline, a notebook run cell by cell and its lines named
    "code cell N, line M".
    """
    from grader.runner import GraderSetupError, StudentView, run_on_student
    from grader.sandbox.trusted.limits import configured

    sources = {name: src.source for name, src in submission.exercises.items()}
    origins = {name: src.origin for name, src in submission.exercises.items()}
    locate, cells = submission.notebook_maps()

    def run(session: Any) -> list[CheckResult]:
        view = StudentView(session, available=sources, problems=submission.problems)
        return run_on_student(view, exercises=wanted, public_only=True).results

    try:
        limits = configured()
        if not sandbox:
            from grader.sandbox.trusted.inprocess import InProcessSubmission

            with InProcessSubmission(sources, origins, limits=limits, locate=locate,
                                     cells=cells, timeouts=True) as local:  # fmt: skip
                return run(local), "in this process"
        from grader.sandbox.trusted.client import SandboxHost
        from grader.sandbox.trusted.errors import SandboxError

        try:
            with (
                SandboxHost(limits) as host,
                host.submission(sources, origins=origins, locate=locate, cells=cells) as session,
            ):
                return run(session), f"in the sandbox ({host.isolation.level})"
        except SandboxError as error:
            raise CheckError(
                f"the sandbox could not run: {error}",
                "run `grader check` without --sandbox (your code then runs in this process)",
            ) from None
    except GraderSetupError as error:
        raise CheckError(
            f"the public checks could not be loaded: {error}",
            "reinstall the course bundle; if it persists, tell the course staff",
        ) from None


# --------------------------------------------------------------------- output


def _render(report: CheckReport, console: Console) -> None:
    from rich.table import Table
    from rich.text import Text

    from grader.reports.markdown import check_message, clean_text, format_points, lesson_hint

    table = Table(title=f"Public checks on {report.path} (your code ran {report.backend})")
    for title, justify in (
        ("exercise", "left"),
        ("file", "left"),
        ("public checks", "right"),
        ("public points", "right"),
    ):
        table.add_column(title, justify=justify)  # type: ignore[arg-type]
    for exercise in report.exercises:
        own = [r for r in report.results if r.exercise == exercise]
        passed = sum(r.passed for r in own)
        origin = report.origins.get(exercise)
        if exercise in report.problems:
            shown, style = "could not be read", "red"
        elif origin:
            shown, style = clean_text(origin, limit=60, max_lines=1), ""
        else:
            shown, style = "not found", "red"
        points = sum(r.points for r in own)
        most = sum(r.max_points for r in own)
        verdict = "green" if own and passed == len(own) else "red"
        table.add_row(
            Text(exercise),
            Text(shown, style=style),
            Text(f"{passed} of {len(own)} pass", style=verdict),
            Text(f"{format_points(points)} / {format_points(most)}", style=verdict),
        )
    console.print(table)
    if report.failed:
        console.print(Text("To fix:", style="bold"))
    for result in report.failed:
        line = Text("  ✗ ", style="red")
        line.append(f"{result.exercise} · {result.function} — {result.name}", style="bold")
        console.print(line)
        console.print(Text(_indent(check_message(result), "    ")))
        hint = lesson_hint(result.mistake)
        if hint:
            console.print(Text(_indent(f"Lesson hint: {hint}", "    "), style="cyan"))
    notes = [clean_text(note, limit=300, max_lines=3) for note in report.notes]
    if any(notes):
        console.print(Text("Notes:", style="bold"))
        for note in filter(None, notes):
            console.print(Text(_indent(f"- {note}", "  ")))
    console.print()
    console.print(Text(LABEL, style="bold yellow"))
    passed = sum(r.passed for r in report.results)
    console.print(
        Text(
            f"{passed} of {len(report.results)} public checks pass "
            f"({format_points(report.score)} of {format_points(report.max_score)} public points)."
        )
    )


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def classroom_output(report: CheckReport) -> tuple[str, str]:
    """GitHub Classroom's points notice and a job summary, for the public checks only.

    What ``grader check --classroom`` prints in a workflow of the student's own
    repository: that workflow holds no secret and no hidden check, so these
    points are feedback, never the grade (the instructor grades the class
    with the hidden checks in a repository of their own).
    """
    from grader.model import Isolation, SubmissionResult, SubmissionStatus
    from grader.reports.github import classroom_notice, github_step_summary

    result = SubmissionResult(
        submission=f"public checks of {report.path.name or report.path}",
        status=SubmissionStatus.GRADED,
        checks=report.results,
        isolation=Isolation("L0"),  # `grader check` runs the student's code in its own process
        notes=tuple(report.notes)
        + tuple(f"{name}: {why}" for name, why in report.problems.items()),
    )
    summary = github_step_summary(result, hidden="count")  # there are no hidden ones here
    return classroom_notice(result), f"{LABEL}\n\n{summary}"
