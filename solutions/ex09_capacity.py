"""Model capacity: counting what a network can learn.

A network's *capacity* is roughly how complex a function it can fit, and its
simplest measure is the number of scalar parameters it holds. `nn.Linear(n_in,
n_out)` has an `(n_out, n_in)` weight matrix and `n_out` biases:
`n_in * n_out + n_out` parameters. For `Linear(16, 4)`, `Linear(4, 2)`,
`Linear(2, 1)` that is `68 + 10 + 3 = 81`.

Every parameter tensor reports its element count with `numel()`, so a
model's total is one sum over `model.parameters()`.

More parameters let a network fit more complicated patterns, but they cost
memory and compute and make it easier to memorise the training data
(overfitting). Capacity grows with the width of the layers and with their
number. Depth only adds expressive power if there is an activation between
the layers: without one, four linear layers compute what a single linear
layer could.
"""

from __future__ import annotations

from torch import nn


def calculate_capacity(model: nn.Module) -> int:
    """The number of scalar parameters in `model` (81 for the lesson's three layers).

    Every parameter counts: a layer built with `bias=False` has only its
    weight, and frozen parameters (`requires_grad=False`) count all the same.
    """
    ### BEGIN SOLUTION (TODO: add up numel() over model.parameters())
    return sum(p.numel() for p in model.parameters())
    ### END SOLUTION


def build_four_layer_net(n_features: int, n_classes: int) -> nn.Sequential:
    """Exactly four `nn.Linear` layers mapping `n_features` inputs to `n_classes` outputs.

    The hidden layers must be wide enough that the network has more than 120
    parameters even when `n_features` and `n_classes` are 1; activations
    between the layers are allowed.
    """
    ### BEGIN SOLUTION (TODO: four nn.Linear layers, hidden widths such as 16, 8 and 8)
    return nn.Sequential(
        nn.Linear(n_features, 16),
        nn.ReLU(),
        nn.Linear(16, 8),
        nn.ReLU(),
        nn.Linear(8, 8),
        nn.ReLU(),
        nn.Linear(8, n_classes),
    )
    ### END SOLUTION


if __name__ == "__main__":
    # %% The lesson's three layers hold 81 parameters
    print(calculate_capacity(nn.Sequential(nn.Linear(16, 4), nn.Linear(4, 2), nn.Linear(2, 1))))
    # %% A deeper network with more than 120 parameters
    net = build_four_layer_net(8, 2)
    print(net)
    print(calculate_capacity(net))
