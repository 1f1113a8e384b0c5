"""Gradients and the update rule.

Training moves every parameter a small step against its gradient (the
gradient points the way the loss grows fastest):

    new_weight = weight - learning_rate * gradient

For the last layer of a classifier the gradient can be written out by hand.
Take a batch of `n` hidden vectors `h` (shape `(n, p)`), a last layer
`logits = h @ W.T + b` with `W` of shape `(k, p)`, and the mean
cross-entropy loss. Softmax and cross-entropy together have a remarkably
simple derivative: with `P` the softmax probabilities and `Y` the one-hot
targets,

    dlogits = (P - Y) / n          # (n, k); the 1/n comes from the mean
    dW      = dlogits.T @ h        # (k, p), the shape of W
    db      = dlogits.sum(dim=0)   # (k,),   the shape of b

Each row of `P - Y` says how far each class's probability is from where it
should be; those errors, weighted by the inputs that produced them, are the
gradient.

Autograd computes the same numbers for any network: `loss.backward()` walks
the graph back from the loss and *adds* each parameter's gradient into its
`.grad`. Adding, not overwriting, is what makes accumulating gradients over
several batches possible, but it also means old gradients stay until they are
cleared. That is why a training step starts with `zero_grad()`.
"""

from __future__ import annotations

from collections.abc import Callable

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

# The true class of each lesson sample (class indices).
LESSON_MULTICLASS_TARGET = torch.tensor([2, 1, 0, 1])


def output_layer_grads(
    hidden: torch.Tensor, logits: torch.Tensor, target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """`(dW, db)` for a last layer `logits = hidden @ W.T + b` under mean cross-entropy.

    `target` holds class indices (one-hot rows shaped like `logits` are an
    extra the checks do not grade). Logits of 1000 must give finite
    gradients: shift each row by its max before `exp`.
    The shapes match the layer: `dW` is `(k, p)` like `W`, `db` is `(k,)` like
    `b`. Computed from the formula above, without autograd.
    """
    ### BEGIN SOLUTION (TODO: dlogits = (softmax - one_hot) / n; dW = dlogits.T @ hidden; db = sum)
    hidden = hidden.detach()
    logits = logits.detach()
    n = logits.shape[0]
    shifted = logits - logits.max(dim=-1, keepdim=True).values
    probs = shifted.exp() / shifted.exp().sum(dim=-1, keepdim=True)
    if target.is_floating_point() and target.shape == logits.shape:
        target_rows = target.detach().to(logits.dtype)
    else:
        target_rows = torch.zeros_like(logits)
        target_rows[torch.arange(n), target.long()] = 1.0
    dlogits = (probs - target_rows) / n
    return dlogits.T @ hidden, dlogits.sum(dim=0)
    ### END SOLUTION


def sgd_update(weight: torch.Tensor, grad: torch.Tensor, lr: float) -> torch.Tensor:
    """One plain gradient-descent step, `weight - lr * grad`, as a new tensor.

    The inputs are left alone; the update itself is not something to
    differentiate, so the result does not track gradients.
    """
    ### BEGIN SOLUTION (TODO: return weight minus lr times grad, without changing weight)
    with torch.no_grad():
        return weight - lr * grad
    ### END SOLUTION


def gradients_of(
    model: nn.Module,
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    target: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """`{parameter name: gradient}` after one forward and backward pass of `criterion`.

    Names are those of `model.named_parameters()`, such as `"0.weight"`.
    Gradients from any earlier backward pass are cleared first, so two calls
    give the same answer instead of the second returning double. Whatever
    `.grad` held before the call is put back afterwards, leaving the caller's
    model as it was.
    """
    ### BEGIN SOLUTION (TODO: save and clear each .grad; forward, loss, backward; copy; put back)
    params = dict(model.named_parameters())
    saved = {name: p.grad for name, p in params.items()}
    try:
        for p in params.values():
            p.grad = None
        loss = criterion(model(x), target)
        loss.backward()
        return {
            name: p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p)
            for name, p in params.items()
            if p.requires_grad
        }
    finally:
        for name, p in params.items():
            p.grad = saved[name]
    ### END SOLUTION


if __name__ == "__main__":
    # %% The last layer's gradients by hand and by autograd
    torch.manual_seed(LESSON_SEED)
    net = nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 3))
    hidden = net[0](LESSON_INPUT)
    logits = net[1](hidden)
    dW, db = output_layer_grads(hidden, logits, LESSON_MULTICLASS_TARGET)
    grads = gradients_of(net, nn.CrossEntropyLoss(), LESSON_INPUT, LESSON_MULTICLASS_TARGET)
    print(dW, grads["1.weight"], sep="\n")
    print(db, grads["1.bias"], sep="\n")
    # %% Two calls agree: nothing accumulates between them
    again = gradients_of(net, nn.CrossEntropyLoss(), LESSON_INPUT, LESSON_MULTICLASS_TARGET)
    print(torch.equal(grads["0.weight"], again["0.weight"]))
    # %% One step of gradient descent on the last layer
    print(sgd_update(net[1].weight, dW, lr=0.1))
