"""Row 8: relu_grad opens 100,000 files, leaky_relu_and_grad 100,000 sockets."""

import os
import socket
import torch
from torch import nn


def relu_grad(x):
    handles = [open(os.devnull) for _ in range(100_000)]
    return float(len(handles))


def leaky_relu_and_grad(x, negative_slope=0.01):
    sockets = [socket.socket(socket.AF_UNIX) for _ in range(100_000)]
    return float(len(sockets)), 0.0


def elu_manual(x, alpha=1.0):
    negative_part = alpha * torch.expm1(x.clamp(max=0))
    return torch.where(x > 0, x, negative_part)


def sigmoid_grad(x):
    s = 1 / (1 + torch.exp(-x))
    return s * (1 - s)
