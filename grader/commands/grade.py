"""``grader grade``: grade submissions or a class and write every report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.commands.errors import CliError
from grader.commands.exercises import resolve_exercises

if TYPE_CHECKING:
    from grader.sandbox.trusted.spawner import HostTemplate



def register(verbs: Any) -> None:
    grade = verbs.add_parser(
        "grade",
        help="grade submissions and write reports",
        description="Grade submissions (folders, .zip, .py or .ipynb files) or a class folder "
        "against the hidden checks, and write each submission's reports and the class's "
        "gradebook.csv, junit.xml and summary.html. A rerun keeps finished reports.",
    )
    grade.add_argument("paths", nargs="*", help="submissions: folders, .zip, .py or .ipynb files")
    grade.add_argument("--class", dest="class_dir", type=Path, help="a folder of submissions")
    grade.add_argument("--out", type=Path, required=True, help="folder for the reports")
    grade.add_argument(
        "--jobs", type=int, help="parallel judges (default: one per core, as memory allows)"
    )
    grade.add_argument("--shard", help="grade only every N-th submission, starting at I (I/N)")
    grade.add_argument(
        "--exercise",
        action="append",
        metavar="EXERCISE",
        help="grade only this exercise, by full name or number (ex03); repeatable",
    )
    grade.add_argument(
        "--no-resume", action="store_true", help="regrade even submissions with a current report"
    )
    grade.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    grade.set_defaults(func=run)


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4), with a usable error for anything else."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise CliError(f"--shard {text!r} is not I/N", "for example --shard 2/4") from None
    if not 1 <= index <= count:
        raise CliError(f"--shard {text}: I must be between 1 and N", "for example --shard 1/4")
    return index, count


def collect_paths(args: argparse.Namespace) -> list[Path]:
    from grader.intake import class_entries

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
        index, count = parse_shard(args.shard)
        paths = paths[index - 1 :: count]
    return paths


def run(args: argparse.Namespace) -> int:
    # First of all, before this command's own imports: the template's library
    # import is the longest step of a cold start.
    template = _host_template()
    try:
        return _grade(args, template)
    finally:
        if template is not None:
            template.close()


def _host_template() -> HostTemplate | None:
    """The host template every judge of this run forks its sandbox host from."""
    if not sys.platform.startswith("linux"):
        return None
    from grader.sandbox.trusted.spawner import HostTemplate

    try:
        return HostTemplate.start(log=None, spares=1)  # the first judge's channel
    except OSError:  # the first judge starts its own, and says what went wrong
        return None


def _grade(args: argparse.Namespace, template: HostTemplate | None) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from grader.batch import default_jobs, grade_class
    from grader.reports import summary_table

    paths = collect_paths(args)
    exercises = resolve_exercises(args.exercise)
    jobs = default_jobs() if args.jobs is None else args.jobs
    if jobs < 1:
        raise CliError("--jobs must be at least 1", "for example --jobs 2")
    console = Console(stderr=True)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=args.quiet,
    ) as progress:
        task = progress.add_task("grading", total=len(paths))
        results = grade_class(
            paths,
            args.out,
            jobs=jobs,
            require=args.require_isolation,
            resume=not args.no_resume,
            exercises=exercises,
            on_result=lambda _result: progress.advance(task),
            template=template,
        )
    summary_table(results, console=Console(width=max(Console().width, 120)))
    print(f"reports written to {args.out}", file=sys.stderr)
    return 0
