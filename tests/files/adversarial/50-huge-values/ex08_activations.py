"""Row 50: return values far past the codec's caps."""

import torch
from torch import nn


def relu_grad(x):
    nested = []
    for _ in range(100_000):
        nested = [nested]
    return nested


def leaky_relu_and_grad(x, negative_slope=0.01):
    point = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    output = nn.LeakyReLU(negative_slope)(point)
    output.backward()
    return output.item(), point.grad.item()


def elu_manual(x, alpha=1.0):
    return torch.zeros(1).expand(1_000_000_000)


def sigmoid_grad(x):
    return [None] * 1_000_001  # past the item cap, as a dict of 10**7 keys would be
