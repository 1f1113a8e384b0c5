"""Row 29: tries to create files in the grader's tree and to open its code for writing."""

import os
import grader
import torch
from torch import nn


REPO = os.path.dirname(os.path.dirname(os.path.abspath(grader.__file__)))
TARGETS = ["conftest.py", "grader/zz_adversarial_29.py", "tests/conftest.py", "grader/plugin.py"]


def relu_grad(x):
    blocked, wrote = [], []
    for rel in TARGETS:
        path = os.path.join(REPO, rel)
        try:
            if rel.endswith("plugin.py"):
                handle = open(path, "r+")  # opened for writing, never written
            else:
                handle = open(path, "x")
                handle.write("# planted by adversarial fixture 29\n")
            handle.close()
            wrote.append(rel)
        except OSError as exc:
            blocked.append(f"{rel}: {exc.strerror}")
    if wrote:
        raise RuntimeError(f"wrote {wrote}")
    raise RuntimeError(f"blocked {len(blocked)} of {len(TARGETS)}: " + "; ".join(blocked))


def leaky_relu_and_grad(x, negative_slope=0.01):
    point = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    output = nn.LeakyReLU(negative_slope)(point)
    output.backward()
    return output.item(), point.grad.item()


def elu_manual(x, alpha=1.0):
    negative_part = alpha * torch.expm1(x.clamp(max=0))
    return torch.where(x > 0, x, negative_part)


def sigmoid_grad(x):
    s = 1 / (1 + torch.exp(-x))
    return s * (1 - s)
