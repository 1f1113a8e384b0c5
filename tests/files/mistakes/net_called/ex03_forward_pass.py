"""Mistake: forward_manual calls the net instead of using linear_forward on its layers."""

import torch


def linear_forward(x, weight, bias):
    out = torch.einsum("ni,oi->no", x, weight)
    return out if bias is None else out + bias


def softmax_manual(z):
    return torch.exp(z - torch.logsumexp(z, dim=-1, keepdim=True))


def forward_manual(net, x):
    return softmax_manual(net(x))  # runs the net instead of its weights
