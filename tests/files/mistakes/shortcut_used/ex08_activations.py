"""Mistake fixture: right values, but elu_manual calls F.elu and sigmoid_grad uses autograd."""

import torch
import torch.nn.functional as F
from torch import nn


def relu_grad(x):
    t = torch.tensor(x, requires_grad=True)
    nn.ReLU()(t).backward()
    return t.grad.item()


def leaky_relu_and_grad(x, negative_slope=0.01):
    t = torch.tensor(x, requires_grad=True)
    out = nn.LeakyReLU(negative_slope)(t)
    out.backward()
    return out.item(), t.grad.item()


def elu_manual(x, alpha=1.0):
    return F.elu(x, alpha=alpha)


def sigmoid_grad(x):
    x = x.detach().clone().requires_grad_(True)
    torch.sigmoid(x).sum().backward()
    return x.grad
