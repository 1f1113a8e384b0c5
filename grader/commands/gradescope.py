"""``grader gradescope``: build the autograder zip to upload to Gradescope."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from grader.commands.errors import CliError
from grader.commands.exercises import resolve_exercises

# grader.reports.gradescope.VISIBILITIES, spelled out: verb modules import only what the
# student bundle ships at top level (see grader.release.bundle); a test keeps them equal.
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


def register(verbs: Any) -> None:
    gradescope = verbs.add_parser(
        "gradescope",
        help="build the Gradescope autograder zip (setup.sh, run_autograder, checks, solutions)",
        description="Build the autograder zip for a Gradescope programming assignment "
        "(Ubuntu 22.04 base image). See the Gradescope section of deploy/README.md.",
    )
    gradescope.add_argument("out", type=Path, metavar="OUT.zip", help="the zip to write")
    gradescope.add_argument(
        "--hidden-visibility",
        choices=VISIBILITIES,
        default="after_published",
        help="when students see hidden checks and their total (default: after_published)",
    )
    gradescope.add_argument(
        "--exercise",
        action="append",
        metavar="EXERCISE",
        help="grade only this exercise, by full name or number (ex03); repeatable; default all",
    )
    gradescope.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from grader.gradescope_bundle import build_bundle

    if args.out.suffix != ".zip":
        raise CliError(f"{args.out}: the bundle must be a .zip", "for example autograder.zip")
    bundle = build_bundle(
        args.out,
        hidden_visibility=args.hidden_visibility,
        exercises=resolve_exercises(args.exercise),
    )
    size = bundle.path.stat().st_size
    print(f"wrote {bundle.path} ({len(bundle.names)} files, {size / 1024:.0f} KiB)")
    graded = ", ".join(bundle.config["exercises"] or ["all exercises"])
    print(f"grades: {graded}; hidden checks shown: {bundle.config['hidden_visibility']}")
    print(
        "upload it under Configure Autograder (zip file upload, Ubuntu 22.04 base image)",
        file=sys.stderr,
    )
    return 0
