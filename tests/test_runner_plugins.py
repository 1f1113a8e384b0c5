"""The judge's pytest runs our plugin and pytest's own, never one installed beside it.

A plugin in the instructor's environment (pytest-randomly reorders the checks
and reseeds every generator, say) must not change a grade. A fake distribution
on the path registers a pytest11 entry point; the grading run must not load it,
while a plain pytest run in the same interpreter does (so the fake is real).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_RUN = """
import os, sys
import pytest
from grader.runner import run_checks
run_checks({})
graded = os.path.exists(os.environ["MARK"])
pytest.main(["--co", "-q", "-p", "no:cacheprovider", os.environ["EMPTY"]])
print(graded, os.path.exists(os.environ["MARK"]))
"""


def test_installed_pytest_plugins_are_not_loaded_while_grading(tmp_path: Path) -> None:
    site = tmp_path / "site"
    info = site / "fakeplug-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeplug\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[pytest11]\nfakeplug = fakeplug_mod\n")
    (site / "fakeplug_mod.py").write_text(
        "import os\nopen(os.environ['MARK'], 'w').write('loaded')\n"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "MARK": str(tmp_path / "mark"),
        "EMPTY": str(empty),
    }
    done = subprocess.run(
        [sys.executable, "-c", _RUN], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    graded, plain = done.stdout.split()[-2:]
    assert plain == "True", "the fake plugin never loaded: this test proves nothing"
    assert graded == "False"
