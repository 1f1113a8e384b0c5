"""``grader stubs``: regenerate exercises/ from solutions/ (or check they match)."""

from __future__ import annotations

import argparse
from typing import Any


def register(verbs: Any) -> None:
    stubs = verbs.add_parser(
        "stubs",
        help="regenerate exercises/ from solutions/",
        description="Write the exercise stubs and notebooks from the reference solutions "
        "(each solution block becomes a TODO). With --check, change nothing and exit 1 if "
        "exercises/ differs from what would be written.",
    )
    stubs.add_argument("--check", action="store_true", help="exit 1 if exercises/ is stale")
    stubs.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from grader.authoring.__main__ import main as authoring_main

    return authoring_main(["--check"] if args.check else [])
