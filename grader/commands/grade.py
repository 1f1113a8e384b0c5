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
    grade.add_argument(
        "--class", dest="class_dir", type=Path,
        help="a class as downloaded from the LMS: a folder or a .zip of submissions",
    )  # fmt: skip
    grade.add_argument(
        "--layout", default="auto", choices=["auto", "folders", "canvas", "moodle", "blackboard",
                                             "gradescope", "github"],
        help="how the --class download names students' files (default: detected, and printed)",
    )  # fmt: skip
    grade.add_argument(
        "--file-pattern", metavar="REGEX",
        help="read --class file paths with this regex: named groups student (required), "
        "exercise, timestamp",
    )  # fmt: skip
    grade.add_argument("--roster", type=Path, help="CSV: id,name[,email,section,due]")
    grade.add_argument(
        "--timestamps", type=Path, help="CSV: id,submitted_at, where the layout has no times"
    )
    grade.add_argument("--deadline", help="due time, ISO 8601 (2026-03-01T23:59:00+01:00)")
    grade.add_argument(
        "--late-policy", metavar="SPEC",
        help="per_day=10,grace_minutes=15,max=50: percent of the maximum per started day late",
    )  # fmt: skip
    grade.add_argument("--overrides", type=Path, help="CSV: id,target,points,comment")
    grade.add_argument(
        "--export", action="append", choices=["canvas", "moodle"], default=[],
        help="also write canvas.csv or moodle.csv for the LMS's grade import (repeatable)",
    )  # fmt: skip
    grade.add_argument(
        "--export-column", default="Autograder",
        help="the Canvas gradebook column to fill, e.g. 'Assignment 3 (12345)'",
    )  # fmt: skip
    grade.add_argument("--out", type=Path, required=True, help="folder for the reports")
    grade.add_argument(
        "--jobs", type=int, help="parallel judges (default: one per core, as memory allows)"
    )
    grade.add_argument(
        "--shard",
        help="grade one shard of the class, I/N (by student id, stable), or auto: from "
        "SLURM_ARRAY_TASK_ID/_COUNT, JOB_COMPLETION_INDEX with GRADER_SHARD_COUNT, or "
        "GRADER_SHARD_INDEX/_COUNT (a GitHub Actions matrix)",
    )
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
    """``"2/4"`` -> (2, 4), ``auto`` from the scheduler, with a usable error for anything else."""
    import os

    from grader.intake.shard import ShardError
    from grader.intake.shard import parse_shard as parse

    try:
        return parse(text, os.environ)
    except ShardError as error:
        message, _, hint = str(error).partition("; ")
        raise CliError(message, hint) from None


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

    if args.class_dir is not None and not args.paths:
        return _grade_lms_class(args, template)
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


def _class_options(args: argparse.Namespace) -> Any:
    from datetime import datetime

    from grader.classrun import ClassOptions
    from grader.policy import PolicyError, parse_late_policy

    deadline = None
    if args.deadline:
        try:
            deadline = datetime.fromisoformat(args.deadline)
        except ValueError:
            raise CliError(
                f"--deadline {args.deadline!r} is not a date and time",
                "write it as ISO 8601, e.g. 2026-03-01T23:59:00+01:00",
            ) from None
    try:
        late = parse_late_policy(args.late_policy) if args.late_policy else None
    except PolicyError as error:
        hint = "for example --late-policy per_day=10,grace_minutes=15,max=50"
        raise CliError(str(error), hint) from None
    if late is not None and deadline is None and args.roster is None:
        raise CliError(
            "--late-policy needs a deadline", "give --deadline, or a due column in --roster"
        )
    return ClassOptions(
        layout=args.layout,
        file_pattern=args.file_pattern,
        roster=args.roster,
        timestamps=args.timestamps,
        deadline=deadline,
        late_policy=late,
        overrides=args.overrides,
        exports=tuple(dict.fromkeys(args.export)),
        export_column=args.export_column,
        shard=parse_shard(args.shard) if args.shard else None,
    )


def _grade_lms_class(args: argparse.Namespace, template: HostTemplate | None) -> int:
    from rich.console import Console

    from grader.batch import JudgeStartError, default_jobs
    from grader.classrun import grade_lms_class
    from grader.intake.layouts import LayoutError
    from grader.intake.roster import RosterError
    from grader.policy import PolicyError
    from grader.reports import summary_table

    options = _class_options(args)
    if not args.class_dir.exists():
        raise CliError(f"{args.class_dir}: no such folder or zip", "check the path and try again")
    jobs = default_jobs() if args.jobs is None else args.jobs
    if jobs < 1:
        raise CliError("--jobs must be at least 1", "for example --jobs 2")

    def said(layout: str, count: int) -> None:
        how = "detected" if args.layout == "auto" and not args.file_pattern else "given"
        print(f"layout: {layout} ({how}), {count} students", file=sys.stderr)

    try:
        run = grade_lms_class(
            args.class_dir, args.out, options, on_layout=said, jobs=jobs,
            require=args.require_isolation, resume=not args.no_resume,
            exercises=resolve_exercises(args.exercise),
            template=template,
        )  # fmt: skip
    except (LayoutError, RosterError, PolicyError, ValueError) as error:
        raise CliError(str(error), "see `grader grade --help` for the expected formats") from None
    except JudgeStartError as error:
        raise CliError(str(error), error.hint) from None
    summary_table(run.results, console=Console(width=max(Console().width, 120)))
    if run.unmatched:
        print(f"{len(run.unmatched)} file(s) matched no student or exercise:", file=sys.stderr)
        for item in run.unmatched:
            print(f"  {item}", file=sys.stderr)
    if run.regraded_all:
        print("the checks, solutions or grader changed: every submission regraded", file=sys.stderr)
    if run.kept:
        print(f"resumed: kept {run.kept} finished report(s) whose files had not changed",
              file=sys.stderr)  # fmt: skip
    print(f"{run.changed} score(s) changed since the last run (changes.csv)", file=sys.stderr)
    for name in run.gone:
        print(f"warning: {name}/ holds a report for a student not in this run", file=sys.stderr)
    print(f"reports written to {args.out}", file=sys.stderr)
    return 0
