"""The pytest plugin that turns hidden checks into graded results.

Checks are ordinary pytest functions in the assignment's checks folder that carry one
``grade`` marker. This plugin supplies their fixtures (``student``, ``ref``),
keeps only the exercises asked for, and converts every outcome into a
:class:`~grader.model.CheckResult`. It runs in the trusted parent; the student's
code is reached only through the ``student`` fixture, which talks to a worker.

Outcome mapping, the heart of "student fault vs staff fault":

- the check returned            -> passed, full points
- ``CheckFailed`` raised        -> failed, the check's message (and lesson mistake)
- a ``StudentFault`` raised     -> its status (error / timeout / crashed), its message
- anything else                 -> grader_error: one plain line for the student,
                                   the traceback for staff
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from grader import timings
from grader.assignment import EXERCISES, reference
from grader.compare import CheckFailed
from grader.model import CheckResult, CheckStatus
from grader.sandbox.trusted.errors import StudentFault

MARKER = "grade"
STAFF_MESSAGE = "The grader could not run this check (a problem on our side); staff have been told."


@dataclass(frozen=True)
class GradeMark:
    """What a check's ``grade`` marker declares."""

    exercise: str
    function: str
    points: float
    public: bool

    @classmethod
    def of(cls, item: pytest.Item) -> GradeMark:
        mark = item.get_closest_marker(MARKER)
        if mark is None:
            raise pytest.UsageError(f"check {item.nodeid} has no @pytest.mark.{MARKER}(...) marker")
        kwargs = dict(mark.kwargs)
        exercise = kwargs.get("exercise")
        function = kwargs.get("function")
        if (
            not isinstance(exercise, str)
            or not isinstance(function, str)
            or exercise not in EXERCISES
            or function not in EXERCISES[exercise]
        ):
            raise pytest.UsageError(
                f"check {item.nodeid}: {exercise}.{function} is not in the assignment contract"
            )
        return cls(exercise, function, float(kwargs.get("points", 1)), bool(kwargs.get("public")))


class GradingPlugin:
    """Collects one ``CheckResult`` per selected check for the submission it is bound to."""

    def __init__(
        self,
        student: Any,
        *,
        exercises: Iterable[str] | None = None,
        public_only: bool = False,
    ) -> None:
        self._student = student
        self.exercises = set(exercises) if exercises is not None else set(EXERCISES)
        self.public_only = public_only
        self.results: list[CheckResult] = []
        self.staff_log: list[str] = []
        self.collection_errors: list[str] = []
        self._started: dict[str, float] = {}

    def bind(self, student: Any) -> None:
        """Grade ``student`` next: results start empty (one plugin serves many passes)."""
        self._student = student
        self.results = []
        self.staff_log = []
        self._started = {}

    # -- configuration -------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line(
            "markers",
            f"{MARKER}(exercise, function, points, public=False): a graded hidden check",
        )

    def fixture_values(self) -> dict[str, Any]:
        """What the ``student`` and ``ref`` fixtures give, for checks called directly."""
        return {"student": self._student, "ref": reference}

    @pytest.fixture
    def student(self) -> Any:
        return self._student

    @pytest.fixture
    def ref(self) -> Callable[[str], Any]:
        return reference

    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        kept = []
        for item in items:
            mark = GradeMark.of(item)
            if mark.exercise not in self.exercises:
                continue
            if self.public_only and not mark.public:
                continue
            item.stash[_MARK_KEY] = mark
            kept.append(item)
        items[:] = kept

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {report.longreprtext}")

    # -- outcomes --------------------------------------------------------
    def pytest_runtest_logstart(self, nodeid: str, location: object) -> None:
        self._started[nodeid] = time.perf_counter()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        mark = item.stash.get(_MARK_KEY, None)
        timings.scope(mark.exercise if mark is not None else "")

    def pytest_runtest_logfinish(self, nodeid: str, location: object) -> None:
        timings.scope("")

    @pytest.hookimpl(tryfirst=True, specname="pytest_runtest_makereport")
    def pytest_runtest_makereport_plain(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> pytest.TestReport | None:
        """A plain report for a check that failed as expected (no traceback).

        pytest's own report renders the traceback with the source of every frame
        (about 20 ms a failure, most of a failing submission's judging time);
        the check's message is all anyone reads. Other outcomes get pytest's.
        """
        error = call.excinfo.value if call.excinfo is not None else None
        if not isinstance(error, CheckFailed | StudentFault) or _MARK_KEY not in item.stash:
            return None
        when = call.when
        if when == "collect":  # never for a test item; narrows the type
            return None
        return pytest.TestReport(
            item.nodeid, item.location, {k: 1 for k in item.keywords}, "failed",
            f"{type(error).__name__}: {error.message}", when, [],
            call.duration, call.start, call.stop, user_properties=item.user_properties,
        )  # fmt: skip

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        mark = item.stash.get(_MARK_KEY, None)
        if mark is None:
            return report
        if call.when == "call" or (call.when == "setup" and call.excinfo is not None):
            elapsed = time.perf_counter() - self._started.get(item.nodeid, time.perf_counter())
            error = call.excinfo.value if call.excinfo is not None else None
            self.record(item, mark, error, elapsed)
        return report

    def mark_of(self, item: pytest.Item) -> GradeMark:
        """The ``grade`` marker of a collected (and kept) check."""
        return item.stash[_MARK_KEY]

    def record(
        self, item: pytest.Item, mark: GradeMark, error: BaseException | None, elapsed: float
    ) -> None:
        """Keep the result of one check that ended with ``error`` (None: it passed).

        Called from pytest's report hook, or by `grader.direct_checks` for a
        check it called itself: one mapping from outcome to result for both.
        """
        timings.add("checks", elapsed)
        self.results.append(self._result(item, mark, error, elapsed))

    def _result(
        self, item: pytest.Item, mark: GradeMark, error: BaseException | None, elapsed: float
    ) -> CheckResult:
        name = item.name.removeprefix("test_")
        common: dict[str, Any] = {
            "id": f"{mark.exercise}.{mark.function}.{name}",
            "exercise": mark.exercise,
            "function": mark.function,
            "name": name.replace("_", " "),
            "max_points": mark.points,
            "visibility": "public" if mark.public else "hidden",
            "duration": elapsed,
        }
        if error is None:
            return CheckResult(points=mark.points, status=CheckStatus.PASSED, **common)
        if isinstance(error, CheckFailed):
            return CheckResult(
                points=0.0,
                status=CheckStatus.FAILED,
                message=error.message,
                mistake=error.mistake,
                **common,
            )
        if isinstance(error, StudentFault):
            return CheckResult(
                points=0.0, status=CheckStatus(error.status), message=error.message, **common
            )
        self.staff_log.append(f"{item.nodeid}:\n{''.join(traceback.format_exception(error))}")
        return CheckResult(
            points=0.0, status=CheckStatus.GRADER_ERROR, message=STAFF_MESSAGE, **common
        )


_MARK_KEY = pytest.StashKey[GradeMark]()
