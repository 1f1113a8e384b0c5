"""``grader similarity``: pairs of submissions whose code is alike, for a person to look at."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from grader.commands.errors import CliError
from grader.commands.exercises import resolve_exercises

DEFAULT_THRESHOLD = 0.5  # grader.similarity.DEFAULT_THRESHOLD; verb modules import no engine
MIN_OVERLAP = 50  # grader.similarity.MIN_OVERLAP (a test keeps the two equal)


def register(verbs: Any) -> None:
    similarity = verbs.add_parser(
        "similarity",
        help="compare students' code pairwise and write a similarity report (copydetect)",
        description="Compare every pair of submissions' own code, exercise by exercise, with "
        "copydetect's winnowed fingerprints (as MOSS does), leaving out the stubs the course "
        "hands out. Writes OUT/similarity.html (closest pairs, matching code side by side) and "
        "OUT/similarity.csv (every pair, closest first). It flags; it never changes a grade.",
    )
    similarity.add_argument(
        "--class", dest="class_dir", type=Path, required=True, help="a folder of submissions"
    )
    similarity.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder for the report; a graded class's OUT folder gets a link in summary.html",
    )
    similarity.add_argument(
        "--past",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of past years' submissions to compare against (repeatable)",
    )
    similarity.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"flag a pair when either side shares at least this much, 0 to 1 "
        f"(default {DEFAULT_THRESHOLD}), in a match of at least "
        f"{MIN_OVERLAP} tokens",
    )
    similarity.add_argument(
        "--exercise",
        action="append",
        metavar="EXERCISE",
        help="compare only this exercise, by full name or number (ex03); repeatable",
    )
    similarity.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from grader.assignment import current
    from grader.reports.similarity_report import write_similarity_reports
    from grader.similarity import compare, gather

    if not 0 < args.threshold <= 1:
        raise CliError(
            f"--threshold {args.threshold} is not between 0 and 1",
            "a share of code, for example --threshold 0.5",
        )
    assignment = current()
    codes, problems = gather(
        args.class_dir, assignment, exercises=resolve_exercises(args.exercise), past=args.past
    )
    report = compare(codes, assignment, threshold=args.threshold, problems=problems)
    page, table = write_similarity_reports(report, args.out)
    flagged = len(report.flagged)
    print(
        f"{flagged} of {len(report.pairs)} pairs flagged (a share of {args.threshold:g} or "
        f"more, a long enough match); "
        f"wrote {page} and {table}",
        file=sys.stderr,
    )
    return 0
