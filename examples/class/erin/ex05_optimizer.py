"""One optimization step, and what it does to a prediction.

An optimizer owns the model's parameters and knows how to update them from
their gradients. Every training step has the same five moves, in this order:

1. `optimizer.zero_grad()`: clear the gradients. `backward()` adds into
   `.grad` rather than overwriting it, so skipping this step would mix the
   gradients of every earlier batch into this one.
2. forward: `prediction = model(x)`;
3. loss: `loss = criterion(prediction, target)`;
4. `loss.backward()`: fill each parameter's `.grad`;
5. `optimizer.step()`: move each parameter using its gradient.

The loss you report for the step is the one computed in move 3, before the
parameters changed.

`torch.optim.SGD` with learning rate `lr` moves each weight by
`-lr * gradient`; with momentum it also keeps a running direction built from
past steps. The lesson shows how big a single step can be: a two-output
sigmoid network first predicts `[[0., 1.]]` for a sample whose target is
`[[1., 0.]]`, and after one step with `lr=1` its prediction has flipped to
`[[1., 0.]]`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    target: torch.Tensor,
) -> float:
    """Zero the gradients, forward, loss, backward, step; return the loss as a Python float.

    The returned loss is the one measured before the step updated the model.
    """
    ### BEGIN SOLUTION (TODO: zero_grad, forward, loss, backward, step, then return loss.item())
    optimizer.zero_grad()
    loss = criterion(model(x), target)
    loss.backward()
    optimizer.step()
    return loss.item()
    ### END SOLUTION


def flip_prediction(seed: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """The lesson's demo: one SGD step flips a thresholded prediction.

    With `torch.manual_seed(seed)`: input `torch.randn(1, 9)`, target
    `[[1., 0.]]`, model `nn.Sequential(nn.Linear(9, 2), nn.Sigmoid())`,
    `nn.BCELoss()` and `SGD(lr=1, momentum=1)`. Returns the prediction
    before and after one training step, each thresholded at 0.5 into 0./1.
    (seed 2 gives `[[0., 1.]]` then `[[1., 0.]]`).
    """
    ### BEGIN SOLUTION (TODO: build the lesson's pieces in this order, predict, step, predict)
    torch.manual_seed(seed)
    x = torch.randn(1, 9)
    target = torch.tensor([[1.0, 0.0]])
    model = nn.Sequential(nn.Linear(9, 2), nn.Sigmoid())
    criterion = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1, momentum=1)
    with torch.no_grad():
        first = (model(x) > 0.5).float()
    optimizer.zero_grad()
    criterion(model(x), target).backward()
    optimizer.step()
    with torch.no_grad():
        final = (model(x) > 0.5).float()
    return first, final
    ### END SOLUTION


if __name__ == "__main__":
    # %% One training step on a tiny regression problem
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x, target = torch.randn(8, 3), torch.randn(8, 1)
    for _ in range(3):
        print(train_step(model, optimizer, nn.MSELoss(), x, target))
    # %% The lesson's flip: [[0., 1.]] then [[1., 0.]]
    print(flip_prediction(seed=2))
