"""``grader verify``: the reference solutions score full marks and the stubs zero.

When the assignment has a ``[mutants]`` table, verify also says whether the
hidden checks fail wrong solutions: one mutation-score line over the table's
quick list (``--mutants full`` for every function, ``--mutants none`` to
skip), and it exits 1 under the table's threshold like ``grader mutants``.
"""

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
        "exercise ran, or (with a [mutants] table) when the mutation score of its quick list "
        "falls under the threshold.",
    )
    verify.add_argument(
        "--mutants",
        choices=("quick", "full", "none"),
        default="quick",
        help="the mutation-score line: over the [mutants] quick list (default), every "
        "function (minutes), or none",
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
    if not problems and args.mutants != "none":
        problems += _mutation_line(args.mutants, args.require_isolation)
    return 1 if problems else 0


def _mutation_line(scope: str, require: str | None) -> list[str]:
    """Print the mutation score of ``scope``; a problem when it is under the threshold."""
    from grader.assignment import current
    from grader.batch import default_jobs
    from grader.mutation.run import run_mutants
    from grader.mutation.summary import one_line

    assignment = current()
    if assignment.mutants is None:
        return []
    functions = list(assignment.mutants.quick) if scope == "quick" else None
    if scope == "quick" and not functions:
        return []
    report = run_mutants(assignment, functions=functions, jobs=default_jobs(), require=require)
    where = f"quick: {', '.join(functions)}" if functions else "every function"
    print(f"mutants ({where}): {one_line(report)}")
    for outcome in report.survivors:
        print(f"  survived: {outcome.variant.id}")
    if report.passed:
        return []
    problem = (
        f"the mutation score is under the threshold of {report.threshold:.0%}: "
        "run grader mutants for the survivors and the inputs that tell them apart"
    )
    print(f"error: {problem}", file=sys.stderr)
    return [problem]
