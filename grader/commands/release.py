"""``grader release OUT``: write the student bundle (see :mod:`grader.release`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from grader.commands.errors import CliError


def register(verbs: Any) -> None:
    release = verbs.add_parser(
        "release",
        help="write the student bundle: exercises, datasets, public checks, README",
        description="Write the folder students get: the exercise stubs and notebooks, the "
        "datasets, a README and the part of the grader that `grader check` needs, with the "
        "public checks only. Fails, writing nothing, if any file would carry a solution or a "
        "hidden check.",
    )
    release.add_argument("out", type=Path, metavar="OUT", help="folder to write (new or empty)")
    release.add_argument(
        "--force", action="store_true", help="replace OUT if it holds an earlier release"
    )
    release.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from grader.release import release
    except ModuleNotFoundError:  # the student bundle leaves the release out
        raise CliError(
            "`grader release` is for course staff and is not part of this bundle",
            "run it in the course repository",
        ) from None
    bundle = release(args.out, force=args.force)
    print(
        f"wrote {len(bundle.files)} files to {bundle.out}: {bundle.public_checks} public checks "
        f"(the {bundle.hidden_checks} hidden checks, the solutions and their inputs left out)",
        file=sys.stderr,
    )
    return 0
