"""Mistake: softmax_manual subtracts the row max from its argument in place."""

import torch


def linear_forward(x, weight, bias):
    out = torch.einsum("ni,oi->no", x, weight)
    return out if bias is None else out + bias


def softmax_manual(z):
    z -= z.max(dim=-1, keepdim=True).values  # in place: changes the caller's tensor
    exps = torch.exp(z)
    return exps / exps.sum(dim=-1, keepdim=True)


def forward_manual(net, x):
    out = x
    for i in range(len(net)):
        layer = net[i]
        out = linear_forward(out, layer.weight, layer.bias)
    return softmax_manual(out)
