"""Realistic mistakes for ex02 (format: grader/mutation/content.py)."""

import torch
from torch import nn


def build_regression_net__seed_zero_is_no_seed(n_features=5, n_hidden=4, seed=None):
    """`if seed:` treats seed 0 as no seed."""
    if seed:
        torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_features, n_hidden), nn.Linear(n_hidden, 1))


def mse_manual__root(pred, target):
    """The root of the mean square (RMSE)."""
    return ((pred - target) ** 2).mean().sqrt()


def mae_manual__no_abs(pred, target):
    """Differences averaged without their absolute value."""
    return (pred - target).mean()


def predict_binary__threshold_ignored(logits, threshold=0.5):
    """The threshold argument is never used."""
    return (torch.sigmoid(logits) > 0.5).float()


def predict_binary__logits_not_probabilities(logits, threshold=0.5):
    """The threshold applied to the logits, not the probabilities."""
    return (logits > threshold).float()


def bce_manual__epsilon_in_log(probs, target):
    """An epsilon inside each log instead of BCELoss's clamp at -100."""
    eps = 1e-7
    return -(target * torch.log(probs + eps) + (1 - target) * torch.log(1 - probs + eps)).mean()


def bce_manual__no_clamp(probs, target):
    """No clamp: a probability of exactly 0 or 1 gives inf or nan."""
    return -(target * torch.log(probs) + (1 - target) * torch.log(1 - probs)).mean()


def bce_grad_manual__sign(probs, target):
    """The derivative with the wrong sign."""
    return target / probs - (1 - target) / (1 - probs)
