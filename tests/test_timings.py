"""The phase record `make bench` breaks a judge's time down with."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from grader import timings


@pytest.fixture(autouse=True)
def _off_afterwards() -> Iterator[None]:
    timings.take()
    yield
    timings.enable(False)
    timings.scope("")
    timings.take()


def test_nothing_is_recorded_unless_enabled() -> None:
    with timings.phase("calls"):
        pass
    timings.add("codec", 1.0)
    assert timings.take() == {}


def test_phases_add_up_per_scope_and_take_resets() -> None:
    timings.enable()
    timings.add("calls", 0.25)
    timings.scope("ex01")
    timings.add("calls", 0.5)
    timings.add("calls", 0.25)
    with timings.phase("codec"):
        pass
    taken = timings.take()
    assert taken["calls"] == (0.25, 1)
    assert taken["calls.ex01"] == (0.75, 2)
    seconds, count = taken["codec.ex01"]
    assert count == 1 and 0.0 <= seconds < 1.0
    assert timings.take() == {}


def test_a_phase_that_raises_is_still_timed() -> None:
    timings.enable()
    with pytest.raises(ValueError), timings.phase("import"):
        raise ValueError("student code")
    assert timings.take()["import"][1] == 1
