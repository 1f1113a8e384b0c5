"""junit.xml: parses, and counts failures and errors the way CI tools read them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from report_samples import check, graded, not_gradable

from grader.reports import junit_xml


def _suites(text: str) -> dict[str, ET.Element]:
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    return {suite.get("name", ""): suite for suite in root.findall("testsuite")}


def test_one_suite_per_submission_one_case_per_check() -> None:
    text = junit_xml([graded("zed"), not_gradable("bob")])
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    suites = _suites(text)
    assert list(suites) == ["bob", "zed"]
    zed = suites["zed"]
    cases = zed.findall("testcase")
    assert len(cases) == 9
    assert cases[4].get("classname") == "zed.ex03_forward_pass"
    assert cases[4].get("name") == "softmax_manual::rows sum to one"
    assert cases[0].get("time") == "0.250"


def test_statuses_map_to_failure_and_error() -> None:
    zed = _suites(junit_xml([graded("zed")]))["zed"]
    assert (zed.get("tests"), zed.get("failures"), zed.get("errors"), zed.get("skipped")) == (
        "9",
        "2",
        "3",
        "0",
    )
    failures = zed.findall("testcase/failure")
    errors = zed.findall("testcase/error")
    assert len(failures) == 2 and len(errors) == 3
    assert {f.get("type") for f in failures} == {"failed"}
    assert sorted(e.get("type") or "" for e in errors) == ["error", "grader_error", "timeout"]
    first = failures[0]
    assert first.get("message") == "rows sum to 0.7311 but should sum to 1"
    assert "points: 0/1.5" in (first.text or "") and "lesson hint:" in (first.text or "")


def test_crashed_is_an_error() -> None:
    result = graded(
        "c", check("ex01_multiclass", "one_hot", "v", 0, 1, "crashed", "killed by SIGKILL")
    )
    error = _suites(junit_xml([result]))["c"].find("testcase/error")
    assert error is not None and error.get("type") == "crashed"


def test_properties_carry_the_score() -> None:
    zed = _suites(junit_xml([graded("zed")]))["zed"]
    props = {p.get("name"): p.get("value") for p in zed.findall("properties/property")}
    assert props["score"] == "12.5" and props["max_score"] == "20"
    assert props["status"] == "graded" and props["isolation"] == "L2"


def test_not_gradable_is_one_errored_case() -> None:
    bob = _suites(junit_xml([not_gradable("bob", "bad zip")]))["bob"]
    assert (bob.get("tests"), bob.get("failures"), bob.get("errors")) == ("1", "0", "1")
    error = bob.find("testcase/error")
    assert error is not None
    assert (error.get("type"), error.get("message")) == ("not_gradable", "bad zip")


def test_root_totals_add_up() -> None:
    root = ET.fromstring(junit_xml([graded("a"), graded("b"), not_gradable("c")]))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("19", "4", "7")


def test_characters_xml_cannot_hold_are_removed() -> None:
    message = 'bad\x00value\x1b[31m\x08\x0b\x0c\ufffe\ud800 <&> "quoted" ]]>'
    result = graded(
        "we\x01ird", check("ex01_multiclass", "one\x02hot", "v\x03", 0, 1, "failed", message)
    )
    suites = _suites(junit_xml([result]))  # parses despite the input
    suite = suites["weird"]
    failure = suite.find("testcase/failure")
    assert failure is not None
    assert failure.get("message") == 'badvalue <&> "quoted" ]]>'
    case = suite.find("testcase")
    assert case is not None and case.get("name") == "onehot::v"
