"""``grader mutants``: the mutation score, the survivors, the inputs that tell them apart."""

from __future__ import annotations

import argparse
from typing import Any

from grader.commands.errors import CliError


def register(verbs: Any) -> None:
    mutants = verbs.add_parser(
        "mutants",
        help="mutation testing: do the hidden checks fail wrong solutions?",
        description="Make wrong variants of the reference solutions (AST operators and the "
        "assignment's catalogue of realistic mistakes), drop those a randomized comparison "
        "finds equivalent, grade the rest through the sandbox and print the share the checks "
        "fail, per function and overall. Exits 1 under the assignment's [mutants] threshold.",
    )
    mutants.add_argument(
        "--function",
        action="append",
        metavar="NAME",
        help="only this graded function's variants (repeatable)",
    )
    mutants.add_argument(
        "--quick",
        action="store_true",
        help="only the functions the assignment's [mutants] quick list names (what CI runs)",
    )
    mutants.add_argument("--jobs", type=int, help="parallel judges (default: one per core)")
    mutants.add_argument(
        "--cases", type=int, default=24, help="random cases per variant when screening (24)"
    )
    mutants.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from grader.assignment import current
    from grader.batch import default_jobs
    from grader.mutation import content
    from grader.mutation.run import run_mutants
    from grader.mutation.summary import print_report

    assignment = current()
    content.folder(assignment)  # a clear error when the table is missing
    graded = {f for ex in assignment.exercises.values() for f in ex.functions}
    functions = list(args.function or [])
    unknown = [name for name in functions if name not in graded]
    if unknown:
        raise CliError(
            f"--function {unknown[0]}: not a graded function of {assignment.name}",
            f"choose from: {', '.join(sorted(graded))}",
        )
    if args.quick:
        assert assignment.mutants is not None
        functions += list(assignment.mutants.quick)
    jobs = default_jobs() if args.jobs is None else args.jobs
    if jobs < 1 or args.cases < 1:
        raise CliError("--jobs and --cases must be at least 1", "for example --jobs 2")
    report = run_mutants(
        assignment,
        functions=functions or None,
        jobs=jobs,
        require=args.require_isolation,
        cases=args.cases,
    )
    print_report(report)
    return 0 if report.passed else 1
