"""The template's warm-up: the libraries' first calls, leaving nothing a worker would see."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Run in a fresh interpreter: the warm-up trains a model and fits scalers, and
# this process's torch state belongs to the other tests.
_PROBE = """
import json, torch, pandas, sklearn.preprocessing
from grader.sandbox.confined import warmup
state = lambda: [torch.is_grad_enabled(), str(torch.get_default_dtype()),
                 torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()]
torch.set_num_threads(1)
was = state()
for library in (warmup._torch, warmup._pandas, warmup._sklearn):
    library()  # each raises if its library's API moved (warm() would hide it)
warmup.warm()
print(json.dumps({"before": was, "after": state()}))
"""


def test_the_warm_up_runs_every_library_and_leaves_the_global_state_as_it_was() -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["after"] == seen["before"] == [True, "torch.float32", 1, False]


def test_a_library_that_fails_its_warm_up_is_skipped_silently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from grader.sandbox.confined import warmup

    calls: list[str] = []

    def broken() -> None:
        calls.append("ran")
        raise RuntimeError("a library changed its API")

    monkeypatch.setattr(warmup, "_pandas", broken)
    monkeypatch.setitem(sys.modules, "pandas", sys.modules.get("pandas", object()))
    monkeypatch.setattr(warmup, "_torch", lambda: None)
    monkeypatch.setattr(warmup, "_sklearn", lambda: None)
    warmup.warm()  # does not raise
    assert calls == ["ran"]


_DEFERRED = """
import json, sys
from grader.sandbox.confined import host
host.preload(sys.argv[1:])
loaded = "scipy.stats._stats_py" in sys.modules
import scipy.stats  # a student's import: runs the module now
print(json.dumps({"loaded_by_preload": loaded, "cdf": float(scipy.stats.norm.cdf(0.0))}))
"""


def _preload(*packages: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", _DEFERRED, *packages], capture_output=True,
                          text=True, timeout=120, check=True)  # fmt: skip
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_scipy_stats_waits_for_its_first_use_unless_the_assignment_names_it() -> None:
    """scikit-learn imports scipy.stats for a helper scalers never call: ~0.25 s, ~20 MB."""
    assert _preload("sklearn.preprocessing") == {"loaded_by_preload": False, "cdf": 0.5}
    assert _preload("sklearn.preprocessing", "scipy.stats") == {
        "loaded_by_preload": True,
        "cdf": 0.5,
    }


_STAND_INS = """
import builtins, json, torch
from grader.sandbox.confined import host, standins
before = builtins.input is standins._input
host.preload()
wrapped = (builtins.input, torch.Tensor.to, torch.zeros, list(standins.sys.meta_path))
standins.install()  # what each worker then calls: nothing left to do
again = (builtins.input, torch.Tensor.to, torch.zeros, list(standins.sys.meta_path))
print(json.dumps({"before": before, "after": builtins.input is standins._input,
                  "cuda_wrapped": torch.Tensor.to.__wrapped__ is not None,
                  "second_install_changed": wrapped != again}))
"""


def test_the_template_installs_the_stand_ins_its_workers_inherit_and_install_runs_once() -> None:
    """Installed in every fresh worker they cost ~2 ms and ~470 copied pages a submission."""
    done = subprocess.run([sys.executable, "-c", _STAND_INS], capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"before": False, "after": True, "cuda_wrapped": True,
                    "second_install_changed": False}  # fmt: skip
