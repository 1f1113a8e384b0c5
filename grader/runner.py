"""Run the hidden checks on one submission, in this (trusted) process.

pytest is started in-process once per submission with :class:`GradingPlugin`;
collection of the check modules is cached by Python after the first run, and
expected values are memoised by the checks, so grading a class costs little
more than the student calls themselves.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from grader.assignment import EXERCISES, checks_dir
from grader.model import CheckResult
from grader.plugin import GradingPlugin
from grader.sandbox.errors import ImportFailed


class GraderSetupError(RuntimeError):
    """The checks themselves could not be collected: a staff problem, not a student's."""


@dataclass
class CheckRun:
    results: list[CheckResult]
    staff_log: list[str] = field(default_factory=list)


class StudentView:
    """What checks see as ``student``: the session, plus the intake's verdicts.

    An exercise the student did not hand in, or one the intake could not read
    (say, a notebook that is not valid JSON), fails each of its checks with the
    same plain reason instead of reaching the sandbox at all.
    """

    def __init__(
        self,
        session: Any,
        *,
        available: Iterable[str],
        problems: Mapping[str, str] | None = None,
    ) -> None:
        self._session = session
        self._available = set(available)
        self._problems = dict(problems or {})

    def _gate(self, name: str) -> None:
        if name in self._problems:
            raise ImportFailed(self._problems[name], kind="exception")
        if name not in self._available:
            raise ImportFailed(
                f"{name}.py (or {name}.ipynb) was not found in your submission", kind="missing"
            )

    def exercise(self, name: str) -> Any:
        self._gate(name)
        return self._session.exercise(name)

    def source(self, name: str) -> str:
        self._gate(name)
        return self._session.source(name)


def run_on_student(
    student: Any,
    *,
    exercises: Iterable[str] | None = None,
    public_only: bool = False,
) -> CheckRun:
    """Run every selected check against ``student`` and return their results."""
    plugin = GradingPlugin(student, exercises=exercises, public_only=public_only)
    directory = checks_dir()
    args = [
        str(directory),
        "-p", "no:cacheprovider",
        "-p", "no:terminal",
        "-p", "no:stepwise",
        "-p", "no:unraisableexception",
        "-p", "no:threadexception",
        "-p", "no:logging",
        # Only our plugin and pytest's own: a plugin installed beside the grader
        # (pytest-randomly reorders and reseeds, say) must not change a grade.
        "--disable-plugin-autoload",
        "-c", os.devnull,
        "--rootdir", str(directory),
        "--capture=sys",
        # Checks fail through CheckFailed, never a bare assert; rewriting the nine
        # check modules cost ~0.15 s of every cold start.
        "--assert=plain",
    ]  # fmt: skip
    code = pytest.main(args, plugins=[plugin])
    if plugin.collection_errors or code in (
        pytest.ExitCode.INTERNAL_ERROR,
        pytest.ExitCode.USAGE_ERROR,
    ):
        detail = "\n".join(plugin.collection_errors) or f"pytest exit code {int(code)}"
        raise GraderSetupError(f"the hidden checks could not be collected:\n{detail}")
    return CheckRun(plugin.results, plugin.staff_log)


def run_checks(
    sources: Mapping[str, str],
    *,
    backend: str = "inprocess",
    exercises: Iterable[str] | None = None,
    problems: Mapping[str, str] | None = None,
    host: Any = None,
) -> list[CheckResult]:
    """Grade exercise sources (exercise name -> module text); a convenience for tests.

    ``backend="inprocess"`` runs the student code in this process (L0): only for
    the package's own tests of the checks. ``backend="sandbox"`` uses ``host``
    (a started :class:`~grader.sandbox.client.SandboxHost`).
    """
    wanted = list(exercises) if exercises is not None else list(EXERCISES)
    if backend == "inprocess":
        from grader.sandbox.inprocess import InProcessSubmission

        session: Any = InProcessSubmission(dict(sources))
        run = run_on_student(
            StudentView(session, available=sources, problems=problems), exercises=wanted
        )
        return run.results
    if backend == "sandbox":
        if host is None:
            raise ValueError("backend='sandbox' needs a started SandboxHost as host=")
        with host.submission(dict(sources)) as session:
            run = run_on_student(
                StudentView(session, available=sources, problems=problems), exercises=wanted
            )
        return run.results
    raise ValueError(f"unknown backend {backend!r}")
