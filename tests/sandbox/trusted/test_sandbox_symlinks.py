"""A venv and a checkout reached through `ln -s`, as many setups have, still grade.

The interpreter's own paths (``sys.prefix``, ``sys.path``) name the link, not
what it points to; when the link lives where the host's scratch tmpfs goes
(``/tmp``), the host recreates it there (``mounts._relink``), instead of failing
with "sandbox setup failed: FileNotFoundError: ... '<the symlink>'".
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from grader.sandbox.trusted import launcher

REPO = Path(__file__).resolve().parents[3]
SCRIPT = """\
import json
from grader.sandbox.trusted.client import SandboxHost
with SandboxHost() as host:
    source = "import torch\\ndef f():\\n    return torch.ones(2).sum().item()\\n"
    with host.submission({"ex01_multiclass": source}) as student:
        value = student.exercise("ex01_multiclass").call("f")
    print(json.dumps({"level": host.isolation.level, "value": value}))
"""


def test_a_symlinked_venv_inside_a_symlinked_checkout_grades(tmp_path: Path) -> None:
    venv = Path(sys.prefix)
    assert (venv / "pyvenv.cfg").is_file(), "run the suite from the checkout's venv"
    (tmp_path / "checkout").symlink_to(REPO)  # under /tmp: hidden by the host's scratch
    (tmp_path / "venv").symlink_to(venv)
    python = tmp_path / "venv" / "bin" / "python"
    done = subprocess.run([str(python), "-c", SCRIPT], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path / "checkout", check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["value"] == 2.0
    if launcher.machine().namespaces:  # the mount namespace is what hid the link
        assert outcome["level"] == "L3"
