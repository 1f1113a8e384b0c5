"""Late penalties: grace, per started day, cap, floor, per-student due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grader.policy import LatePolicy, PolicyError, late_adjustment, parse_late_policy

DUE = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)
POLICY = parse_late_policy("per_day=10,grace_minutes=15,max=50")


def _penalty(late: timedelta, score: float = 100, due: datetime = DUE) -> float:
    found = late_adjustment(due + late, due, POLICY, score=score, max_score=100)
    return -found.points if found else 0.0


def test_policy_text_is_parsed() -> None:
    assert LatePolicy(per_day=10, grace_minutes=15, max=50) == POLICY


@pytest.mark.parametrize("text", ["per_day=ten", "weekly=5", "per_day=120", "max=-1"])
def test_bad_policies_say_what_to_write(text: str) -> None:
    with pytest.raises(PolicyError, match="--late-policy"):
        parse_late_policy(text)


def test_on_time_and_inside_the_grace_period_cost_nothing() -> None:
    assert _penalty(-timedelta(hours=1)) == 0
    assert _penalty(timedelta(minutes=15)) == 0  # the grace period's last minute


def test_each_started_day_after_grace_costs_per_day() -> None:
    assert _penalty(timedelta(minutes=16)) == 10
    assert _penalty(timedelta(days=1, minutes=15)) == 10
    assert _penalty(timedelta(days=1, minutes=16)) == 20


def test_the_penalty_is_capped() -> None:
    assert _penalty(timedelta(days=30)) == 50


def test_the_score_never_goes_below_zero() -> None:
    assert _penalty(timedelta(days=3), score=12) == 12  # 30 wanted, 12 there


def test_a_per_student_due_date_moves_the_deadline() -> None:
    extended = DUE + timedelta(days=2)
    submitted = DUE + timedelta(days=1)
    assert late_adjustment(submitted, extended, POLICY, score=80, max_score=100) is None
    assert late_adjustment(submitted, DUE, POLICY, score=80, max_score=100) is not None


def test_naive_times_are_read_as_utc() -> None:
    naive = datetime(2026, 3, 2, 1, 0)
    assert late_adjustment(naive, DUE, POLICY, score=100, max_score=100).points == -10


def test_the_detail_explains_the_computation() -> None:
    found = late_adjustment(DUE + timedelta(days=9), DUE, POLICY, score=100, max_score=100)
    assert "9 started day(s)" in found.detail and "capped at 50 %" in found.detail
    assert "= 50 points" in found.detail
