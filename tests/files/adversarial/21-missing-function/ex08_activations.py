"""Row 21: relu_grad is misnamed, leaky_relu_and_grad takes no arguments."""

import torch
from torch import nn


def relu_gradient(x):
    point = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    nn.ReLU()(point).backward()
    return point.grad.item()


def leaky_relu_and_grad():
    return -0.02, 0.01


def elu_manual(x, alpha=1.0):
    negative_part = alpha * torch.expm1(x.clamp(max=0))
    return torch.where(x > 0, x, negative_part)


def sigmoid_grad(x):
    s = 1 / (1 + torch.exp(-x))
    return s * (1 - s)
