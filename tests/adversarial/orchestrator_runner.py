"""Test-only: `grader grade ...` as root at L1 with the uid switch, its argv as typed.

    python orchestrator_runner.py grade alice/ mallory/ --out /abs/out ...

Makes the interpreter reachable for the sandbox user (`level_runner`, in a
private mount namespace), has every judge believe the machine offers neither
namespaces nor Landlock nor seccomp (so the uid switch and the file modes are
all that hold), then runs the command line given, which therefore shows in
this process's ``/proc/<pid>/cmdline`` exactly as an instructor's would.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox"))

from level_runner import _reachable_interpreter

JUDGE_AT_L1 = """\
import dataclasses, sys
from grader.sandbox.trusted import launcher
probed = launcher.machine(sys.executable)
launcher.machine = lambda python=None: dataclasses.replace(probed, namespaces=False, confine=())
from grader.judge import main
raise SystemExit(main(sys.argv[1:]))
"""


def main() -> int:
    _reachable_interpreter()
    from grader import batch

    real = batch._judge_command

    def judge_at_l1(*args: object) -> list[str]:
        command = real(*args)  # type: ignore[arg-type]
        return [sys.executable, "-c", JUDGE_AT_L1, *command[command.index("grader.judge") + 1 :]]

    batch._judge_command = judge_at_l1  # type: ignore[assignment]
    from grader.cli import main as cli

    return cli(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
