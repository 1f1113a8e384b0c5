"""The attacks of a hostile student, at L3, L2 and L1 as root, on one machine.

This machine offers L3; `level_runner.py` forces the grader down to L2 (no
namespaces) and L1 (no namespaces, no Landlock, no seccomp), in a subprocess
and a private mount namespace of its own. At every level the worker runs as
the unprivileged sandbox user, and the secrets (hidden checks, solutions,
another student's report) are closed to that user before grading starts, so
reading, writing, planting a report, signalling the judge and connecting to
the judge's unix socket all fail. Only where namespaces or seccomp are in
force is the network closed too.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

FILES = Path(__file__).parent / "files"
REPO = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).parent / "level_runner.py"


@pytest.fixture(scope="module")
def course() -> Iterator[Path]:
    """A checkout as an instructor has one: world-readable folders and files."""
    root = Path(tempfile.mkdtemp(prefix="levels-"))
    root.chmod(0o755)
    for relative, text in (("checks/check_ex01.py", "SECRET = 1\n"),
                           ("solutions/ex01.py", "ANSWER = 2\n"),
                           ("out/bob/report.json", '{"score": 100}\n')):  # fmt: skip
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o755)
        path.write_text(text)
        path.chmod(0o644)
    (root / "sock").mkdir(mode=0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _attack(level: str, course: Path) -> dict[str, object]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener, \
            socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:  # fmt: skip
        unix_path = course / "sock" / f"judge-{level}"
        listener.bind(str(unix_path))
        unix_path.chmod(0o600)  # the judge's own socket, as root makes it
        listener.listen(4)
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(4)
        config = {
            "source": (FILES / "attacks.py").read_text(),
            "secrets": [str(course / "checks"), str(course / "solutions"), str(course / "out")],
            "attacks": {
                "read_check": ["read", str(course / "checks" / "check_ex01.py")],
                "read_solution": ["read", str(course / "solutions" / "ex01.py")],
                "list_out": ["listing", str(course / "out")],
                "rewrite_report": ["write", str(course / "out" / "bob" / "report.json")],
                "plant_report": ["write", str(course / "out" / "mallory.json")],
                "kill_judge": ["kill", os.getpid()],
                "connect_unix": ["connect_unix", str(unix_path)],
                "connect_tcp": ["connect_tcp", tcp.getsockname()[1]],
                "other_scratch": ["other_scratch", f"{tempfile.gettempdir()}/grader-judge-*"],
            },
            "other_judge": level == "L1",  # --jobs 2: workers of two judges share the uid
        }
        outcomes = _run(level, config)
        unix_path.unlink()
    return outcomes


def _run(level: str, config: dict[str, object], env: dict[str, str] | None = None) -> dict:
    done = subprocess.run([sys.executable, str(RUNNER), level], input=json.dumps(config),
                          capture_output=True, text=True, timeout=120, check=False,
                          env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("level", ["L3", "L2", "L1"])
def test_each_level_holds_what_it_promises(level: str, course: Path) -> None:
    outcomes = _attack(level, course)
    assert outcomes["level"] == level, outcomes
    assert "uid-switch" in outcomes["layers"] and outcomes["uid"] != 0
    details = outcomes["details"]
    assert isinstance(details, dict)  # what held, per layer, as report.json records it
    assert details["uid-switch"].startswith(f"uid {outcomes['uid']}, ")
    assert details["uid-switch"].endswith("other groups: none")
    if level == "L1":
        assert not any(name.startswith(("landlock", "seccomp")) for name in details)
    else:
        assert details["landlock-fs"].startswith("Landlock ABI ")
        assert details["seccomp-net"].startswith("hand-written BPF for ")
    if level != "L3":  # behind namespaces the secrets are masked; here the modes hold them
        assert "secrets-closed-to-uid" in outcomes["layers"], outcomes["notes"]
    for attack in ("read_check", "read_solution", "list_out", "rewrite_report", "plant_report",
                   "kill_judge", "connect_unix"):  # fmt: skip
        assert str(outcomes[attack]).startswith("refused"), (attack, outcomes)
    if level == "L1":  # no namespace, no seccomp, no Landlock: the network is open
        assert outcomes["connect_tcp"] == "done"
    else:
        assert str(outcomes["connect_tcp"]).startswith("refused")
    assert outcomes["other_scratch"] == [], outcomes  # another judge's worker's files
    assert (course / "out" / "bob" / "report.json").read_text() == '{"score": 100}\n'
    assert not (course / "out" / "mallory.json").exists()


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A temporary folder the sandbox user may enter (pytest's own is root's alone)."""
    root = Path(tempfile.mkdtemp(prefix="levels-links-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_symlinked_checks_and_output_folder_hold_at_l1_as_root(open_tmp: Path) -> None:
    """`--out` and the assignment's `checks/` reached through `ln -s`, as many setups have:
    what is closed is what the links point to, so going through the link or straight to
    its target, the submission (as the sandbox user, no Landlock, no namespaces) can
    neither read the checks nor read, rewrite or plant a report."""
    course, elsewhere = open_tmp / "course", open_tmp / "elsewhere"
    shutil.copytree(REPO / "examples" / "assignments" / "tensor_basics", course / "tb")
    (elsewhere / "out" / "bob").mkdir(parents=True)
    (elsewhere / "out" / "bob" / "report.json").write_text('{"score": 100}\n')
    shutil.move(course / "tb" / "checks", elsewhere / "checks")
    (course / "tb" / "checks").symlink_to(elsewhere / "checks")
    (course / "out").symlink_to(elsewhere / "out")
    for path in (open_tmp, *open_tmp.rglob("*")):  # as an instructor's checkout is: open to all
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    check = next((course / "tb" / "checks").glob("check_*.py"))
    config = {
        "source": (FILES / "attacks.py").read_text(),
        "secrets": [str(course / "out")],  # as the judge gets `--out`: the link, unresolved
        "attacks": {
            "read_check_by_link": ["read", str(check)],
            "read_check": ["read", str(elsewhere / "checks" / check.name)],
            "list_out_by_link": ["listing", str(course / "out")],
            "list_out": ["listing", str(elsewhere / "out")],
            "rewrite_by_link": ["write", str(course / "out" / "bob" / "report.json")],
            "rewrite": ["write", str(elsewhere / "out" / "bob" / "report.json")],
            "plant_by_link": ["write", str(course / "out" / "mallory.json")],
        },
    }
    env = {**os.environ, "GRADER_ASSIGNMENT": str(course / "tb")}
    outcomes = _run("L1", config, env)
    assert outcomes["level"] == "L1" and outcomes["uid"] != 0
    assert "secrets-closed-to-uid" in outcomes["layers"], outcomes["notes"]
    for attack in config["attacks"]:  # type: ignore[union-attr]
        assert str(outcomes[attack]).startswith("refused"), (attack, outcomes)
    assert (elsewhere / "out" / "bob" / "report.json").read_text() == '{"score": 100}\n'
    assert not (elsewhere / "out" / "mallory.json").exists()
