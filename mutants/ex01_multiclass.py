"""Realistic mistakes for ex01 (see grader/mutation/content.py for the format).

Each function replaces the graded function named before `__` in the reference
module; its docstring names the mistake. Parsed by `grader mutants`, never imported.
"""

import torch
import torch.nn.functional as F
from torch import nn


def build_multiclass_net__seed_zero_is_no_seed(n_features=5, n_hidden=4, n_classes=3, seed=None):
    """`if seed:` treats seed 0 as no seed."""
    if seed:
        torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_features, n_hidden), nn.Linear(n_hidden, n_classes))


def build_multiclass_net__relu_between(n_features=5, n_hidden=4, n_classes=3, seed=None):
    """An activation the sheet does not ask for."""
    if seed is not None:
        torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(n_features, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_classes)
    )


def predict_proba__softmax_over_batch(logits):
    """Softmax over the batch (dim 0) instead of the classes."""
    return torch.softmax(logits, dim=0)


def predict_classes__as_float(scores):
    """Class indices returned as floats."""
    return torch.argmax(scores, dim=-1).float()


def as_row__view_fails_on_transposed(t):
    """`view` needs contiguous memory; a transposed tensor raises."""
    return t.view(1, -1)


def one_hot__float64(target, num_classes):
    """The one-hot rows in float64, not the float32 the sheet fixes."""
    return F.one_hot(target.long(), num_classes).double()


def cross_entropy_manual__naive_log_softmax(logits, target):
    """No max shift: exp overflows to inf for logits of 100 in float32, giving nan."""
    log_probs = logits - logits.exp().sum(dim=-1, keepdim=True).log()
    if target.is_floating_point() and target.shape == logits.shape:
        rows = target
    else:
        rows = one_hot(target, logits.shape[-1]).to(logits.dtype)  # noqa: F821
    return -(rows * log_probs).sum(dim=-1).mean()


def cross_entropy_manual__indices_only(logits, target):
    """Probability targets treated as class indices."""
    shifted = logits - logits.max(dim=-1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=-1, keepdim=True).log()
    rows = one_hot(target.long(), logits.shape[-1]).to(logits.dtype)  # noqa: F821
    return -(rows * log_probs).sum(dim=-1).mean()


def cross_entropy_manual__sum_not_mean(logits, target):
    """The batch's total loss, not its mean."""
    shifted = logits - logits.max(dim=-1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=-1, keepdim=True).log()
    if target.is_floating_point() and target.shape == logits.shape:
        rows = target
    else:
        rows = one_hot(target, logits.shape[-1]).to(logits.dtype)  # noqa: F821
    return -(rows * log_probs).sum()
