"""Row 2: relu_grad spins forever and leaky_relu_and_grad exits, so the worker is restarted until the cap."""

import os
import torch
from torch import nn


def relu_grad(x):
    while True:
        pass


def leaky_relu_and_grad(x, negative_slope=0.01):
    os._exit(0)


def elu_manual(x, alpha=1.0):
    negative_part = alpha * torch.expm1(x.clamp(max=0))
    return torch.where(x > 0, x, negative_part)


def sigmoid_grad(x):
    s = 1 / (1 + torch.exp(-x))
    return s * (1 - s)
