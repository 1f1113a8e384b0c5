"""Multiclass classification: from scores to probabilities to a loss.

A network that chooses between k classes ends in a linear layer with k
outputs, one score per class. These raw scores are the *logits*, also called
the pre-activation: any real numbers, not yet probabilities. Softmax turns a
row of logits into probabilities: exponentiate every score, then divide by
the row's total, so each entry is positive and the row sums to one. Softmax
keeps the order of the scores, so the predicted class (the position of the
largest entry, `argmax`) is the same on logits as on probabilities.

To train, we score the probabilities against the true class with the
cross-entropy loss: minus the log of the probability the network gave to the
right class, averaged over the samples. With the target written as a one-hot
row `y` (a 1 at the true class, 0 elsewhere) that is
`-sum(y * log_softmax(logits))` per sample.

`nn.CrossEntropyLoss` and `F.cross_entropy` take **logits** and apply the
log-softmax themselves, in a numerically safe way. Handing them
probabilities applies softmax twice: values between 0 and 1 go through a
second softmax that flattens them towards uniform, so the loss drifts
towards log(k) (1.0986 for three classes) whatever the network predicts, and
its gradients shrink. On the lesson's input the loss is 1.0591 on the logits
but 1.0857 after an extra softmax.

The lesson's numbers: after `torch.manual_seed(11052023)`,
`nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 3))` maps `LESSON_INPUT` to
logits whose first row is `[0.4926, -0.1480, 0.2304]`; the predicted classes
are `[0, 2, 0, 1]`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
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

# The true class of each lesson sample (class indices, not one-hot rows).
LESSON_MULTICLASS_TARGET = torch.tensor([2, 1, 0, 1])


def build_multiclass_net(
    n_features: int = 5, n_hidden: int = 4, n_classes: int = 3, seed: int | None = None
) -> nn.Sequential:
    """Two linear layers, `n_features -> n_hidden -> n_classes`, with no activation between.

    `nn.Linear(n_in, n_out)` computes `x @ weight.T + bias` and stores its
    weight as an `(n_out, n_in)` matrix: one row per output. Its starting
    values are random, so when `seed` is given, seed torch first: the same
    seed then gives the same network, and `seed=11052023` gives the lesson's.
    `seed=0` is a seed like any other (test `seed is not None`, not `if seed:`).
    """
    ### BEGIN SOLUTION (TODO: seed torch if a seed is given, then stack two nn.Linear layers)
    if seed is not None:
        torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_features, n_hidden), nn.Linear(n_hidden, n_classes))
    ### END SOLUTION


def predict_proba(logits: torch.Tensor) -> torch.Tensor:
    """Class probabilities: softmax over the last dimension, so every row sums to one."""
    ### BEGIN SOLUTION (TODO: apply softmax over the last dimension)
    return torch.softmax(logits, dim=-1)
    ### END SOLUTION


def predict_classes(scores: torch.Tensor) -> torch.Tensor:
    """The predicted class of each row: the index of its largest score, as int64.

    The classes sit in the last dimension, whatever the rank: a `(b, n, k)`
    batch gives `(b, n)` classes. Works on logits and on probabilities alike,
    since softmax keeps the order.
    """
    ### BEGIN SOLUTION (TODO: take the argmax over the last dimension)
    return torch.argmax(scores, dim=-1)
    ### END SOLUTION


def as_row(t: torch.Tensor) -> torch.Tensor:
    """The same values laid out as one row, shape `(1, n)`.

    The lesson writes `t.view(1, -1)`: `-1` asks PyTorch to work out that
    dimension from the number of elements. `reshape` does the same and also
    copes with tensors whose memory is not contiguous (the checks pass
    contiguous tensors, so the lesson's `view` is marked right).
    """
    ### BEGIN SOLUTION (TODO: reshape to one row, letting -1 infer the length)
    return t.reshape(1, -1)
    ### END SOLUTION


def one_hot(target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """One row per class index, with a 1 at that index and 0 elsewhere, as float32.

    `target` holds class indices such as `[2, 1, 0, 1]`; the result has
    shape `(n, num_classes)`.
    """
    ### BEGIN SOLUTION (TODO: one-hot encode the indices and convert to float32)
    return F.one_hot(target.long(), num_classes).to(torch.float32)
    ### END SOLUTION


def cross_entropy_manual(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of raw logits against class indices, without PyTorch's loss helpers.

    The log-softmax of a row is `z - log(sum(exp(z)))`. Computed naively,
    `exp(1000)` overflows to infinity and the loss becomes nan. Subtracting
    the row's largest logit first changes nothing mathematically (it cancels
    between the two terms) but keeps every exponent at or below zero. The
    result equals `F.cross_entropy(logits, target)`.

    `target` may also be given as one-hot (or probability) rows shaped like
    `logits`; that is an extra, not graded: the checks pass class indices.
    """
    ### BEGIN SOLUTION (TODO: stable log-softmax by hand, then mean of -sum(one_hot * log_probs))
    shifted = logits - logits.max(dim=-1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=-1, keepdim=True).log()
    if target.is_floating_point() and target.shape == logits.shape:
        target_rows = target
    else:
        target_rows = one_hot(target, logits.shape[-1]).to(logits.dtype)
    return -(target_rows * log_probs).sum(dim=-1).mean()
    ### END SOLUTION


if __name__ == "__main__":
    # %% The lesson's network and its logits (first row: 0.4926, -0.1480, 0.2304)
    net = build_multiclass_net(seed=LESSON_SEED)
    logits = net(LESSON_INPUT)
    print(logits)
    # %% Probabilities and predicted classes (expected classes: [0, 2, 0, 1])
    print(predict_proba(logits))
    print(predict_classes(logits))
    print(as_row(predict_classes(logits)))
    print(one_hot(LESSON_MULTICLASS_TARGET, 3))
    # %% Cross-entropy on logits (1.0591) and the softmax-twice mistake (1.0857)
    print(cross_entropy_manual(logits, LESSON_MULTICLASS_TARGET))
    print(nn.CrossEntropyLoss()(logits, LESSON_MULTICLASS_TARGET))
    print(nn.CrossEntropyLoss()(predict_proba(logits), LESSON_MULTICLASS_TARGET))
    # %% Large logits: the shifted log-softmax stays finite
    print(cross_entropy_manual(torch.tensor([[1000.0, 0.0, -1000.0]]), torch.tensor([1])))
