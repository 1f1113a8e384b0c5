"""junit.xml as its consumers read it: Jenkins' xUnit schema, and junitparser.

The schema is Jenkins' own file (``tests/files/schemas/junit-10.xsd``, see the
README beside it), so passing here means the xUnit plugin accepts the report.
pytest's own ``--junitxml`` output is validated against the same file first,
so a failure below is ours, not a schema that rejects everything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema
from junitparser import Error, Failure, JUnitXml
from report_samples import check, graded, not_gradable

from grader.reports import junit_xml

pytest_plugins = ["pytester"]

SCHEMA_FILE = Path(__file__).parents[1] / "files" / "schemas" / "junit-10.xsd"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA_FILE))


def _class() -> list:
    weird = graded(
        "we\x01ird",
        check("ex01_multiclass", "one\x02hot", "v\x03", 0, 1, "failed", "bad\x00 <&> ]]>"),
        check("ex01_multiclass", "one_hot", "slow", 0, 1, "timeout", "", duration=1234.5678),
    )
    return [graded("zed"), graded("amy"), not_gradable("bob"), weird]


def test_pytests_own_junit_passes_the_schema(
    pytester: pytest.Pytester, schema: xmlschema.XMLSchema
) -> None:
    pytester.makepyfile(
        "import pytest\n"
        "def test_ok(): pass\n"
        "def test_bad(): assert 0\n"
        "@pytest.mark.skip(reason='x')\n"
        "def test_skip(): pass\n"
    )
    out = pytester.path / "pytest.xml"
    pytester.runpytest_inprocess(f"--junitxml={out}", "-p", "no:cacheprovider")
    schema.validate(str(out))


def test_the_class_passes_jenkins_schema(schema: xmlschema.XMLSchema) -> None:
    errors = [str(e) for e in schema.iter_errors(junit_xml(_class()))]
    assert errors == []


def test_an_empty_class_passes_jenkins_schema(schema: xmlschema.XMLSchema) -> None:
    schema.validate(junit_xml([]))


def test_the_schema_rejects_what_it_should(schema: xmlschema.XMLSchema) -> None:
    # the defect this file guards against: ``skipped`` on <testsuites>
    bad = junit_xml([graded("zed")]).replace("<testsuites ", '<testsuites skipped="0" ', 1)
    assert not schema.is_valid(bad)


def test_junitparser_reads_the_counts(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(junit_xml(_class()), encoding="utf-8")
    suites = {suite.name: suite for suite in JUnitXml.fromfile(str(path))}
    assert sorted(suites) == ["amy", "bob", "weird", "zed"]
    zed = suites["zed"]
    assert (zed.tests, zed.failures, zed.errors) == (9, 2, 3)
    results = [type(r) for case in zed for r in case.result]
    assert results.count(Failure) == 2 and results.count(Error) == 3
    bob = suites["bob"]
    (case,) = list(bob)
    assert [r.type for r in case.result] == ["not_gradable"]
    slow = [case for case in suites["weird"] if case.name == "one_hot::slow"]
    assert slow[0].time == pytest.approx(1234.568)
