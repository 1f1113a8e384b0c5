"""``junit.xml``: the class as test results, for CI dashboards (GitHub test reporters, Jenkins).

One ``testsuite`` per submission, one ``testcase`` per check, so a CI page
shows who failed what without reading our own formats. The layout follows
the common JUnit schema those tools read: ``testsuites`` > ``testsuite``
(``name``, ``tests``, ``failures``, ``errors``, ``skipped``, ``time``,
``properties``) > ``testcase`` (``classname``, ``name``, ``time``) with a
``failure`` or ``error`` child carrying ``type`` and ``message``. The root
carries only ``name``, ``tests``, ``failures``, ``errors`` and ``time``: Jenkins'
xUnit schema rejects anything else there (``skipped`` included), and the
suite tests check every file against that schema.

The JUnit split between failure and error matches ours: ``failed`` means the
student's value was judged wrong (a failure); ``error``, ``timeout``,
``crashed`` and ``grader_error`` mean the check could not judge at all (an
error, ``type`` telling which). A submission that could not be graded is a
suite with one errored testcase, so it never looks like a clean run.
Scores go in the suite's ``properties``, the one place the schema allows them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from grader.model import CheckResult, CheckStatus, SubmissionResult, SubmissionStatus
from grader.reports.text import (
    check_message,
    clean_text,
    format_points,
    lesson_hint,
    not_gradable_reason,
)

__all__ = ["junit_xml"]

_ERROR_STATUSES = {
    CheckStatus.ERROR,
    CheckStatus.TIMEOUT,
    CheckStatus.CRASHED,
    CheckStatus.GRADER_ERROR,
}


def junit_xml(results: Sequence[SubmissionResult]) -> str:
    """The class as a JUnit XML document (UTF-8 text), suites sorted by submission."""
    root = ET.Element("testsuites", name="grader")
    totals = {"tests": 0, "failures": 0, "errors": 0}  # no "skipped": the schema refuses it here
    time = 0.0
    # a roster student who handed in nothing ran no check: the gradebook carries that row
    handed_in = [r for r in results if r.status is not SubmissionStatus.MISSING]
    for result in sorted(handed_in, key=lambda r: (r.submission.casefold(), r.submission)):
        suite = _suite(result)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        time += result.duration
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{time:.3f}")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def _suite(result: SubmissionResult) -> ET.Element:
    name = _attr(result.submission)
    suite = ET.Element("testsuite", name=name)
    properties = ET.SubElement(suite, "properties")
    graded = result.status is SubmissionStatus.GRADED
    values = {
        "status": result.status.value,
        "score": format_points(result.score) if graded else "",
        "max_score": format_points(result.max_score) if graded else "",
        "isolation": result.isolation.level,
        "grader_version": result.grader_version,
        "torch_version": result.torch_version,
    }
    for key, value in values.items():
        ET.SubElement(properties, "property", name=key, value=_attr(value))
    if graded:
        cases = [_case(name, check) for check in result.checks]
    else:
        case = ET.Element(
            "testcase", classname=f"{name}.submission", name="submission::gradable", time="0.000"
        )
        reason = not_gradable_reason(result)
        error = ET.SubElement(case, "error", type="not_gradable", message=_first_line(reason))
        error.text = reason
        cases = [case]
    suite.extend(cases)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(c.find("failure") is not None for c in cases)))
    suite.set("errors", str(sum(c.find("error") is not None for c in cases)))
    suite.set("skipped", "0")
    suite.set("time", f"{result.duration:.3f}")
    return suite


def _case(submission: str, check: CheckResult) -> ET.Element:
    case = ET.Element(
        "testcase",
        classname=f"{submission}.{_attr(check.exercise)}",
        name=_attr(f"{check.function}::{check.name}"),
        time=f"{check.duration:.3f}",
    )
    if check.passed:
        return case
    tag = "error" if check.status in _ERROR_STATUSES else "failure"
    message = check_message(check)
    outcome = ET.SubElement(case, tag, type=check.status.value, message=_first_line(message))
    details = [message, f"points: {format_points(check.points)}/{format_points(check.max_points)}"]
    hint = lesson_hint(check.mistake)
    if hint:
        details.append(f"lesson hint: {hint}")
    outcome.text = "\n".join(details)
    return case


def _attr(text: str) -> str:
    """One line of text that XML 1.0 can hold (clean_text drops the forbidden characters)."""
    return " ".join(clean_text(text, limit=300).split("\n"))


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0][:200]
