"""``grader collect-github``: GitHub Classroom repositories as of the due time, ready to grade."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.commands.errors import CliError


def register(verbs: Any) -> None:
    collect = verbs.add_parser(
        "collect-github",
        help="take each GitHub Classroom clone's last commit before the due time",
        description="From REPOS (one clone per student, named PREFIXusername), export each "
        "repository's last commit at or before --due into OUT/submissions/<username>/, and "
        "write OUT/times.csv (the commit times) and OUT/collected.csv (which commit). Then: "
        "grader grade --class OUT/submissions --layout folders --timestamps OUT/times.csv",
    )
    collect.add_argument("repos", type=Path, help="the folder of cloned student repositories")
    collect.add_argument("--prefix", required=True, help="the assignment's repository prefix, hw3-")
    collect.add_argument("--due", required=True, help="due time, ISO 8601 (2026-03-01T23:59Z)")
    collect.add_argument("--out", type=Path, required=True, help="a new folder for the export")
    collect.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from grader.intake.github_collect import collect

    try:
        due = datetime.fromisoformat(args.due)
    except ValueError:
        raise CliError(
            f"--due {args.due!r} is not a date and time", "for example 2026-03-01T23:59:00+00:00"
        ) from None
    found = collect(args.repos, due, args.out, args.prefix)
    for name in found.nothing_in_time:
        print(f"{name}: no commit at or before {args.due}; not collected", file=sys.stderr)
    print(
        f"collected {len(found.students)} repositories into {args.out / 'submissions'}; "
        f"times in {args.out / 'times.csv'}",
        file=sys.stderr,
    )
    return 0
