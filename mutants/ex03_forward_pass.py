"""Realistic mistakes for ex03 (format: grader/mutation/content.py)."""

import torch


def linear_forward__no_transpose(x, weight, bias):
    """`x @ weight` without the transpose (works only for square weights)."""
    out = x @ weight
    return out if bias is None else out + bias


def linear_forward__bias_required(x, weight, bias):
    """Always adds the bias; a layer without one (bias=None) raises."""
    return x @ weight.T + bias


def softmax_manual__naive(z):
    """exp without subtracting the row max: inf/nan for scores of 100 in float32."""
    exps = z.exp()
    return exps / exps.sum(dim=-1, keepdim=True)


def softmax_manual__global_max(z):
    """The max of the whole tensor, not each row's: rows far below it underflow to 0/0."""
    exps = (z - z.max()).exp()
    return exps / exps.sum(dim=-1, keepdim=True)


def forward_manual__first_layer_only(net, x):
    """Only the first layer is applied."""
    layer = net[0]
    return softmax_manual(linear_forward(x, layer.weight, layer.bias))  # noqa: F821


def forward_manual__no_softmax(net, x):
    """The logits, without the final softmax."""
    out = x
    for layer in net:
        out = linear_forward(out, layer.weight, layer.bias)  # noqa: F821
    return out


def forward_manual__calls_torch_softmax(net, x):
    """The forbidden shortcut torch.softmax at the end."""
    out = x
    for layer in net:
        out = linear_forward(out, layer.weight, layer.bias)  # noqa: F821
    return torch.softmax(out, dim=-1)
