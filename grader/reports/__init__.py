"""Report writers: one small writer per format over :mod:`grader.model`.

Every format is a pure function from results to text (or a dict), so the
formats cannot disagree about a score and each is tested without touching
disk. The two ``write_*`` functions here are the only ones that write files,
each one atomically (:mod:`grader.reports.atomic`).

Per submission, under ``OUT/<name>/``:

- ``report.json``  the results model, read back by resume (staff)
- ``feedback.md``  what the student reads (Gradescope and GitHub render it)
- ``feedback.html`` the same page for a browser (``summary.html`` links it)
- ``results.json`` Gradescope's autograder format
- ``staff.log``    tracebacks of grader errors, only when there are some (staff)

Per class, under ``OUT/``: ``gradebook.csv``, ``junit.xml`` and ``summary.html``
(the instructor's overview, linking each ``feedback.html``, and
``similarity.html`` once ``grader similarity`` has written it there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from grader.model import SubmissionResult
from grader.reports.atomic import json_text, write_json_atomic, write_text_atomic
from grader.reports.feedback_html import feedback_html
from grader.reports.github import classroom_notice, github_step_summary
from grader.reports.gradebook import gradebook_csv
from grader.reports.gradescope import gradescope_results
from grader.reports.html_summary import feedback_href, summary_html
from grader.reports.json_report import load_report, parse_report, report_json
from grader.reports.junit import junit_xml
from grader.reports.markdown import feedback_markdown
from grader.reports.table import summary_table, summary_text

SIMILARITY_PAGE = "similarity.html"  # written by `grader similarity`, linked when present

__all__ = [
    "classroom_notice",
    "feedback_html",
    "feedback_markdown",
    "github_step_summary",
    "gradebook_csv",
    "gradescope_results",
    "junit_xml",
    "load_report",
    "parse_report",
    "report_json",
    "submission_files",
    "summary_html",
    "summary_table",
    "summary_text",
    "write_class_reports",
    "write_json_atomic",
    "write_submission_reports",
    "write_summary",
    "write_text_atomic",
]


def submission_files(
    result: SubmissionResult, *, hidden_visibility: str = "after_published"
) -> dict[str, str]:
    """Each file of ``OUT/<name>/`` for ``result``: name -> text, ``report.json`` last.

    ``staff.log`` is there only when the result has a staff log. One function
    makes the texts so the judge can digest exactly what it writes
    (:mod:`grader.reports.seal`) and the orchestrator can write them again.
    """
    markdown = feedback_markdown(result)
    files = {
        "feedback.md": markdown,
        "feedback.html": feedback_html(result, markdown=markdown),
        "results.json": json_text(gradescope_results(result, hidden_visibility=hidden_visibility)),
    }
    if result.staff_log:
        # tracebacks may quote student text with lone surrogates; keep them visible, not fatal
        text = result.staff_log.encode("utf-8", "backslashreplace").decode("utf-8")
        files["staff.log"] = text if text.endswith("\n") else text + "\n"
    files["report.json"] = report_json(result)
    return files


def write_submission_reports(
    result: SubmissionResult,
    out_dir: Path | str,
    *,
    hidden_visibility: str = "after_published",
    files: dict[str, str] | None = None,
) -> Path:
    """Write one submission's reports into ``out_dir/<submission>/`` and return that folder.

    ``report.json`` is written last and alone made durable (fsynced, with the
    folder's renames): resume treats its presence as "this submission is
    done", so a judge killed halfway leaves a submission that is graded again
    rather than one with missing files. ``staff.log`` is
    removed when the new result has no staff log, so an old traceback never
    outlives a regrade. ``hidden_visibility`` is passed to
    :func:`gradescope_results`. ``files``: the texts, when the caller made them
    already with :func:`submission_files` (to digest them).
    """
    folder = Path(out_dir) / _folder_name(result.submission)
    folder.mkdir(parents=True, exist_ok=True)
    if files is None:
        files = submission_files(result, hidden_visibility=hidden_visibility)
    if "staff.log" not in files:
        (folder / "staff.log").unlink(missing_ok=True)
    for name, text in files.items():
        # report.json, last, is fsynced with its folder; the others (two fsyncs
        # each were a tenth of a judge's time per submission) are only renamed
        # in place, and resume grades again a submission whose file is empty.
        write_text_atomic(folder / name, text, durable=name == "report.json")
    return folder


def write_class_reports(
    results: Sequence[SubmissionResult],
    out_dir: Path | str,
    *,
    flags: Mapping[str, str] | None = None,
) -> None:
    """Write ``gradebook.csv``, ``junit.xml`` and ``summary.html`` into ``out_dir``.

    ``flags``: submission -> a warning for staff (a report altered after it
    was accepted, see :mod:`grader.reports.seal`), shown in the gradebook's
    ``reason`` cell.

    The summary is :func:`write_summary`'s.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "gradebook.csv", gradebook_csv(results, flags=flags))
    write_text_atomic(out / "junit.xml", junit_xml(results))
    write_summary(results, out)


def write_summary(results: Sequence[SubmissionResult], out_dir: Path | str) -> None:
    """Write ``summary.html`` alone, linking what exists beside it.

    It links each submission's ``feedback.html`` (a folder kept from a run
    before that page existed gets it now, from the same result its
    ``feedback.md`` came from) and ``similarity.html`` once ``grader
    similarity`` wrote it; that verb calls this to add its link without
    touching the gradebook.
    """
    out = Path(out_dir)
    links: dict[str, str] = {}
    for result in results:
        href = feedback_href(result.submission)
        folder = out / result.submission
        if href is None or not (folder / "feedback.md").is_file():
            continue
        if not (folder / "feedback.html").is_file():
            write_text_atomic(folder / "feedback.html", feedback_html(result))
        links[result.submission] = href
    similarity = SIMILARITY_PAGE if (out / SIMILARITY_PAGE).is_file() else None
    write_text_atomic(
        out / "summary.html", summary_html(results, feedback=links, similarity=similarity)
    )


def _folder_name(name: str) -> str:
    """``name`` if it is one safe path component; reports must never land outside ``out_dir``."""
    bad = not name or name in (".", "..") or any(c in name for c in "/\\\x00")
    if bad or name != name.strip():
        raise ValueError(f"submission name {name!r} cannot be used as a folder name")
    return name
