"""The "by hand" rule against hostile submissions, graded through the real sandbox.

Each submission is the reference ``ex03_forward_pass`` with ``softmax_manual``
rewritten to reach ``softmax`` in a way the source scan cannot read: a computed
name, ``importlib``, ``vars(nn)``, a reference stashed in ``builtins`` (by the
module itself, or by another exercise's import in the worker they share), an
alias, the dispatcher's Python key switched off around a private C entry
point; or to switch the grader's record off (a guard kept alive that disables
the dispatcher, the mode stacks popped, both torch modes blinded by nested
guards inside the call). Each must lose the by-hand point, told what ran or
that the record was tampered with; the honest reference keeps every point.
One host (the highest level this machine reaches) serves the module; each
grading runs only the exercises it names.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.model import CheckResult
from grader.runner import run_checks
from grader.sandbox.trusted.client import Limits, SandboxHost

ROOT = Path(__file__).resolve().parents[2]
EX = "ex03_forward_pass"
BY_HAND = f"{EX}.softmax_manual.by_hand"
REFERENCE = (ROOT / "solutions" / f"{EX}.py").read_text()
HONEST_BODY = (
    "    shifted = z - z.max(dim=-1, keepdim=True).values\n"
    "    exps = shifted.exp()\n"
    "    return exps / exps.sum(dim=-1, keepdim=True)\n"
)
assert HONEST_BODY in REFERENCE, "the reference softmax_manual changed: update HONEST_BODY"

RAN = "ran while it was called"
TAMPERED = "switched off or covered"

# name -> (lines put before softmax_manual, its new body, words the by-hand failure must say)
HOSTILE: dict[str, tuple[str, str, str]] = {
    "computed-name": (
        "import torch.nn.functional as F\n",
        "    return getattr(F, 'soft' + 'max')(z, dim=-1)\n",
        RAN,
    ),
    "importlib": (
        "import importlib\n",
        "    functional = importlib.import_module('torch.nn.' + 'functional')\n"
        "    return getattr(functional, 'soft' + 'max')(z, dim=-1)\n",
        RAN,
    ),
    "vars-nn": (
        "",
        "    return vars(nn)['Soft' + 'max'](dim=-1)(z)\n",
        RAN,
    ),
    "builtins-stash": (  # put there under a computed key, so the scan cannot bind it
        "import builtins\nimport torch.nn.functional as F\n"
        "vars(builtins)['_normal' + 'ise'] = getattr(F, 'soft' + 'max')\n",
        "    return _normalise(z, dim=-1)  # noqa: F821\n",
        RAN,
    ),
    "builtins-stash-from-another-exercise": (  # ex01's import put it there
        "",
        "    return _normalise(z, dim=-1)  # noqa: F821\n",
        RAN,
    ),
    "alias": (
        "from torch import softmax as _normalise\n",
        "    return _normalise(z, dim=-1)\n",
        "calls torch.softmax",  # the source scan reads this one and words it
    ),
    "kept-guard": (
        "import torch.nn.functional as F\n_KEPT = []\n",
        "    guard = torch._C._DisableTorchDispatch()\n"
        "    guard.__enter__()\n"
        "    _KEPT.append(guard)  # never exited: the dispatcher stays blind\n"
        "    return getattr(F, 'soft' + 'max')(z, dim=-1)\n",
        TAMPERED,
    ),
    "nested-guards": (  # both torch modes blind inside; the profile hook still sees it
        "import torch.nn.functional as F\n",
        "    with torch._C.DisableTorchFunction(), torch._C._DisableTorchDispatch():\n"
        "        return getattr(F, 'soft' + 'max')(z, dim=-1)\n",
        TAMPERED,
    ),
    "dispatch-guard": (
        "",
        "    with torch._C._DisableTorchDispatch():\n"
        "        return getattr(torch._C._VariableFunctions, '_soft' + 'max')(z, -1, False)\n",
        RAN,
    ),
    "stacks-popped": (
        "import torch.nn.functional as F\n"
        "from torch.overrides import _pop_mode as _pop_function_mode\n"
        "from torch.utils._python_dispatch import _pop_mode\n",
        "    _pop_mode()\n"
        "    _pop_function_mode()\n"
        "    return getattr(F, 'soft' + 'max')(z, dim=-1)\n",
        TAMPERED,
    ),
}

# Another exercise of the same submission hides the shortcut under a plain name.
STASHING_EX01 = (
    "import builtins\n"
    "import torch.nn.functional\n"
    "builtins._normalise = getattr(torch.nn.functional, 'soft' + 'max')\n"
)


def _submission(preamble: str, body: str) -> str:
    head, tail = REFERENCE.split("def softmax_manual(", 1)
    signature, rest = tail.split(HONEST_BODY, 1)
    return f"{head}{preamble}\n\ndef softmax_manual({signature}{body}{rest}"


@pytest.fixture(scope="module")
def host() -> Iterator[SandboxHost]:
    # exercises share a worker here, so another exercise's stash is there to be used
    limits = Limits(import_timeout=10.0, call_timeout=10.0, restarts=1, exercises_per_worker=64)
    with SandboxHost(limits) as started:
        yield started


def _grade(host: SandboxHost, sources: dict[str, str]) -> dict[str, CheckResult]:
    results = run_checks(sources, backend="sandbox", host=host, exercises=list(sources))
    return {result.id: result for result in results if result.exercise == EX}


def test_an_honest_softmax_keeps_every_point(host: SandboxHost) -> None:
    results = _grade(host, {EX: REFERENCE})
    failed = {key: r.message for key, r in results.items() if not r.passed}
    assert BY_HAND in results and not failed, failed


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hidden_shortcut_loses_the_by_hand_point(host: SandboxHost, name: str) -> None:
    preamble, body, words = HOSTILE[name]
    sources = {EX: _submission(preamble, body)}
    if name == "builtins-stash-from-another-exercise":
        sources = {"ex01_multiclass": STASHING_EX01, **sources}  # imported first
    results = _grade(host, sources)
    verdict = results[BY_HAND]
    assert not verdict.passed and verdict.points == 0, verdict
    assert words in verdict.message, verdict.message
    if words == TAMPERED:
        assert verdict.mistake == "trace_tampered"
    elif words == RAN:
        assert (verdict.mistake or "").startswith("shortcut_used:"), verdict.mistake
        # the shortcut gives right values: only the by-hand rule tells it apart
        assert results[f"{EX}.softmax_manual.large_logits"].passed
