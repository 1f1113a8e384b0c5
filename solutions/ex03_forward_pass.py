"""The forward pass by hand: what `nn.Linear` and softmax actually compute.

A linear layer holds a weight matrix `W` and a bias vector `b`. For a batch
`x` with one sample per row it computes

    output = x @ W.T + b

PyTorch stores `W` with shape `(out_features, in_features)`: row `j` holds
the weights that feed output `j`. That is why the formula uses `W.T`: a
batch of shape `(n, in)` times `(in, out)` gives `(n, out)`, and the bias is
added to every row by broadcasting.

Softmax turns each row of scores `z` into probabilities
`exp(z_i) / sum_j exp(z_j)`. In floating point, `exp(1000)` is infinity and
infinity divided by infinity is nan. Subtracting the row's maximum from every
entry first leaves the result unchanged (the factor `exp(-max)` cancels
between top and bottom) and keeps every exponent at or below zero, so the
computation stays finite.

A forward pass through a stack of linear layers is these steps in a loop:
feed each layer's output to the next, then apply softmax to the last one.
Doing it by hand with the layers' own `weight` and `bias` must give exactly
what calling the network gives.
"""

from __future__ import annotations

import torch
from torch import nn

# The seed the lesson sets before building its networks.
LESSON_SEED = 11052023

# The lesson's batch: four samples with five features each.
LESSON_INPUT = torch.tensor(
    [
        [0.6671, -0.3141, -0.0198, -2.0527, 2.3653],
        [-1.5851, 1.2145, 1.5249, -1.8467, -0.2134],
        [-0.0199, 0.4552, -0.5361, 1.0721, 0.3809],
        [-0.5059, 0.2553, 0.4650, 1.1753, -0.4130],
    ]
)


def linear_forward(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
) -> torch.Tensor:
    """What `nn.Linear` computes: `x @ weight.T + bias`, with `weight` shaped `(out, in)`.

    A layer built with `bias=False` has `bias=None`; then there is nothing to add.
    """
    ### BEGIN SOLUTION (TODO: multiply by the transposed weight, then add the bias if any)
    out = x @ weight.T
    if bias is not None:
        out = out + bias
    return out
    ### END SOLUTION


def softmax_manual(z: torch.Tensor) -> torch.Tensor:
    """Softmax over the last dimension, finite even for scores as large as 1000."""
    ### BEGIN SOLUTION (TODO: subtract each row's max, exponentiate, divide by the row sum)
    shifted = z - z.max(dim=-1, keepdim=True).values
    exps = shifted.exp()
    return exps / exps.sum(dim=-1, keepdim=True)
    ### END SOLUTION


def forward_manual(net: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """The softmax probabilities of `net`'s output on `x`, computed from its layers' weights.

    `net` is an `nn.Sequential` of `nn.Linear` layers, any number of them,
    with or without bias (`bias=False` leaves a layer's `bias` as None).
    Use `linear_forward` on each layer's `weight` and `bias` in turn, then
    `softmax_manual`; do not call `net` or its layers.
    """
    ### BEGIN SOLUTION (TODO: loop over the layers with linear_forward, then softmax_manual)
    out = x
    for layer in net:
        weight = getattr(layer, "weight", None)
        if weight is None:
            kind = type(layer).__name__
            raise TypeError(f"forward_manual handles linear layers only, not {kind}")
        out = linear_forward(out, weight, layer.bias)
    return softmax_manual(out)
    ### END SOLUTION


if __name__ == "__main__":
    # %% One layer by hand equals nn.Linear
    torch.manual_seed(LESSON_SEED)
    layer = nn.Linear(5, 4)
    print(linear_forward(LESSON_INPUT, layer.weight, layer.bias))
    print(layer(LESSON_INPUT))
    # %% Softmax stays finite for large scores
    print(softmax_manual(torch.tensor([[1000.0, 0.0], [1.0, 2.0]])))
    # %% The lesson's network by hand (first row: 0.4355, 0.2295, 0.3350)
    torch.manual_seed(LESSON_SEED)
    net = nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 3))
    print(forward_manual(net, LESSON_INPUT))
    print(torch.softmax(net(LESSON_INPUT), dim=-1))
