"""Isolation levels as the user meets them, and two defences too fine for a fixture.

* ``--require-isolation`` passes where the machine reaches the level (see the
  resume test in ``test_adversarial_class.py``, which grades at L3 here), and
  is refused with a clear ``error:``/``hint:`` naming the missing layers where
  it does not: simulated by running the real judge with namespaces unavailable.
* The codec snapshots a returned tensor or array when it encodes it (row 10).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from adversarial_support import CORPUS, TOUCHED

from grader import batch
from grader.cli import main
from grader.sandbox.trusted.client import Limits, SandboxHost
from grader.sandbox.trusted.errors import IsolationError
from grader.sandbox.wire import codec

# The real judge, on a machine where `unshare` is unavailable and, for L2, where
# the host cannot confine itself either (the machine probe says so).
SIMULATED_JUDGE = """\
import dataclasses, sys
from grader.sandbox.trusted import launcher
probed = launcher.machine(sys.executable)
changes = {"namespaces": False}
if sys.argv[1] == "bare" and "confine" in {f.name for f in dataclasses.fields(probed)}:
    changes["confine"] = ()
launcher.machine = lambda python=sys.executable: dataclasses.replace(probed, **changes)
from grader.judge import main
raise SystemExit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize(
    ("level", "machine", "missing"),
    [("L3", "no-namespaces", ("pidns",)),
     ("L2", "bare", ("netns", "secrets-masked", "grader files unwritable"))],
)  # fmt: skip
def test_unreachable_level_is_a_clear_cli_error(
    level: str,
    machine: str,
    missing: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    real = batch._judge_command

    def simulated_judge(*args: object) -> list[str]:
        command = real(*args)  # type: ignore[arg-type]
        rest = command[command.index("grader.judge") + 1 :]
        return [sys.executable, "-c", SIMULATED_JUDGE, machine, *rest]

    monkeypatch.setattr(batch, "_judge_command", simulated_judge)
    out = tmp_path / "out"
    submission = CORPUS / "control-correct" / f"{TOUCHED}.py"
    code = main(["grade", str(submission), "--out", str(out), "--require-isolation", level,
                 "--exercise", TOUCHED, "-q"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert f"error: grading could not start: isolation level {level} is required" in err
    assert re.search(r"reaches only L[0-2] \(missing: ", err), err
    for layer in missing:
        assert layer in err
    assert "hint: run without --require-isolation" in err
    assert not list(out.glob("*/report.json"))  # nothing graded below the required level


def test_sandbox_host_refuses_before_starting_anything() -> None:
    with pytest.raises(IsolationError, match=r"L3 is required .*reaches only L[0-2] .*pidns"):
        SandboxHost(Limits(), require="L3", namespaces=False)


def test_returned_tensor_is_snapshotted_when_encoded() -> None:
    """A thread the student left running cannot change what is sent after encoding."""
    tensor = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    array = np.arange(4, dtype=np.int64)
    packed = codec.encode({"t": tensor, "a": array, "view": tensor.t()})
    tensor.fill_(-1.0)
    array.fill(-1)
    value = codec.decode(packed.tree, packed.buffers)
    assert value["t"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert value["view"].tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert value["a"].tolist() == [0, 1, 2, 3]
