"""The ``grader`` command line: parse, call one verb, print, map to an exit code.

Every verb is a plain function elsewhere (``grade_class``, ``verify``, ...);
this module owns no grading logic. All failures go through :func:`main`'s one
handler, which prints ``error: ...`` and a ``hint: ...`` line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """A problem the user can fix; printed as ``error:`` plus a hint."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def _cmd_grade(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from grader.batch import grade_class
    from grader.intake import class_entries
    from grader.reports import summary_table

    paths: list[Path] = []
    for raw in args.paths:
        path = Path(raw)
        if not path.exists():
            raise CliError(f"{path}: no such file or folder", "check the path and try again")
        paths.append(path)
    if args.class_dir is not None:
        if not args.class_dir.is_dir():
            raise CliError(
                f"{args.class_dir}: not a folder",
                "--class takes a folder with one entry (folder, .zip, .py or .ipynb) per student",
            )
        paths.extend(class_entries(args.class_dir))
    if not paths:
        raise CliError("nothing to grade", "give submission paths, or --class DIR")
    if args.shard:
        index, count = _parse_shard(args.shard)
        paths = paths[index - 1 :: count]

    console = Console(stderr=True)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=args.quiet,
    ) as progress:
        task = progress.add_task("grading", total=len(paths))

        def advance(result: object) -> None:
            progress.advance(task)

        results = grade_class(
            paths,
            args.out,
            jobs=args.jobs,
            require=args.require_isolation,
            resume=not args.no_resume,
            exercises=args.exercise,
            on_result=advance,
        )
    summary_table(results, console=Console())
    print(f"reports written to {args.out}", file=sys.stderr)
    return EXIT_OK


def _parse_shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise CliError(f"--shard {text!r} is not I/N", "for example --shard 2/4") from None
    if not 1 <= index <= count:
        raise CliError(f"--shard {text}: I must be between 1 and N", "for example --shard 1/4")
    return index, count


def _cmd_verify(args: argparse.Namespace) -> int:
    from grader.grading import verify, verify_problems

    solutions, stubs = verify(require=args.require_isolation)
    print(f"reference solutions: {solutions.score:g}/{solutions.max_score:g}")
    print(f"untouched stubs:     {stubs.score:g}/{stubs.max_score:g}")
    problems = verify_problems(solutions, stubs)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if solutions.staff_log:
        print(solutions.staff_log, file=sys.stderr)
    return EXIT_FAILED if problems else EXIT_OK


def _cmd_stubs(args: argparse.Namespace) -> int:
    from grader.authoring.__main__ import main as authoring_main

    return authoring_main(["--check"] if args.check else [])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader",
        description="Grade PyTorch course submissions against hidden checks, safely.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    grade = verbs.add_parser("grade", help="grade submissions and write reports")
    grade.add_argument("paths", nargs="*", help="submissions: folders, .zip, .py or .ipynb files")
    grade.add_argument("--class", dest="class_dir", type=Path, help="a folder of submissions")
    grade.add_argument("--out", type=Path, required=True, help="folder for the reports")
    grade.add_argument("--jobs", type=int, default=1, help="parallel judges (default 1)")
    grade.add_argument("--shard", help="grade only every N-th submission, starting at I (I/N)")
    grade.add_argument(
        "--require-isolation",
        choices=["L1", "L2", "L3"],
        help="refuse to grade below this isolation level instead of falling back",
    )
    grade.add_argument("--exercise", action="append", help="grade only this exercise (repeatable)")
    grade.add_argument(
        "--no-resume", action="store_true", help="regrade even submissions with a current report"
    )
    grade.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    grade.set_defaults(func=_cmd_grade)

    check_verify = verbs.add_parser(
        "verify", help="reference solutions must score full marks and stubs zero"
    )
    check_verify.add_argument("--require-isolation", choices=["L1", "L2", "L3"])
    check_verify.set_defaults(func=_cmd_verify)

    stubs = verbs.add_parser("stubs", help="regenerate exercises/ from solutions/")
    stubs.add_argument("--check", action="store_true", help="exit 1 if exercises/ is stale")
    stubs.set_defaults(func=_cmd_stubs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "jobs", 1) is not None and getattr(args, "jobs", 1) < 1:
        parser.error("--jobs must be at least 1")
    try:
        return int(args.func(args))
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        if error.hint:
            print(f"hint: {error.hint}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(
            "interrupted: finished reports are kept; run the same command to resume",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
