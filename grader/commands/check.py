"""``grader check``: the public checks on a student's own exercises (see :mod:`grader.student`)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any


def register(verbs: Any) -> None:
    check = verbs.add_parser(
        "check",
        help="run the public checks on your own exercises (not your grade)",
        description="Run the public checks on your exercises and show what they found. "
        "Public checks only: your grade comes from hidden checks on other inputs.",
    )
    check.add_argument(
        "exercises",
        nargs="*",
        metavar="EXERCISE",
        help="exercises to check, e.g. ex03 (default: all)",
    )
    check.add_argument(
        "--path",
        type=Path,
        help="folder with your exercise files (default: exercises/, or the notebook's folder)",
    )
    check.add_argument(
        "--sandbox",
        action="store_true",
        help="run your code in the grader's sandbox, as grading does (Linux only); "
        "by default it runs in this process",
    )
    check.add_argument(
        "--classroom",
        action="store_true",
        help="for a workflow in your own repository: also print the points notice GitHub "
        "Classroom reads (public checks only) and add the results to the job summary "
        "($GITHUB_STEP_SUMMARY); exits 0 whatever the score",
    )
    check.add_argument(
        "--summary-file",
        type=Path,
        metavar="FILE",
        help="with --classroom: the job summary file (default: $GITHUB_STEP_SUMMARY)",
    )
    check.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from grader.student import check

    report = check(args.exercises or None, args.path, sandbox=args.sandbox)
    if not args.classroom:
        return 0 if report.passed else 1
    from grader.student import classroom_output

    notice, summary = classroom_output(report)
    if notice:
        print(notice, flush=True)
    target = args.summary_file or os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(summary + "\n")
    return 0  # a low score is feedback, not a failed run
