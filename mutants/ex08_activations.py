"""Realistic mistakes for ex08 (format: grader/mutation/content.py)."""

import torch
from torch import nn


def leaky_relu_and_grad__slope_on_positive_only(x, negative_slope=0.01):
    """The slope used only where it changes nothing: the default slope on negatives."""
    point = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    output = nn.LeakyReLU(0.01 if x < 0 else negative_slope)(point)
    output.backward()
    return output.item(), point.grad.item()


def elu_manual__alpha_ignored(x, alpha=1.0):
    """alpha never used."""
    return torch.where(x > 0, x, torch.expm1(x.clamp(max=0)))


def elu_manual__unclamped_exp(x, alpha=1.0):
    """exp of large positive x overflows in the discarded branch: nan gradients."""
    return torch.where(x > 0, x, alpha * (torch.exp(x) - 1))


def sigmoid_grad__overflow(x):
    """exp(-x) overflows for x of -1000: inf/inf."""
    e = torch.exp(-x)
    return e / (1 + e) ** 2


def elu_manual__masks_multiplied(x, alpha=1.0):
    """Masks multiplied in instead of torch.where: inf * 0 is nan for x of 1000."""
    return x * (x > 0) + alpha * (torch.exp(x) - 1) * (x <= 0)
