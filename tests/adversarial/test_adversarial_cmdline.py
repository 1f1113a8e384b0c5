"""The orchestrator's command line names the output folder; knowing it gives nothing.

`grader grade --out /abs/reports ...` shows in ``/proc/<pid>/cmdline`` to every
process in its PID namespace (so do `sudo`'s and the shell's: hiding our own
argv would not hide the path). Below L3 a worker sees it. As root with the uid
switch (L1 here: no namespaces, Landlock or seccomp), a submission that finds
the path there still cannot list, read, rewrite or plant a report in it: the
folder is closed to the sandbox user before grading starts. Nothing is
altered, so nothing needs writing back (docs/threats.md, Known gaps).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from adversarial_support import CONTROL_SOURCE, TOUCHED

RUNNER = Path(__file__).parent / "orchestrator_runner.py"

HUNT = """\
import os as _os

def _hunt(loot):
    found, lines = [], []
    for pid in _os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                argv = handle.read().decode(errors="replace").split("\\0")
        except OSError:
            continue
        if "--out" in argv[:-1]:
            found.append((pid, argv[argv.index("--out") + 1]))
    for pid, out in found:
        lines.append("found " + out)
        report = _os.path.join(out, "alice", "report.json")
        attacks = {
            "list": lambda: _os.listdir(out),
            "read": lambda: open(report).read(),
            "rewrite": lambda: open(report, "w").write("3"),
            "plant": lambda: _os.makedirs(_os.path.join(out, "zed")),
            "cwd": lambda: _os.readlink(f"/proc/{pid}/cwd"),
        }
        for name, attack in attacks.items():
            try:
                attack()
                lines.append(name + " done")
            except OSError as exc:
                lines.append(name + " refused " + type(exc).__name__)
    with open(loot, "w") as handle:
        handle.write("\\n".join(lines))

_hunt(LOOT)
"""


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A folder the sandbox user may enter: only the output folder's own closing holds."""
    root = Path(tempfile.mkdtemp(prefix="cmdline-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_the_output_path_in_the_orchestrators_argv_gives_a_submission_nothing(
    open_tmp: Path, tmp_path: Path
) -> None:
    out, drop = open_tmp / "reports", open_tmp / "drop"
    drop.mkdir(mode=0o777)
    drop.chmod(0o777)  # the loot's way out: the sandbox user writes there
    loot = drop / "loot.txt"
    alice, mallory = tmp_path / "alice", tmp_path / "mallory"
    for folder in (alice, mallory):
        folder.mkdir()
    (alice / f"{TOUCHED}.py").write_text(CONTROL_SOURCE)
    hunt = f"LOOT = {json.dumps(str(loot))}\n" + HUNT
    (mallory / f"{TOUCHED}.py").write_text(CONTROL_SOURCE + "\n" + hunt)
    command = [sys.executable, str(RUNNER), "grade", str(alice), str(mallory), "--out", str(out),
               "--jobs", "1", "--exercise", TOUCHED, "--require-isolation", "L1+uid-switch",
               "--quiet"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]

    lines = loot.read_text().splitlines()
    assert f"found {out}" in lines, lines  # the path is there to be found
    for attack in ("list", "read", "rewrite", "plant", "cwd"):
        assert any(line.startswith(f"{attack} refused ") for line in lines), (attack, lines)
    assert not any(line.endswith(" done") for line in lines), lines
    kept = json.loads((out / "alice" / "report.json").read_text())
    assert kept["score"] == kept["max_score"] > 0
    assert kept["isolation"]["level"] == "L1", kept["isolation"]
    assert "uid-switch" in kept["isolation"]["layers"], kept["isolation"]
    assert "secrets-closed-to-uid" in kept["isolation"]["layers"], kept["isolation"]
    rows = {row["submission"]: row for row in csv.DictReader((out / "gradebook.csv").open())}
    assert set(rows) == {"alice", "mallory"} and not rows["alice"]["reason"]
    assert "changed after grading" not in done.stderr and not (out / "zed").exists()
