# Generated from solutions/ex08_activations.py by `python -m grader.authoring`.
# Students: replace each `raise NotImplementedError` with your own code.
# Course staff: edit the solution and regenerate; changes made here are overwritten.
"""Activation functions and their gradients.

Without activations, a stack of linear layers collapses into a single linear
map. A non-linear activation between layers is what lets depth help.
Each one also shapes the gradients that flow back through it:

- **Sigmoid** `s(x) = 1 / (1 + exp(-x))` has derivative `s(x) * (1 - s(x))`,
  at most 0.25 (at `x = 0`) and close to zero once `|x|` is more than a few
  units. Backpropagation multiplies one such factor per layer, so through
  ten sigmoid layers the gradient is at most `0.25**10`, about one
  millionth: the early layers barely learn. These are *vanishing gradients*.
- **ReLU** `max(0, x)` passes positive inputs unchanged, with gradient 1,
  so it does not shrink the signal; negative inputs give 0 and gradient 0
  (PyTorch also uses 0 at exactly `x = 0`). A unit stuck on the negative
  side for every input stops learning.
- **Leaky ReLU** keeps a small slope for negative inputs, `negative_slope * x`
  (0.01 by default), so the gradient there is small but never zero.
- **ELU** is `x` for `x > 0` and `alpha * (exp(x) - 1)` otherwise: smooth,
  and its outputs can be negative (down to `-alpha`), which keeps average
  activations nearer zero.

Autograd gives the gradient of an activation at a point: make a tensor with
`requires_grad=True`, apply the activation, call `backward()`, read `.grad`.

The lesson's numbers: the ReLU gradient at 1.5 is 1.0; Leaky ReLU at -2.0
gives -0.02 with gradient 0.01; and after `torch.manual_seed(0)`, ELU of
`torch.randn(4)` is `[1.5410, -0.2543, -0.8868, 0.5684]`.
"""

from __future__ import annotations

import torch
from torch import nn  # noqa: F401


def relu_grad(x: float) -> float:
    """The gradient of `nn.ReLU` at the point `x`, found with autograd (1.0 at 1.5).

    Float64 is used so the Python float returned is exact.
    """
    # TODO: tensor with requires_grad, apply nn.ReLU, backward, read .grad
    raise NotImplementedError


def leaky_relu_and_grad(x: float, negative_slope: float = 0.01) -> tuple[float, float]:
    """`(output, gradient)` of `nn.LeakyReLU(negative_slope)` at `x` (-2.0 gives -0.02, 0.01)."""
    # TODO: as for relu_grad, but return the output as well as the gradient
    raise NotImplementedError


def elu_manual(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """ELU by hand: `x` where `x > 0`, else `alpha * (exp(x) - 1)`; equal to `F.elu(x, alpha)`.

    Clamping `x` at 0 inside the exponential keeps large positive inputs
    from overflowing in the branch that is thrown away (an `inf` there
    would turn the gradient into nan). The checks grade the values, also at
    inputs of 1000, not the gradient.
    """
    # TODO: torch.where on x > 0, with alpha * (exp(x) - 1) for the rest
    raise NotImplementedError


def sigmoid_grad(x: torch.Tensor) -> torch.Tensor:
    """The sigmoid's derivative `s(x) * (1 - s(x))` elementwise, from the formula (no autograd).

    Graded for inputs up to 30 in size, where any way of writing the formula
    stays finite in float32; `1 / (1 + exp(-x))` also stays finite beyond.
    """
    # TODO: compute s = 1 / (1 + exp(-x)), then s * (1 - s)
    raise NotImplementedError


if __name__ == "__main__":
    # %% ReLU and Leaky ReLU at the lesson's points (1.0; -0.02 and 0.01)
    print(relu_grad(1.5), relu_grad(-1.5))
    print(leaky_relu_and_grad(-2.0))
    # %% ELU of the lesson's random tensor ([1.5410, -0.2543, -0.8868, 0.5684])
    torch.manual_seed(0)
    print(elu_manual(torch.randn(4)))
    # %% Vanishing gradients: the sigmoid's slope is at most 0.25
    print(sigmoid_grad(torch.tensor([-10.0, -2.0, 0.0, 2.0, 10.0])))
    print("ten sigmoid layers multiply a gradient by at most", 0.25**10)
