"""Course policy applied on top of the grader's result: late penalties and overrides.

The checks decide the grader's score; policy never touches them. It adds
:class:`grader.model.Adjustment` items beside the checks, recomputed from
the inputs on every run, so a regrade never loses an override and the
grader's own result stays visible next to the final score.
"""

from __future__ import annotations

from grader.policy.late import LatePolicy, PolicyError, late_adjustment, parse_late_policy
from grader.policy.overrides import Override, apply_overrides, read_overrides

__all__ = [
    "LatePolicy",
    "Override",
    "PolicyError",
    "apply_overrides",
    "late_adjustment",
    "parse_late_policy",
    "read_overrides",
]
