"""The judge's warm-up: what it imports, and what it leaves the garbage collector."""

from __future__ import annotations

import json
import subprocess
import sys

_WARM = (
    "import gc, json, sys\n"
    "import grader.judge as judge\n"
    "judge._warm()\n"
    "from grader import runner\n"
    "from grader.assignment import current\n"
    "from grader.checklib import inputs\n"
    "print(json.dumps({'frozen': gc.get_freeze_count(),\n"
    "                  'dynamo': 'torch._dynamo' in sys.modules,\n"
    "                  'checks': 'grader.checklib' in sys.modules,\n"
    "                  'collected': len(runner._SESSIONS),\n"
    "                  'rehearsed': len(inputs._MADE),\n"
    "                  'pandas': 'pandas' in sys.modules,\n"
    "                  'left': [n for n in current().exercises if n in sys.modules]}))\n"
)


def test_warm_imports_the_stack_without_dynamo_and_freezes_it() -> None:
    done = subprocess.run([sys.executable, "-c", _WARM], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout)
    assert state["checks"] is True
    assert state["dynamo"] is False  # grader.torch_eager: 0.9 s less per cold start
    assert state["frozen"] > 100_000  # torch's objects, out of every full collection
    assert state["collected"] == 1  # the checks, collected beside the template's imports


def test_warm_rehearses_the_checks_on_the_solutions_without_new_imports_or_leftovers() -> None:
    """The rehearsal pays the checks' first calls; it imports no pandas, leaves no module."""
    # As in a judge whose expected values are on disk. Without them the judge imports
    # the assignment's packages on purpose, and whether a file for this code's
    # fingerprint existed depended on which tests had graded before this one.
    on_disk = "from grader.checklib import cache\ncache.on_disk = lambda: True\n"
    done = subprocess.run([sys.executable, "-c", on_disk + _WARM], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout)
    assert state["rehearsed"] > 20  # the checks ran: their named inputs were made
    assert state["pandas"] is False  # solutions that need it sat the rehearsal out
    assert state["left"] == []  # each exercise's module was taken out of sys.modules again


def test_a_solution_is_rehearsed_only_when_its_imports_are_loaded() -> None:
    import math  # noqa: F401 - loaded, as in a warm judge

    import torch.nn  # noqa: F401

    from grader.judge import _imports_loaded

    assert _imports_loaded("import math\nimport torch.nn as nn\nfrom torch import nn as n2\n")
    assert not _imports_loaded("import torch\nimport a_module_nobody_loaded\n")
    assert not _imports_loaded("from a_module_nobody_loaded.sub import x\n")
    assert not _imports_loaded("def broken(:\n")
