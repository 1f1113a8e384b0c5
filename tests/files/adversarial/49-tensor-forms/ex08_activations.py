"""Row 49: unusual tensor forms."""

import torch
from torch import nn


def relu_grad(x):
    point = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    nn.ReLU()(point).backward()
    return point.grad.reshape(1)


def leaky_relu_and_grad(x, negative_slope=0.01):
    return torch.empty(1, device="meta"), torch.empty(1, device="meta")


def elu_manual(x, alpha=1.0):
    x = x.t().contiguous().t().requires_grad_(True)
    negative_part = alpha * torch.expm1(x.clamp(max=0))
    out = torch.where(x > 0, x, negative_part)
    assert not out.t().is_contiguous() or not out.is_contiguous() or out.requires_grad
    return out


def sigmoid_grad(x):
    s = 1 / (1 + torch.exp(-x))
    return (s * (1 - s)).to_sparse()
