"""Mistake: linear_forward calls F.linear and softmax_manual calls Tensor.softmax."""

import torch
from torch.nn.functional import linear


def linear_forward(x, weight, bias):
    return linear(x, weight, bias)


def softmax_manual(z):
    return z.softmax(dim=-1)


def forward_manual(net, x):
    out = x
    for i in range(len(net)):
        layer = net[i]
        out = linear_forward(out, layer.weight, layer.bias)
    return softmax_manual(out)
