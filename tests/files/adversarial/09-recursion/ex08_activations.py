"""Row 9: relu_grad recurses forever; elu_manual makes json recurse 100,000 levels in C."""

import json
import sys
import torch
from torch import nn


def relu_grad(x):
    return relu_grad(x)


def leaky_relu_and_grad(x, negative_slope=0.01):
    point = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    output = nn.LeakyReLU(negative_slope)(point)
    output.backward()
    return output.item(), point.grad.item()


def elu_manual(x, alpha=1.0):
    nested = []
    for _ in range(100_000):
        nested = [nested]
    sys.setrecursionlimit(10**7)
    return json.dumps(nested)


def sigmoid_grad(x):
    s = 1 / (1 + torch.exp(-x))
    return s * (1 - s)
