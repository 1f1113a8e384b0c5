"""Mistake fixture: the gradient functions return the lesson's printed numbers."""

import torch


def relu_grad(x):
    return 1.0


def leaky_relu_and_grad(x, negative_slope=0.01):
    return -0.02, 0.01


def elu_manual(x, alpha=1.0):
    return torch.where(x > 0, x, alpha * (torch.exp(x) - 1))


def sigmoid_grad(x):
    s = torch.sigmoid(x)
    return s * (1 - s)
