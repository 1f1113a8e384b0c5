"""Grade one submission inside a CI job (GitHub Actions, GitHub Classroom).

``grader ci-grade`` is this module's door. One student repository checkout is
graded exactly as ``grader grade`` would grade it (a judge process, the
sandbox, every report under ``OUT/<name>/`` plus the class files), then the
job is told about it the two ways GitHub reads:

- the Markdown summary (:func:`grader.reports.github_step_summary`) is
  appended to the job summary file, ``$GITHUB_STEP_SUMMARY`` or an explicit
  path (``sudo`` drops the environment, so the workflow passes the path);
- the points notice (:func:`grader.reports.classroom_notice`) is returned for
  the caller to print on stdout, where the runner turns it into the
  annotations GitHub Classroom takes the grade from.

What the student may download is written apart, in ``OUT/_student/``: the
workflow uploads that folder alone as the job's artifact, because the
artifact of a job in the student's own repository is theirs to download.
It holds ``summary.md`` (the job summary, under the same
``[feedback] ci_hidden_checks`` policy) and, only when that policy is
``messages`` (everything may be shown), ``feedback.md`` and
``feedback.html``. The full reports stay in ``OUT/`` for the runner's
own steps and are not uploaded.

A low score is a result, not a failure: :func:`exit_code` is 0 for every
graded submission. It is non-zero only when no grade came out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.assignment import current
from grader.batch import grade_class
from grader.model import SubmissionResult, SubmissionStatus
from grader.reports import (
    classroom_notice,
    feedback_html,
    feedback_markdown,
    github_step_summary,
    write_text_atomic,
)

__all__ = [
    "EXIT_GRADED",
    "EXIT_NOT_GRADABLE",
    "STUDENT_FOLDER",
    "CiOutcome",
    "append_summary",
    "ci_grade",
    "exit_code",
    "summary_destination",
    "write_student_files",
]

EXIT_GRADED = 0  # graded, whatever the score
EXIT_NOT_GRADABLE = 1  # a report was written, but it says the submission could not be graded
# OUT/_student/: all the workflow uploads (the student downloads it). No submission's
# folder can have this name: intake strips a leading underscore from every name.
STUDENT_FOLDER = "_student"


@dataclass(frozen=True)
class CiOutcome:
    """What one CI grading run produced."""

    result: SubmissionResult
    report_dir: Path  # OUT/<name>/
    notice: str  # the GitHub Classroom annotation lines ("" when there are no points)
    summary_file: Path | None  # where the Markdown summary was appended, if anywhere
    summary_error: str = ""  # why the summary could not be appended ("" when it was)


def summary_destination(
    explicit: Path | None, environ: Mapping[str, str] | None = None
) -> Path | None:
    """The job summary file: ``explicit`` if given, else ``$GITHUB_STEP_SUMMARY``, else None."""
    if explicit is not None:
        return explicit
    value = (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY", "")
    return Path(value) if value else None


def append_summary(path: Path, markdown: str) -> None:
    """Append ``markdown`` to the summary file, separated from what earlier steps wrote.

    The job summary is one file per step that GitHub concatenates; appending
    (never replacing) keeps whatever an earlier command of the same step wrote.
    """
    with open(path, "a", encoding="utf-8") as handle:
        if handle.tell() > 0:
            handle.write("\n")
        handle.write(markdown)


def ci_grade(
    submission: Path,
    out_dir: Path,
    *,
    summary_file: Path | None = None,
    require: str | None = None,
    exercises: Sequence[str] | None = None,
) -> CiOutcome:
    """Grade the checkout at ``submission`` into ``out_dir`` and write the job summary.

    The summary shows hidden checks as the active assignment's
    ``[feedback] ci_hidden_checks`` says (by default their names and points only).

    Raises :class:`grader.batch.JudgeStartError` when grading cannot start at
    all (for example ``require="L3"`` on a runner without ``sudo``). A summary
    file that cannot be written is reported in ``summary_error``, not raised:
    the grade and its reports are already on disk by then.
    """
    out_dir = Path(out_dir)
    # resume=False: a CI job grades the commit it was started for, never an old report
    [result] = grade_class(
        [Path(submission)], out_dir, require=require, resume=False, exercises=exercises
    )
    hidden = current().feedback.ci_hidden_checks
    summary = github_step_summary(result, hidden=hidden)
    write_student_files(result, out_dir / STUDENT_FOLDER, summary, hidden=hidden)
    destination = summary_destination(summary_file)
    error = ""
    if destination is not None:
        try:
            append_summary(destination, summary)
        except OSError as problem:
            error = f"could not append the job summary to {destination}: {problem}"
    return CiOutcome(
        result=result,
        report_dir=out_dir.resolve() / result.submission,
        notice=classroom_notice(result),
        summary_file=destination if not error else None,
        summary_error=error,
    )


def write_student_files(
    result: SubmissionResult, folder: Path, summary: str, *, hidden: str
) -> None:
    """Write what the student may download (see the module docstring) into ``folder``.

    Files from an earlier run are removed first, so a stricter policy never
    leaves a fuller page behind.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("summary.md", "feedback.md", "feedback.html"):
        (folder / name).unlink(missing_ok=True)
    write_text_atomic(folder / "summary.md", summary)
    if hidden == "messages":
        write_text_atomic(folder / "feedback.md", feedback_markdown(result))
        write_text_atomic(folder / "feedback.html", feedback_html(result))


def exit_code(result: SubmissionResult) -> int:
    """0 for a graded submission at any score; 1 when it could not be graded."""
    return EXIT_GRADED if result.status is SubmissionStatus.GRADED else EXIT_NOT_GRADABLE
