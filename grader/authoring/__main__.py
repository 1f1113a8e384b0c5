"""``python -m grader.authoring [--check] [--root PATH]``: regenerate or check the exercises."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from grader.assignment import AssignmentError
from grader.authoring import MarkerError, check, default_course_root, write


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m grader.authoring",
        description=(
            "Generate the student stubs (exercises/*.py) and notebooks "
            "(exercises/notebooks/*.ipynb) from the reference solutions (solutions/*.py)."
        ),
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and list the generated files that are missing, "
        "out of date or stale",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="the assignment folder holding assignment.toml (default: the active assignment)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 out of date, 2 error)."""
    args = _parser().parse_args(argv)
    root: Path = args.root or default_course_root()
    try:
        if args.check:
            differing = check(root)
            if differing:
                print(f"error: {len(differing)} generated file(s) differ from the solutions:")
                for relative in differing:
                    print(f"  {relative.as_posix()}")
                print("hint: run `python -m grader.authoring` and commit the result")
                return 1
            print("exercises are up to date with the solutions")
            return 0
        changed = write(root)
    except (MarkerError, SyntaxError, FileNotFoundError, AssignmentError) as error:
        print(f"error: {error}", file=sys.stderr)
        print("hint: fix the solution file named above, then run this again", file=sys.stderr)
        return 2
    for relative in changed:
        print(f"updated {relative.as_posix()}")
    print(f"{len(changed)} file(s) updated" if changed else "exercises were already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
