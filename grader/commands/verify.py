"""``grader verify``: the reference solutions score full marks and the stubs zero."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(verbs: Any) -> None:
    verify = verbs.add_parser(
        "verify",
        help="check the assignment: solutions score full marks, stubs zero",
        description="Grade the reference solutions and the untouched stubs with the hidden "
        "checks. Exits 1 unless the solutions score full marks, the stubs score 0 and every "
        "exercise ran.",
    )
    verify.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from grader.grading import verify, verify_problems

    solutions, stubs = verify(require=args.require_isolation)
    print(f"reference solutions: {solutions.score:g}/{solutions.max_score:g}")
    print(f"untouched stubs:     {stubs.score:g}/{stubs.max_score:g}")
    problems = verify_problems(solutions, stubs)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems and solutions.staff_log:
        print(solutions.staff_log, file=sys.stderr)
    return 1 if problems else 0
