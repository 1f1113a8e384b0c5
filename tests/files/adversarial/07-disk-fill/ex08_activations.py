"""Row 7: relu_grad writes a file past RLIMIT_FSIZE; leaky_relu_and_grad fills scratch a little."""

import os
import torch
from torch import nn


def relu_grad(x):
    with open("giant.bin", "wb") as handle:
        for _ in range(64):
            handle.write(b"\0" * (1 << 20))
    return 0.0


def leaky_relu_and_grad(x, negative_slope=0.01):
    for i in range(3):
        with open(f"fill-{os.getpid()}-{i}.bin", "wb") as handle:
            handle.write(b"\0" * ((1 << 20) - 1))
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
