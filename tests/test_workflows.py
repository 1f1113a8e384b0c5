"""The GitHub Actions workflows: this repository's CI and the submission-grading template.

These read the files mostly as text (the YAML test aside): steps are the
``- `` items under ``steps:``, and each assertion names the key it needs.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from course_files import COURSE

ROOT = COURSE.root
TEMPLATE = ROOT / ".github" / "workflows" / "grade-submission.yml.template"
CI = ROOT / ".github" / "workflows" / "ci.yml"
STUDENT = ROOT / ".github" / "workflows" / "student-checks.yml.template"


def steps(text: str) -> list[str]:
    """The text of each step (``      - name: ...`` up to the next step at that indent)."""
    body = text.split("\n    steps:\n", 1)[1]
    return [chunk for chunk in re.split(r"\n(?=      - )", "\n" + body) if chunk.strip()]


def run_scripts(text: str) -> list[str]:
    """The shell of every ``run:`` (one line, or a ``|`` block), dedented."""
    scripts = []
    for step in steps(text):
        match = re.search(r"\n        run: (.*)((?:\n {10}.*|\n *)*)", "\n" + step)
        if match:
            line, block = match.group(1).strip(), match.group(2)
            scripts.append(textwrap.dedent(block).strip() if line == "|" else line)
    return scripts


def without_comments(text: str) -> str:
    return "\n".join(
        line.split(" #")[0] for line in text.splitlines() if not line.lstrip().startswith("#")
    )


@pytest.fixture(scope="module")
def template() -> str:
    return TEMPLATE.read_text(encoding="utf-8")


def test_template_cannot_run_on_this_repository() -> None:
    # GitHub runs only .github/workflows/*.yml and *.yaml; the template keeps a
    # .template suffix there, and no workflow that runs here grades submissions
    assert TEMPLATE.suffix == ".template"
    for workflow in (ROOT / ".github" / "workflows").iterdir():
        if workflow.suffix in {".yml", ".yaml"}:
            assert "ci-grade" not in workflow.read_text(encoding="utf-8"), workflow


def test_template_runs_on_push_never_on_pull_request_target(template: str) -> None:
    code = without_comments(template)
    assert re.search(r"^on:\n  push:", code, re.M)
    assert "pull_request_target" not in template
    assert "workflow_run" not in code


def test_every_checkout_drops_its_credentials(template: str) -> None:
    checkouts = [step for step in steps(template) if "uses: actions/checkout@" in step]
    assert len(checkouts) == 2
    for step in checkouts:
        assert "persist-credentials: false" in step, step


def test_grader_and_hidden_checks_come_from_the_private_repository(template: str) -> None:
    submission, grader = (s for s in steps(template) if "uses: actions/checkout@" in s)
    assert "repository:" not in submission  # the student's own repository
    assert "repository: ${{ vars.GRADER_REPOSITORY }}" in grader
    assert "ref: ${{ vars.GRADER_REF }}" in grader  # pinned
    assert "token: ${{ secrets.GRADER_DEPLOY_TOKEN }}" in grader
    assert "path: ${{ env.GRADER_SRC }}" in grader
    install = next(s for s in run_scripts(template) if "pip install" in s)
    assert '-e "$GRADER_SRC"' in install
    assert "SUBMISSION" not in install  # nothing from the student's repository is installed
    assert "--index-url https://download.pytorch.org/whl/cpu" in install


def test_grading_step_runs_ci_grade_under_sudo_with_the_summary(template: str) -> None:
    [grade] = [s for s in run_scripts(template) if "ci-grade" in s]
    assert re.search(r'\(ci-grade "\$SUBMISSION" --out reports', grade)
    assert '--summary-file "$GITHUB_STEP_SUMMARY"' in grade
    assert '--require-isolation "$REQUIRE_ISOLATION"' in grade
    assert 'sudo -n "$GRADER_VENV/bin/grader"' in grade
    assert "REQUIRE_ISOLATION: ${{ inputs.require-isolation || 'L3' }}" in template
    assert re.search(r"require-isolation:\n(?: {8}.*\n)*? {8}default: L3", template)


def test_only_what_the_student_may_read_is_uploaded(template: str) -> None:
    from grader.ci import STUDENT_FOLDER

    [upload] = [s for s in steps(template) if "uses: actions/upload-artifact@v4" in s]
    paths = re.findall(r"^\s*path:\s*(\S+)\s*$", upload, flags=re.M)
    assert paths == [f"reports/{STUDENT_FOLDER}/"]  # not reports/: hidden messages, staff.log
    assert "if: ${{ !cancelled() }}" in upload  # also when the submission was not gradable


def test_no_expression_is_pasted_into_a_shell_script(template: str) -> None:
    # ${{ }} in a run: block is substituted before bash parses it (script injection);
    # values reach the scripts through env: instead.
    for script in run_scripts(template):
        assert "${{" not in script, script


def test_permissions_are_minimal(template: str) -> None:
    block = re.search(r"^permissions:\n((?:  .*\n)+)", template, re.M)
    assert block is not None
    granted = {line.split("#")[0].strip() for line in block.group(1).splitlines()}
    assert granted == {"contents: read", "actions: read", "checks: write"}


def test_own_ci_runs_exactly_make_test_on_python_311() -> None:
    text = CI.read_text(encoding="utf-8")
    assert run_scripts(text) == ["make test"]
    assert re.search(r"runs-on: ubuntu-", text)
    assert 'python-version: "3.11"' in text
    assert "pull_request_target" not in text
    for step in steps(text):
        if "uses: actions/checkout@" in step:
            assert "persist-credentials: false" in step


COLLECT = ROOT / ".github" / "workflows" / "collect-class.yml.template"


def test_the_class_collection_runs_only_by_hand_and_keeps_inputs_out_of_scripts() -> None:
    text = without_comments(COLLECT.read_text(encoding="utf-8"))
    on = text.split("\non:\n", 1)[1].split("\npermissions:", 1)[0]
    assert "workflow_dispatch:" in on
    assert not re.search(r"^  (push|pull_request|pull_request_target):", on, re.MULTILINE)
    scripts = run_scripts(text)
    assert scripts and not any("${{" in script for script in scripts)  # no input pasted in
    collect = next(s for s in scripts if "collect-github" in s)
    assert '--due "$DUE"' in collect and '--prefix "$PREFIX"' in collect
    grade = next(s for s in scripts if "(grade " in s)
    assert "--timestamps collected/times.csv" in grade and "--require-isolation L3" in grade
    assert '--shard "$SHARD/$SHARDS"' in grade
    shards = re.search(r"shard: \[([\d, ]+)\]", text)
    count = re.search(r'SHARDS: "(\d+)"', text)
    assert shards and count and len(shards.group(1).split(",")) == int(count.group(1))
    merge = next(s for s in scripts if " merge " in s)
    assert "merge reports shards/reports-*" in merge
    token_steps = [s for s in steps(text) if "CLASSROOM_READ_TOKEN" in s]
    assert len(token_steps) == 1 and "gh repo clone" in token_steps[0]  # only the clone sees it


@pytest.mark.parametrize("path", [TEMPLATE, COLLECT, STUDENT, CI], ids=lambda p: p.name)
def test_every_workflow_is_valid_yaml_with_named_jobs(path: Path) -> None:
    import yaml  # a dependency since the Gradescope layout reads submission_metadata.yml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["jobs"] and all(job.get("steps") for job in data["jobs"].values())


def test_the_student_workflow_carries_no_secret_and_runs_public_checks_only() -> None:
    text = STUDENT.read_text(encoding="utf-8")
    code = without_comments(text)
    assert "secrets." not in code and "token:" not in code and "vars." not in code
    assert "repository:" not in code  # nothing checked out but the student's own repository
    assert "persist-credentials: false" in code
    assert re.search(r"permissions:\n  contents: read\n\n", code)  # and nothing else
    scripts = run_scripts(text)
    assert scripts[-1] == "grader check --classroom"
    assert not any("ci-grade" in s or "sudo" in s for s in scripts)
    assert "pull_request_target" not in code
