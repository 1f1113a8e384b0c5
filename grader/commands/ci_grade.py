"""``grader ci-grade``: grade one repository checkout in a CI job (see :mod:`grader.ci`).

Exit codes: 0 graded (at any score: a low grade is not a CI failure), 1 the
submission could not be graded (its report says why), 2 grading could not
run at all (bad arguments, or the required isolation level is out of reach).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from grader.commands.errors import CliError
from grader.commands.exercises import resolve_exercises


def register(verbs: Any) -> None:
    ci = verbs.add_parser(
        "ci-grade",
        help="grade one submission in CI: reports, job summary, GitHub Classroom points",
        description="Grade one submission (a student's repository checkout) in a CI job. "
        "Exits 0 whenever a grade was given, however low.",
    )
    ci.add_argument("submission", type=Path, help="the submission folder (or .zip/.py/.ipynb)")
    ci.add_argument("--out", type=Path, required=True, help="folder for the reports")
    ci.add_argument(
        "--summary-file",
        type=Path,
        help="append the Markdown summary here (default: $GITHUB_STEP_SUMMARY, if set)",
    )
    ci.add_argument(
        "--exercise",
        action="append",
        metavar="EXERCISE",
        help="grade only this exercise, by full name or number (ex03); repeatable",
    )
    ci.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from grader.ci import ci_grade, exit_code
    from grader.reports import summary_text

    if not args.submission.exists():
        raise CliError(
            f"{args.submission}: no such file or folder",
            "check out the student's repository first and pass its folder",
        )
    outcome = ci_grade(
        args.submission,
        args.out,
        summary_file=args.summary_file,
        require=args.require_isolation,
        exercises=resolve_exercises(args.exercise),
    )
    print(summary_text([outcome.result]), end="", file=sys.stderr)
    if outcome.summary_error:
        print(f"warning: {outcome.summary_error}", file=sys.stderr)
    if outcome.notice:
        print(outcome.notice, flush=True)
    print(f"reports written to {outcome.report_dir}", file=sys.stderr)
    return exit_code(outcome.result)
