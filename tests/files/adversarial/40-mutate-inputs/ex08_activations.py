"""Row 40: elu_manual and sigmoid_grad destroy their input after computing the answer."""

import torch
from torch import nn


def relu_grad(x):
    point = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    nn.ReLU()(point).backward()
    return point.grad.item()


def leaky_relu_and_grad(x, negative_slope=0.01):
    point = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    output = nn.LeakyReLU(negative_slope)(point)
    output.backward()
    return output.item(), point.grad.item()


def elu_manual(x, alpha=1.0):
    negative_part = alpha * torch.expm1(x.clamp(max=0))
    out = torch.where(x > 0, x, negative_part)
    x.zero_()
    return out


def sigmoid_grad(x):
    s = 1 / (1 + torch.exp(-x))
    out = s * (1 - s)
    x.mul_(1000)
    return out
