"""Mistake: linear_forward multiplies by weight instead of weight.T."""

import torch


def linear_forward(x, weight, bias):
    return x @ weight + bias  # weight is (out, in): this needs weight.T


def softmax_manual(z):
    return torch.exp(z - torch.logsumexp(z, dim=-1, keepdim=True))


def forward_manual(net, x):
    out = x
    for i in range(len(net)):
        layer = net[i]
        out = linear_forward(out, layer.weight, layer.bias)
    return softmax_manual(out)
