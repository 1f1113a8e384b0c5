"""Row 45: every function returns the wrong kind of value."""

import torch
from torch import nn


def relu_grad(x):
    return None


def leaky_relu_and_grad(x, negative_slope=0.01):
    return (v for v in (x, negative_slope))


def elu_manual(x, alpha=1.0):
    return torch.nn.functional.elu(x, alpha).numpy()


def sigmoid_grad(x):
    return nn.Sigmoid()
