"""L1 at its weakest: a submission that rewrites another student's report is caught.

The judge runs on a machine forced down to bare L1 (no namespaces, no Landlock,
no seccomp, no uid switch: the worker can write wherever the grader can, as on
a laptop without root). A hostile submission, graded after its victim,

* rewrites the victim's ``report.json`` (full marks become 3) and
  ``feedback.md``, and plants a report for a student who does not exist;
* reads the command line and environment of every process it can see.

The orchestrator seals every report it accepted (``grader.reports.seal``) and
checks them all before the gradebook: the victim's files are written again from
the accepted grade, and the gradebook and stderr say what happened. No trusted
process shows the output folder or a hidden path in its command line or
environment (docs/threats.md G2, G7).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
from adversarial_support import CONTROL_SOURCE, TOUCHED

from grader import batch
from grader.assignment import current

BARE_JUDGE = """\
import dataclasses, sys
from grader.sandbox.trusted import launcher
probed = launcher.machine(sys.executable)
bare = dataclasses.replace(probed, namespaces=False, confine=(), uid_switch=False,
                           why_no_uid_switch="forced off by the test")
launcher.machine = lambda python=sys.executable: bare
from grader.judge import main
raise SystemExit(main(sys.argv[1:]))
"""

ATTACK = """\
import json as _json, os as _os

def _attack(out, loot):
    victim = _os.path.join(out, "alice")
    with open(_os.path.join(victim, "report.json")) as handle:
        report = _json.load(handle)
    report["checks"] = [dict(c, points=0.0, status="failed") for c in report["checks"]]
    with open(_os.path.join(victim, "report.json"), "w") as handle:
        _json.dump(report, handle)
    with open(_os.path.join(victim, "feedback.md"), "w") as handle:
        handle.write("You scored 3/100. Please stop coming to class.\\n")
    _os.makedirs(_os.path.join(out, "zed"), exist_ok=True)
    with open(_os.path.join(out, "zed", "report.json"), "w") as handle:
        handle.write(_json.dumps(report))
    seen = []
    for pid in _os.listdir("/proc"):
        if pid.isdigit() and int(pid) != _os.getpid():
            for part in ("cmdline", "environ"):
                try:
                    with open(f"/proc/{pid}/{part}", "rb") as handle:
                        seen.append(handle.read().decode(errors="replace"))
                except OSError:
                    pass
    with open(loot, "w") as handle:
        handle.write("\\n".join(seen))

_attack(OUT, LOOT)
"""


def test_a_rewritten_report_is_caught_and_no_process_shows_a_secret_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out, loot = tmp_path / "out", tmp_path / "loot.txt"
    alice, mallory = tmp_path / "class" / "alice", tmp_path / "class" / "mallory"
    for folder in (alice, mallory):
        folder.mkdir(parents=True)
    (alice / f"{TOUCHED}.py").write_text(CONTROL_SOURCE)
    prefix = f"OUT, LOOT = {json.dumps(str(out))}, {json.dumps(str(loot))}\n"
    (mallory / f"{TOUCHED}.py").write_text(CONTROL_SOURCE + "\n" + prefix + ATTACK)
    real = batch._judge_command

    def bare_judge(*args: object) -> list[str]:
        command = real(*args)  # type: ignore[arg-type]
        return [sys.executable, "-c", BARE_JUDGE, *command[command.index("grader.judge") + 1 :]]

    monkeypatch.setattr(batch, "_judge_command", bare_judge)

    results = batch.grade_class([alice, mallory], out, jobs=1, exercises=[TOUCHED])

    assert loot.is_file(), "the attack did not run"
    by_name = {r.submission: r for r in results}
    assert by_name["alice"].isolation.level == "L1"
    assert "uid-switch" not in by_name["alice"].isolation.layers
    kept = json.loads((out / "alice" / "report.json").read_text())
    assert kept["score"] == kept["max_score"] > 0
    assert all(check["status"] == "passed" for check in kept["checks"])
    assert "Please stop coming" not in (out / "alice" / "feedback.md").read_text()
    rows = {row["submission"]: row for row in csv.DictReader((out / "gradebook.csv").open())}
    assert rows["alice"]["reason"].startswith("ALTERED: ")
    assert "report.json" in rows["alice"]["reason"] and "feedback.md" in rows["alice"]["reason"]
    assert "zed" not in rows and not rows["mallory"]["reason"]
    err = capsys.readouterr().err
    assert "warning: alice: feedback.md, report.json changed after grading" in err
    assert "warning: zed: a report that no judge of this run wrote appeared" in err

    seen = loot.read_text()
    assert "grader.judge" in seen  # it could see the judge: the next lines mean something
    assignment = current()
    for secret in (out, assignment.checks_dir, assignment.solutions_dir):
        assert str(secret) not in seen, secret
    assert "--out" not in seen

