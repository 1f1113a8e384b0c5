"""Isolation levels, the host template's command line and the host plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader import assignment
from grader.sandbox import levels
from grader.sandbox.trusted import launcher

L1 = ["subprocess", "rlimits", "codec"]


def test_levels_are_cumulative() -> None:
    assert levels.level_of([]) == "L0"
    assert levels.level_of(L1) == "L1"
    l2 = [*L1, "netns", "secrets-masked", "ro-root", "no-caps"]
    assert levels.level_of(l2) == "L2"
    assert levels.level_of([*l2, "pidns"]) == "L3"
    assert levels.level_of([*L1, "netns", "secrets-masked", "uid-switch", "pidns"]) == "L3"
    # a PID namespace without the L2 layers is still L1
    assert levels.level_of([*L1, "pidns", "netns"]) == "L1"
    # read-only files but capabilities kept: root could remount, so not L2
    assert levels.level_of([*L1, "netns", "secrets-masked", "ro-root"]) == "L1"


def test_missing_for_names_what_is_lacking() -> None:
    assert levels.missing_for("L1", L1) == []
    missing = levels.missing_for("L3", L1)
    assert "pidns" in missing
    assert any("netns" in item for item in missing)
    assert any("secrets-masked" in item for item in missing)
    assert any("unwritable" in item for item in missing)
    assert levels.meets("L3", "L2") and not levels.meets("L1", "L2")
    with pytest.raises(ValueError, match="unknown isolation level"):
        levels.missing_for("high", L1)


def test_the_template_is_isolated_python_with_allowlisted_env(tmp_path: Path) -> None:
    argv = launcher.template_command([7, 8])
    assert argv[1:] == ["-I", str(Path(launcher.__file__).parents[1] / "confined" / "template.py")]
    config = launcher.template_config([7, 8])  # on its stdin: no path on its command line
    assert config.endswith("\n") and json.loads(config)["control_fds"] == [7, 8]
    assert launcher.ENV_ALLOWLIST["CUDA_VISIBLE_DEVICES"] == ""
    assert launcher.ENV_ALLOWLIST["OMP_NUM_THREADS"] == "1"


def test_a_plain_host_has_no_namespace_setup(tmp_path: Path) -> None:
    plan = launcher.plan_host(inbox=tmp_path, scratch=tmp_path, secrets=[], namespaces=False)
    assert plan.setup is None
    assert plan.serve["inbox"] == str(tmp_path) and plan.serve["cgroup"] is None
    assert "pidns" not in plan.planned


@pytest.mark.skipif(not launcher.machine().namespaces, reason="needs root and working unshare")
def test_a_namespaced_host_masks_secrets_and_drops_capabilities(tmp_path: Path) -> None:
    secret = tmp_path / "solutions"
    plan = launcher.plan_host(inbox=tmp_path, scratch=tmp_path, secrets=[secret], namespaces=True)
    assert plan.setup is not None
    assert plan.setup["secrets"] == [str(secret)]
    assert plan.setup["uid"] is None  # nobody cannot run this venv's Python here
    assert {"netns", "pidns", "ro-root", "no-caps"} <= set(plan.planned)


def test_default_secrets_cover_checks_solutions_mutants_tests_and_git() -> None:
    repo = Path(launcher.__file__).resolve().parents[3]
    names = {p.relative_to(repo).as_posix() for p in launcher.default_secrets(repo)}
    assert names == {"checks", "solutions", "mutants", "tests", ".git"}


def test_default_secrets_hide_the_bundled_course_while_another_is_graded(tmp_path: Path) -> None:
    other = tmp_path / "hw"
    other.mkdir()
    (other / "assignment.toml").write_text('[exercises.ex01_a]\nfunctions = ["f"]\n')
    repo = Path(launcher.__file__).resolve().parents[3]
    before = assignment.current().root
    try:
        assignment.use(other)
        secrets = set(launcher.default_secrets(repo))
    finally:
        assignment.use(before)
    assert {other / "checks", other / "solutions", repo / "checks", repo / "solutions"} <= secrets


def test_paths_under_scratch_roots_are_kept_outermost_first() -> None:
    # A CI checkout and its venv under /tmp must survive the tmpfs put on /tmp.
    from grader.sandbox.confined.mounts import _hidden_by_scratch

    kept = _hidden_by_scratch(
        ["/tmp/ci/repo", "/tmp/ci/repo/.venv", "/usr/lib/python3", "/dev/shm/x", "/tmpfoo"]
    )
    assert kept == ["/dev/shm/x", "/tmp/ci/repo"]


def test_the_host_command_asks_to_keep_the_checkout_and_the_interpreter() -> None:
    import sys

    if not launcher.machine(sys.executable).namespaces:
        pytest.skip("namespaces are not available on this machine")
    plan = launcher.plan_host(
        inbox=Path("/x/inbox"), scratch=Path("/x/s"), secrets=[], namespaces=True
    )
    assert plan.setup is not None
    setup = plan.setup
    assert sys.prefix in setup["keep"]
    assert str(Path(launcher.__file__).resolve().parents[3]) in setup["keep"]


def test_the_interpreter_tree_is_kept_even_when_site_did_not_run() -> None:
    # `python -S` leaves sys.prefix at the base install, not the venv.
    needs = launcher._host_needs("/tmp/ci/repo", "/tmp/ci/repo/.venv/bin/python")
    assert "/tmp/ci/repo/.venv" in needs and "/tmp/ci/repo" in needs


def test_limits_come_from_the_assignment_file_and_refuse_what_they_do_not_know() -> None:
    from grader.assignment import AssignmentError
    from grader.sandbox.trusted.client import Limits

    limits = Limits.from_mapping({"call_timeout": 2.5, "open_files": 64})
    assert (limits.call_timeout, limits.open_files) == (2.5, 64)
    assert limits.import_timeout == Limits().import_timeout  # one default for the rest
    with pytest.raises(AssignmentError, match="unknown limit"):
        Limits.from_mapping({"call_timout": 1.0})
    with pytest.raises(AssignmentError, match="open_files must be a positive whole number"):
        Limits.from_mapping({"open_files": 1.5})
    with pytest.raises(AssignmentError, match="positive"):
        Limits.from_mapping({"call_timeout": -1})
    course = assignment.load(Path(launcher.__file__).resolve().parents[3])
    assert Limits.from_mapping(course.limits).call_timeout == course.limits["call_timeout"]


def test_a_requirement_can_name_the_uid_switch() -> None:
    import argparse

    assert levels.parse_requirement("L1+uid-switch") == ("L1", ("uid-switch",))
    assert levels.parse_requirement("uid-switch") == ("L1", ("uid-switch",))
    assert levels.missing_for("L1+uid-switch", L1) == ["uid-switch"]
    assert levels.missing_for("L1+uid-switch", [*L1, "uid-switch"]) == []
    assert "pidns" in levels.missing_for("L3+uid-switch", [*L1, "uid-switch"])
    with pytest.raises(ValueError, match=r"unknown isolation requirement 'L1\+uid'.*uid-switch"):
        levels.parse_requirement("L1+uid")
    assert levels.requirement("L2+uid-switch") == "L2+uid-switch"
    with pytest.raises(argparse.ArgumentTypeError, match="L0 is for the package's own tests"):
        levels.requirement("L0")
