"""Run the hidden checks on one submission, in this (trusted) process.

pytest is configured in-process and collects the checks once per process
(:class:`CheckSession`); each submission is one pass of pytest's run-test
loop with :class:`GradingPlugin` bound to it. Expected values are memoised by
the checks, so grading a class costs little more than the student calls
themselves.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from grader.assignment import EXERCISES, current
from grader.direct_checks import run_direct, why_not_direct
from grader.errors import GraderError
from grader.model import CheckResult
from grader.plugin import GradingPlugin
from grader.sandbox.trusted.errors import ImportFailed


class GraderSetupError(GraderError, RuntimeError):
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
    wanted = frozenset(exercises) if exercises is not None else None
    key = (current().root, wanted, public_only)
    checks = _SESSIONS.get(key)
    if checks is None:
        checks = _SESSIONS[key] = CheckSession(exercises=wanted, public_only=public_only)
    try:
        return checks.run(student)
    except GraderSetupError:
        _SESSIONS.pop(key, None)  # collect again next time: the checks may be fixed by then
        raise


def prepare(exercises: Iterable[str] | None = None) -> None:
    """Collect the checks now (before a judge forks, so that its copies need not).

    Checks that cannot be collected are not an error here: each submission
    then gets a report saying the grader failed, with the reason in its
    staff log, as it would without this head start.
    """
    wanted = frozenset(exercises) if exercises is not None else None
    key = (current().root, wanted, False)
    if key not in _SESSIONS:
        with contextlib.suppress(GraderSetupError):
            _SESSIONS[key] = CheckSession(exercises=wanted, public_only=False)


class CheckSession:
    """One pytest session over the hidden checks, run again for every submission.

    A fresh ``pytest.main`` per submission spent ~35 ms of the judge's ~110
    configuring pytest and collecting the same nine modules. Here both happen
    once; each submission is one more pass of pytest's own run-test loop over
    the collected items, with the plugin bound to that submission. Each pass
    ends with every fixture torn down (the last item has no next item), as a
    session would, so no state but the checks' memoised expected values
    crosses from one submission to the next. Between passes the judge's
    standard streams are its own again: they carry its protocol with the
    orchestrator. When every check is plain (`grader.direct_checks`), a pass
    calls them directly instead of through the run-test loop: the loop's
    hooks and reports were a quarter of the judge's CPU per submission.

    Built on pytest's configuration internals (`_prepareconfig`), which is why
    the pytest version is pinned; `tests/test_runner_session.py` compares
    passes with fresh sessions.
    """

    def __init__(
        self, *, exercises: frozenset[str] | None, public_only: bool, direct: bool = True
    ) -> None:
        from _pytest.config import _prepareconfig

        self.plugin = GradingPlugin(None, exercises=exercises, public_only=public_only)
        directory = current().checks_dir
        if not directory.is_dir():
            raise GraderSetupError(f"the checks folder {directory} does not exist")
        args = [
            str(directory),
            # Checks are `check_*.py`, so pytest and coverage never take them for tests.
            "-o", "python_files=check_*.py",
            "-p", "no:cacheprovider",
            "-p", "no:terminal",
            "-p", "no:stepwise",
            "-p", "no:unraisableexception",
            "-p", "no:threadexception",
            "-p", "no:logging",
            # No check asks for warnings; recording them for a summary nobody prints
            # cost a catch_warnings per check (a check's warning still goes to the
            # captured stderr, as any output does).
            "-p", "no:warnings",
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
        self.config = _prepareconfig(args, plugins=[self.plugin])
        self._capture = self.config.pluginmanager.getplugin("capturemanager")
        try:
            self.config._do_configure()
            self.session = pytest.Session.from_config(self.config)
            self.config.hook.pytest_sessionstart(session=self.session)
            self.config.hook.pytest_collection(session=self.session)
        except Exception as error:
            raise GraderSetupError(f"the hidden checks could not be collected:\n{error}") from None
        finally:
            self._release_streams()
        if self.plugin.collection_errors:
            detail = "\n".join(self.plugin.collection_errors)
            raise GraderSetupError(f"the hidden checks could not be collected:\n{detail}")
        # Plain checks are called directly (`grader.direct_checks`); ``direct=False``
        # keeps pytest's protocol, for the tests that compare the two.
        self.why_not_direct = (
            why_not_direct(self.session.items, self.config, self.plugin)
            if direct
            else "asked for pytest's protocol"
        )

    def _release_streams(self) -> None:
        """Give the judge back its stdin, stdout and stderr.

        pytest suspends capturing after each check but keeps stdin replaced
        (reading it fails) until the session ends; here the session never
        ends, and the judge reads its next submission from stdin.
        """
        if self._capture is not None:
            self._capture.suspend_global_capture(in_=True)
            self._capture.read_global_capture()  # nobody reads what is left there

    def run(self, student: Any) -> CheckRun:
        """One pass over the collected checks with ``student``; their results in order."""
        plugin, session = self.plugin, self.session
        plugin.bind(student)
        if not self.why_not_direct:
            try:
                run_direct(session.items, plugin, plugin.fixture_values())
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as error:  # our loop failed, not a check
                raise GraderSetupError(f"the checks could not be run: {error!r}") from error
            finally:
                run = CheckRun(list(plugin.results), list(plugin.staff_log))
                plugin.bind(None)  # the submission is over: hold nothing of it
            return run
        session.testsfailed = 0
        session.shouldstop = session.shouldfail = False
        for item in session.items:
            item._report_sections.clear()  # captured output of the last pass
        try:
            self.config.hook.pytest_runtestloop(session=session)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # pytest's own machinery failed, not a check
            raise GraderSetupError(f"pytest failed while running the checks: {error!r}") from error
        finally:
            self._release_streams()
            run = CheckRun(list(plugin.results), list(plugin.staff_log))
            plugin.bind(None)  # the submission is over: hold nothing of it
        return run


_SESSIONS: dict[tuple[Any, frozenset[str] | None, bool], CheckSession] = {}


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
    (a started :class:`~grader.sandbox.trusted.client.SandboxHost`).
    """
    wanted = list(exercises) if exercises is not None else list(EXERCISES)
    if backend == "inprocess":
        from grader.sandbox.trusted.inprocess import InProcessSubmission

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
