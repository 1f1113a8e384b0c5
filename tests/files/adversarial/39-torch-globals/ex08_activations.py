"""Row 39: changes torch's global state at import and after every call."""

import torch
from torch import nn


def spoil():
    torch.set_default_dtype(torch.float64)
    torch.set_grad_enabled(False)
    torch.manual_seed(123)
    torch.use_deterministic_algorithms(True)
    torch.set_flush_denormal(True)
    torch.set_num_threads(3)


spoil()


def relu_grad(x):
    point = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    nn.ReLU()(point).backward()  # needs grad mode on
    spoil()
    return point.grad.item()


def leaky_relu_and_grad(x, negative_slope=0.01):
    point = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    output = nn.LeakyReLU(negative_slope)(point)
    output.backward()
    return output.item(), point.grad.item()


def elu_manual(x, alpha=1.0):
    negative_part = torch.tensor(alpha) * torch.expm1(x.clamp(max=0))  # default dtype
    spoil()
    return torch.where(x > 0, x, negative_part)


def sigmoid_grad(x):
    s = 1 / (1 + torch.exp(-x))
    noise = torch.rand(()) * 0  # uses the global generator
    spoil()
    return s * (1 - s) + noise.to(x.dtype)
