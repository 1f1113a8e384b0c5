"""Plain checks called directly, without pytest's per-test protocol.

A check that only asks for ``student`` and ``ref`` and carries only its
``grade`` marker needs nothing of pytest's run-test protocol but the call
itself: no fixture to set up or tear down, no marker to act on, no report to
print. That protocol (hooks, setup state, call info, reports) cost about a
quarter of a judge's CPU per submission, more than the codec and the sockets
together. So once the checks are collected, a session whose every item is
plain, and whose run-test hooks all belong to pytest itself or to our plugin
(no conftest or plugin of the course's that could change an outcome), grades
each submission by calling the collected functions in order, with output
captured as pytest's ``--capture=sys`` would and each outcome mapped by the
plugin exactly as its report would be (:meth:`GradingPlugin.record`).

Anything else (a parametrized check, a fixture of the course's, ``skip`` or
``xfail``, a conftest hook) keeps pytest's own protocol for the whole
session: :func:`why_not_direct` names the first reason, and
`tests/test_runner_session.py` grades the same submissions both ways.
"""

from __future__ import annotations

import inspect
import io
import sys
import time
import types
from collections.abc import Sequence
from typing import Any, cast

import pytest

from grader import timings

__all__ = ["run_direct", "why_not_direct"]

FIXTURES = frozenset({"student", "ref"})  # what the grading plugin supplies
MARKERS = frozenset({"grade"})
# Every hook pytest calls while it runs one test; an implementation of any of them
# that is not pytest's or ours could change what a check's outcome is.
RUNTEST_HOOKS = (
    "pytest_runtest_protocol", "pytest_runtest_logstart", "pytest_runtest_setup",
    "pytest_runtest_call", "pytest_pyfunc_call", "pytest_runtest_teardown",
    "pytest_runtest_makereport", "pytest_runtest_logreport", "pytest_runtest_logfinish",
    "pytest_fixture_setup", "pytest_fixture_post_finalizer", "pytest_exception_interact",
)  # fmt: skip


def why_not_direct(items: Sequence[pytest.Item], config: pytest.Config, ours: object) -> str:
    """Why these checks need pytest's protocol ("" when they can be called directly)."""
    for name in RUNTEST_HOOKS:
        for impl in getattr(config.hook, name).get_hookimpls():
            if impl.plugin is not ours and not _pytests_own(impl.plugin):
                return f"{impl.plugin_name} implements {name}"
    for item in items:
        if type(item) is not pytest.Function:
            return f"{item.nodeid} is a {type(item).__name__}, not a plain check function"
        if hasattr(item, "callspec"):
            return f"{item.nodeid} is parametrized"
        extra = sorted(set(item.fixturenames) - FIXTURES)
        if extra:
            return f"{item.nodeid} uses the fixtures {', '.join(extra)}"
        markers = sorted({mark.name for mark in item.iter_markers()} - MARKERS)
        if markers:
            return f"{item.nodeid} has the markers {', '.join(markers)}"
        function = item.obj
        if inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function):
            return f"{item.nodeid} is asynchronous"
    return ""


def _pytests_own(plugin: object) -> bool:
    module = plugin.__name__ if isinstance(plugin, types.ModuleType) else type(plugin).__module__
    return module == "pytest" or module.startswith("_pytest.")


def run_direct(items: Sequence[pytest.Item], plugin: Any, fixtures: dict[str, Any]) -> None:
    """Call every check in ``items`` with ``fixtures``; ``plugin`` records each outcome.

    ``items`` are those :func:`why_not_direct` found plain: functions, each
    asking for nothing but ``fixtures``.

    As under pytest, an exception that is not pytest's ``Exit`` or a
    KeyboardInterrupt is the check's outcome (a ``SystemExit`` too), and the
    checks' output goes nowhere the judge's protocol runs: stdout and stderr
    are swapped for a sink, and stdin for one that cannot be read, for the
    whole pass.
    """
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = _NoInput(), _Sink(), _Sink()
    try:
        for item in cast(Sequence[pytest.Function], items):
            mark = plugin.mark_of(item)
            timings.scope(mark.exercise)
            started = time.perf_counter()
            error: BaseException | None = None
            try:
                item.obj(**{name: fixtures[name] for name in item._fixtureinfo.argnames})
            except (KeyboardInterrupt, pytest.exit.Exception):
                raise
            except BaseException as failed:
                error = failed
            plugin.record(item, mark, error, time.perf_counter() - started)
            timings.scope("")
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


class _Sink(io.TextIOBase):
    """Where a check's prints go: nobody reads them (pytest's report sections were cleared too)."""

    encoding = "utf-8"
    errors = "strict"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        return len(text)


class _NoInput(io.TextIOBase):
    """stdin while checks run: reading it fails, as under pytest's capture."""

    encoding = "utf-8"

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        raise OSError("a check cannot read stdin: it carries the judge's requests")

    readline = read  # type: ignore[assignment]
