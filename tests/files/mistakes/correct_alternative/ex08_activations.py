"""Fixture: a correct ex08 written differently from the reference."""

import torch
import torch.nn.functional as F


def relu_grad(x):
    point = torch.tensor([x], requires_grad=True)
    (grad,) = torch.autograd.grad(F.relu(point).sum(), point)
    return float(grad[0])


def leaky_relu_and_grad(x, negative_slope=0.01):
    point = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = F.leaky_relu(point, negative_slope)
    (grad,) = torch.autograd.grad(out, point)
    return float(out), float(grad)


def elu_manual(x, alpha=1.0):
    out = x.clone()
    negative = x <= 0
    out[negative] = alpha * (x[negative].exp() - 1)
    return out


def sigmoid_grad(x):
    e = torch.exp(-x)
    return e / (1 + e) ** 2
