"""Late penalties: a share of the maximum score per started day after a grace period.

``--late-policy per_day=10,grace_minutes=15,max=50`` takes 10 % of the
maximum score for every started day after the deadline plus 15 minutes,
never more than 50 % in all, and never takes the score below 0 (the penalty
shown is what was actually taken). That is Canvas' late policy ("deduct N %
per day, lowest possible grade") with nbgrader's grace period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from grader.model import Adjustment

__all__ = ["LatePolicy", "PolicyError", "late_adjustment", "parse_late_policy"]


class PolicyError(ValueError):
    """A policy option or file cannot be used; the message says what to write instead."""


@dataclass(frozen=True)
class LatePolicy:
    per_day: float = 10.0  # percent of the maximum score per started day
    grace_minutes: float = 0.0
    max: float = 100.0  # percent of the maximum score, in all


def parse_late_policy(text: str) -> LatePolicy:
    """``"per_day=10,grace_minutes=15,max=50"`` -> :class:`LatePolicy` (keys optional)."""
    values: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, raw = part.partition("=")
        key = key.strip()
        if not sep or key not in ("per_day", "grace_minutes", "max"):
            raise PolicyError(
                f"--late-policy: cannot read {part!r}; write per_day=10,grace_minutes=15,max=50"
            )
        try:
            values[key] = float(raw)
        except ValueError:
            raise PolicyError(f"--late-policy: {key}={raw!r} is not a number") from None
        if values[key] < 0 or (key != "grace_minutes" and values[key] > 100):
            raise PolicyError(f"--late-policy: {key}={raw} is out of range (0 to 100)")
    return LatePolicy(**values)


def _aware(moment: datetime) -> datetime:
    """Times without a zone are read as UTC, so naive and zoned times compare."""
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def late_adjustment(
    submitted: datetime | None,
    due: datetime | None,
    policy: LatePolicy,
    *,
    score: float,
    max_score: float,
) -> Adjustment | None:
    """The penalty for handing in at ``submitted`` against ``due``, or None when on time."""
    if submitted is None or due is None:
        return None
    late = _aware(submitted) - _aware(due)
    grace = timedelta(minutes=policy.grace_minutes)
    if late <= grace:
        return None
    days = math.ceil((late - grace) / timedelta(days=1))
    percent = min(days * policy.per_day, policy.max)
    wanted = round(max_score * percent / 100, 4)
    taken = round(min(wanted, max(score, 0.0)), 4)
    hours = late.total_seconds() / 3600
    detail = (
        f"handed in {hours:.1f} h after the deadline ({_aware(due).isoformat()}); "
        f"{days} started day(s) after the {policy.grace_minutes:g}-minute grace period at "
        f"{policy.per_day:g} % each"
        + (f", capped at {policy.max:g} %" if days * policy.per_day > policy.max else "")
        + f": {percent:g} % of {max_score:g} = {wanted:g} points"
        + (f", limited to {taken:g} so the score stays at 0 or more" if taken < wanted else "")
    )
    return Adjustment("late", "total", -taken, detail)
