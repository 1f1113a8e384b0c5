"""grader.torch_eager: the judge and host skip torch._dynamo, with identical results.

Each case runs in a fresh interpreter: this test process may already have
imported torch._dynamo, and the shim changes torch for the rest of a process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# Trains a small model with the optimizers the lesson uses, prints the final
# weights, whether dynamo got imported and grad mode inside and after step().
_TRAIN = textwrap.dedent(
    """
    import json, sys
    import torch
    import importlib
    import torch.optim
    if sys.argv[1] == "shim":
        from grader.torch_eager import skip_dynamo_import
        assert skip_dynamo_import() > 0
    seen = []
    use_grad = importlib.import_module("torch.optim.optimizer")._use_grad_for_differentiable
    class Watch(torch.optim.SGD):  # a subclass defined after the shim
        @use_grad
        def step(self, closure=None):
            seen.append(torch.is_grad_enabled())
            return super().step(closure)
    out = {}
    for name, make in [
        ("sgd", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
        ("adam", lambda p: torch.optim.Adam(p, lr=0.01)),
        ("rmsprop", lambda p: torch.optim.RMSprop(p, lr=0.01)),
        ("watch", lambda p: Watch(p, lr=0.1)),
    ]:
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
        opt = make(model.parameters())
        x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
        for _ in range(5):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        opt.load_state_dict(opt.state_dict())
        out[name] = [p.detach().flatten().tolist() for p in model.parameters()]
    print(json.dumps({
        "weights": out,
        "dynamo": "torch._dynamo" in sys.modules,
        "grad_in_step": seen,
        "grad_after": torch.is_grad_enabled(),
    }))
    """
)


def _run(mode: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _TRAIN, mode], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_shim_keeps_dynamo_out_and_training_bit_identical() -> None:
    plain = _run("plain")
    shim = _run("shim")
    assert plain["dynamo"] is True, "torch no longer imports dynamo on step(): drop the shim"
    assert shim["dynamo"] is False
    assert shim["weights"] == plain["weights"]  # exact floats, not approximately
    assert shim["grad_in_step"] == plain["grad_in_step"] == [False] * 5
    assert shim["grad_after"] is plain["grad_after"] is True


def test_worker_reset_does_not_import_dynamo() -> None:
    code = (
        "import sys, torch\n"
        "from grader.sandbox.confined import worker\n"
        "torch._C._set_deterministic_algorithms(True, warn_only=True)\n"
        "worker.reset_globals(0)\n"
        "assert not torch.are_deterministic_algorithms_enabled()\n"
        "assert not torch.is_deterministic_algorithms_warn_only_enabled()\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
