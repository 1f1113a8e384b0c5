"""A layer that cannot be set up costs a level, not the class.

This machine offers L3. The test breaks the namespace setup the way a
restricted container does (the host's setup hits a path it cannot open:
here a pids cgroup that is gone), by rewriting the plan the launcher makes.
The host then tells the judge which layer failed and exits; the judge grades
at L2 without namespaces (Landlock and seccomp still hold) and says why in
the report's notes and on stderr, unless `--require-isolation` asks for
what failed, which then refuses naming it. A uid switch that does not stick
costs that layer the same way.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.assignment import current
from grader.sandbox.trusted import launcher
from grader.sandbox.trusted.client import Limits, SandboxHost
from grader.sandbox.trusted.errors import IsolationError, StudentRaised
from grader.sandbox.trusted.spawner import HostTemplate

LIMITS = Limits(import_timeout=5.0, call_timeout=2.0, restarts=1)
GONE = "/sys/fs/cgroup/grader-gone-for-the-fallback-test"
SOURCE = """
def add(a, b):
    return a + b

def read(path):
    with open(path) as handle:
        return handle.read()
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostTemplate]:
    """One template (one library import) for both tests."""
    started = HostTemplate.start(log=tmp_path_factory.mktemp("fallback") / "template.log")
    yield started
    started.close()


@pytest.fixture
def broken_namespaces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every plan with namespaces gets a setup that fails inside the host."""
    assert launcher.machine().namespaces, "this machine is expected to offer namespaces"
    real = launcher.plan_host

    def plan(**options: object) -> launcher.HostPlan:
        made = real(**options)  # type: ignore[arg-type]
        if made.setup is None:
            return made
        return dataclasses.replace(made, setup={**made.setup, "cgroup": GONE})

    monkeypatch.setattr(launcher, "plan_host", plan)


def test_a_namespace_setup_failure_falls_back_to_l2_and_says_why(
    template: HostTemplate, broken_namespaces: None, capfd: pytest.CaptureFixture[str]
) -> None:
    with SandboxHost(LIMITS, template=template.channel()) as host:
        isolation = host.isolation
        with host.submission({"ex01_add": SOURCE}) as student:
            ex = student.exercise("ex01_add")
            assert ex.call("add", 2, 3) == 5  # still grades
            hidden = next(current().checks_dir.glob("check_*.py"))
            with pytest.raises(StudentRaised, match="PermissionError"):  # Landlock holds
                ex.call("read", str(hidden))
    assert isolation.level == "L2"
    assert "pidns" not in isolation.layers and "landlock-fs" in isolation.layers
    recorded = isolation.to_dict()["notes"]  # as report.json records it
    fell = [note for note in recorded if note.startswith("namespaces: not in force: ")]
    assert fell and "FileNotFoundError" in fell[0] and GONE in fell[0], recorded
    assert "graded without it" in fell[0]
    assert "warning: sandbox: namespaces: not in force: " in capfd.readouterr().err


def test_a_required_level_refuses_naming_the_setup_failure(
    template: HostTemplate, broken_namespaces: None
) -> None:
    with pytest.raises(IsolationError) as refused:
        SandboxHost(LIMITS, require="L3", template=template.channel())
    message = str(refused.value)
    assert "L3 is required" in message and "pidns" in message
    assert "namespaces: not in force: setting it up failed" in message
    assert "FileNotFoundError" in message and "lower --require-isolation" in message


def test_a_required_level_the_fallback_still_meets_grades_and_warns(
    template: HostTemplate, broken_namespaces: None, capfd: pytest.CaptureFixture[str]
) -> None:
    with SandboxHost(LIMITS, require="L2", template=template.channel()) as host:
        assert host.isolation.level == "L2"
    assert "warning: sandbox: namespaces: not in force: " in capfd.readouterr().err


def test_a_uid_switch_that_does_not_stick_falls_back_and_says_why(
    template: HostTemplate, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """``GRADER_SANDBOX_USER=4294967295:65534``: uid -1 means "unchanged" to setresuid,
    so the host stays root; it notices, names the layer and exits, and the judge goes on
    without the switch (Landlock and seccomp still make L2)."""
    real = launcher.plan_host

    def plan(**options: object) -> launcher.HostPlan:
        made = real(**options)  # type: ignore[arg-type]
        if options.get("uid_switch") is False:  # the judge's second try: no switch asked
            return made
        return dataclasses.replace(made, serve={**made.serve, "user": [2**32 - 1, 65534]})

    monkeypatch.setattr(launcher, "plan_host", plan)
    with SandboxHost(LIMITS, namespaces=False, template=template.channel()) as host:
        isolation = host.isolation
        with host.submission({"ex01_add": SOURCE}) as student:
            assert student.exercise("ex01_add").call("add", 2, 3) == 5
    assert isolation.level == "L2" and "uid-switch" not in isolation.layers
    fell = [note for note in isolation.notes if note.startswith("uid-switch: not in force: ")]
    assert fell and "did not stick" in fell[0], isolation.notes
    assert "warning: sandbox: uid-switch: not in force: " in capfd.readouterr().err


def test_a_host_told_of_a_failure_starts_without_that_layer_and_warns_no_more(
    template: HostTemplate, broken_namespaces: None, capfd: pytest.CaptureFixture[str]
) -> None:
    """A forked judge's host: the judge it was forked from already met the failure."""
    with SandboxHost(LIMITS, template=template.channel()) as first:
        failed = first.failed
    assert [failure.layer for failure in failed] == ["namespaces"]
    capfd.readouterr()
    with SandboxHost(LIMITS, template=template.channel(), failed=failed) as second:
        assert second.isolation.level == "L2"
        assert any(n.startswith("namespaces: not in force: ") for n in second.isolation.notes)
    assert "warning" not in capfd.readouterr().err


BROKEN_JUDGE = f"""\
import dataclasses, sys
from grader.sandbox.trusted import launcher
real = launcher.plan_host
def plan(**options):
    made = real(**options)
    if made.setup is None:
        return made
    return dataclasses.replace(made, setup={{**made.setup, "cgroup": {GONE!r}}})
launcher.plan_host = plan
from grader.judge import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_a_class_graded_where_namespaces_fail_records_it_and_warns_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Two judges (one forked from the other), each report.json saying why it is L2."""
    from grader import batch

    solution = current().solutions_dir / "ex01_multiclass.py"
    paths = []
    for name in ("ann", "ben"):
        (tmp_path / "class" / name).mkdir(parents=True)
        (tmp_path / "class" / name / solution.name).write_text(solution.read_text())
        paths.append(tmp_path / "class" / name)
    real = batch._judge_command

    def broken(*args: object) -> list[str]:
        command = real(*args)  # type: ignore[arg-type]
        return [sys.executable, "-c", BROKEN_JUDGE, *command[command.index("grader.judge") + 1 :]]

    monkeypatch.setattr(batch, "_judge_command", broken)
    out = tmp_path / "out"
    batch.grade_class(paths, out, jobs=2, exercises=["ex01_multiclass"])
    for name in ("ann", "ben"):
        isolation = json.loads((out / name / "report.json").read_text())["isolation"]
        assert isolation["level"] == "L2", isolation
        assert any(note.startswith("namespaces: not in force: setting it up failed")
                   for note in isolation["notes"]), isolation  # fmt: skip
    assert capfd.readouterr().err.count("warning: sandbox: namespaces: not in force") == 1
