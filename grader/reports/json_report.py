"""``report.json``: the results model on disk, the one report that is read back.

Resume and the class reports rebuild a :class:`SubmissionResult` from this
file, so it holds the model exactly (``SubmissionResult.to_dict``) with its
``schema_version``, and :func:`load_report` refuses any other version rather
than guess. Keys are sorted and indented so two runs diff cleanly. The model
leaves ``staff_log`` out on purpose; :mod:`grader.reports` writes it beside
the report for staff.
"""

from __future__ import annotations

import json
from pathlib import Path

from grader.model import SubmissionResult
from grader.reports.atomic import json_text

__all__ = ["load_report", "parse_report", "report_json"]


def report_json(result: SubmissionResult) -> str:
    """``result`` as pretty, key-sorted JSON ending in a newline (see :func:`json_text`)."""
    return json_text(result.to_dict())


def load_report(path: Path | str) -> SubmissionResult:
    """Read a ``report.json`` back into the model.

    Raises ``ValueError`` for anything that is not a report of this
    ``schema_version`` (bad JSON, wrong shape, missing fields), so callers
    such as resume need to handle one error besides ``OSError``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text ({error})") from error
    return parse_report(text, where=str(path))


def parse_report(text: str, *, where: str = "report") -> SubmissionResult:
    """A ``report.json`` text (as a judge sends it with its reply) as the model.

    ``where`` names the text in errors; raises ``ValueError`` like :func:`load_report`.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{where}: not valid JSON ({error})") from error
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a JSON object, found {type(data).__name__}")
    try:
        return SubmissionResult.from_dict(data)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from error
    except (KeyError, TypeError, AttributeError) as error:
        kind = type(error).__name__
        raise ValueError(f"{where}: not a valid report ({kind}: {error})") from error
