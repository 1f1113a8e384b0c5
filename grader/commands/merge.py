"""``grader merge``: combine the outputs of ``grader grade --shard I/N`` runs into one folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(verbs: Any) -> None:
    merge = verbs.add_parser(
        "merge",
        help="merge sharded grading outputs into one folder and rebuild the class reports",
        description="Copy every submission's reports from SHARD_DIR... into OUT and rewrite "
        "the class reports (gradebook.csv, junit.xml) from them. A submission found in two "
        "shards with different files is refused.",
    )
    merge.add_argument("out", type=Path, help="the merged folder (new, or an earlier merge)")
    merge.add_argument(
        "shards", type=Path, nargs="+", metavar="SHARD_DIR", help="--out folders of the shards"
    )
    merge.add_argument(
        "--export", action="append", choices=["canvas", "moodle"], default=[],
        help="also write canvas.csv or moodle.csv for the LMS's grade import (repeatable)",
    )  # fmt: skip
    merge.add_argument(
        "--export-column", default="Autograder",
        help="the Canvas gradebook column to fill, e.g. 'Assignment 3 (12345)'",
    )  # fmt: skip
    merge.add_argument("-q", "--quiet", action="store_true", help="no summary table")
    merge.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from grader.merge import merge_shards
    from grader.reports import summary_text
    from grader.reports.text import count

    summary = merge_shards(args.out, args.shards)
    everyone = [*summary.results, *summary.missing]
    if args.export:
        from grader.reports.atomic import write_text_atomic
        from grader.reports.lms import canvas_csv, moodle_csv

        for kind in dict.fromkeys(args.export):
            text = canvas_csv(everyone, args.export_column) if kind == "canvas" else (
                moodle_csv(everyone)
            )
            write_text_atomic(summary.out_dir / f"{kind}.csv", text)
    if not args.quiet:
        print(summary_text(everyone), end="", file=sys.stderr)
    print(
        f"merged {count(len(summary.results), 'submission')} ({summary.copied} copied) "
        f"from {count(len(args.shards), 'shard folder')} into {summary.out_dir}",
        file=sys.stderr,
    )
    return 0
