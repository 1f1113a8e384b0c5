"""A correct ex03 written differently from the reference."""

import torch


def linear_forward(x, weight, bias):
    out = torch.einsum("ni,oi->no", x, weight)
    return out if bias is None else out + bias


def softmax_manual(z):
    return torch.exp(z - torch.logsumexp(z, dim=-1, keepdim=True))


def forward_manual(net, x):
    out = x
    for i in range(len(net)):
        layer = net[i]
        out = linear_forward(out, layer.weight, layer.bias)
    return softmax_manual(out)
