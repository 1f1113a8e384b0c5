"""The ``grader`` command line: parse, call one verb, print, map to an exit code.

Each verb lives in its own module under ``grader.commands`` and owns no
grading logic: it calls a plain function (``grade_class``, ``verify``, ...).
All user-fixable failures go through :func:`main`'s one handler, which prints
``error: ...`` and a ``hint: ...`` line and exits 2.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grader
from grader.assignment import use
from grader.commands import (
    check,
    ci_grade,
    collect,
    grade,
    gradescope,
    merge,
    mutants,
    release,
    similarity,
    stubs,
    verify,
)
from grader.errors import GraderError
from grader.sandbox.levels import LEVEL_SUMMARY, REQUIRABLE, requirement

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
VERBS = [
    grade, verify, mutants, stubs, ci_grade, merge, collect, gradescope, similarity, check, release,
]  # fmt: skip
STUDENT_VERBS = (check,)  # all the student bundle can run; its `grader --help` lists only these
GRADING_VERBS = {"grade", "verify", "ci-grade", "mutants"}  # the verbs that start sandboxed workers


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader",
        description="Grade PyTorch course submissions against hidden checks, safely.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {grader.__version__}",
        help="print the grader's version and exit",
    )
    verbs = parser.add_subparsers(
        dest="verb", required=True, metavar="VERB", help="`grader VERB --help` for its options"
    )
    student_bundle = is_student_bundle()
    for verb in VERBS:
        listed = not student_bundle or verb in STUDENT_VERBS
        verb.register(verbs if listed else _Unlisted(verbs))
    for sub in verbs.choices.values():  # every verb grades, checks or builds one assignment
        sub.add_argument(
            "--assignment",
            type=Path,
            metavar="DIR",
            help="the assignment folder (holding assignment.toml); default: "
            "$GRADER_ASSIGNMENT, else the course this grader ships with",
        )
    for name in GRADING_VERBS:
        verbs.choices[name].add_argument(
            "--require-isolation",
            type=requirement,
            metavar="LEVEL[+LAYER]",
            help="refuse to grade (exit 2) below this isolation level instead of falling back: "
            + "; ".join(f"{level} = {LEVEL_SUMMARY[level]}" for level in REQUIRABLE)
            + "; +LAYER also insists on one layer, e.g. L1+uid-switch (student code never "
            "runs as root)",
        )
        verbs.choices[name].add_argument(
            "--limit",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="override one worker limit for this run (repeatable), e.g. call_timeout=2 or "
            "memory_bytes=2G; names as in the assignment file's [limits] table",
        )
    return parser


def is_student_bundle() -> bool:
    """True in the bundle ``grader release`` writes, which never ships the release itself."""
    return importlib.util.find_spec("grader.release") is None


class _Unlisted:
    """Registers a verb without listing it in ``grader --help``.

    In the student bundle the staff verbs still parse, so ``grader grade``
    says it is not part of this installation instead of "invalid choice".
    """

    def __init__(self, verbs: Any) -> None:
        self._verbs = verbs

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        kwargs.pop("help", None)  # a sub-parser without help is left out of the listing
        return self._verbs.add_parser(name, **kwargs)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        use(args.assignment)
        if getattr(args, "limit", None):
            _apply_limits(args.limit)
        return int(args.func(args))
    except GraderError as error:
        print(f"error: {error.message}", file=sys.stderr)
        if error.hint:
            print(f"hint: {error.hint}", file=sys.stderr)
        return EXIT_USAGE
    except ModuleNotFoundError as error:  # the student bundle ships only what `check` needs
        if not (error.name or "").startswith("grader."):
            raise
        print(f"error: `grader {args.verb}` is not part of this installation", file=sys.stderr)
        print("hint: the student bundle has `grader check` only", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(
            "interrupted: finished reports are kept; run the same command again to resume",
            file=sys.stderr,
        )
        return 130


def _apply_limits(items: Sequence[str]) -> None:
    """Check ``--limit`` values now (so a typo fails before grading) and hand them to the judges."""
    from grader.sandbox.trusted.limits import OVERRIDES_VARIABLE, configured, parse_overrides

    overrides = parse_overrides(items)
    configured(overrides)
    os.environ[OVERRIDES_VARIABLE] = ",".join(f"{key}={value}" for key, value in overrides.items())


if __name__ == "__main__":
    raise SystemExit(main())
