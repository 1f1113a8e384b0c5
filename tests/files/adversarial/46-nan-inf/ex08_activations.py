"""Row 46: answers NaN and Inf, which a 'not greater than tol' test would pass."""

import torch
from torch import nn


def relu_grad(x):
    return float('nan')


def leaky_relu_and_grad(x, negative_slope=0.01):
    point = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    output = nn.LeakyReLU(negative_slope)(point)
    output.backward()
    return output.item(), point.grad.item()


def elu_manual(x, alpha=1.0):
    return torch.full_like(x, float('nan'))


def sigmoid_grad(x):
    return torch.full_like(x, float('inf'))
