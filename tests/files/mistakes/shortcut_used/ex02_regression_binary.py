"""Mistake: mse_manual uses nn.MSELoss through a helper; bce_grad_manual uses autograd."""

import math

import torch
from torch import nn


def build_regression_net(n_features=5, n_hidden=4, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    layers = [nn.Linear(n_features, n_hidden), nn.Linear(n_hidden, 1)]
    return nn.Sequential(*layers)


_loss = nn.MSELoss()


def _squared_error(pred, target):
    return _loss(pred, target)


def mse_manual(pred, target):
    return _squared_error(pred, target)  # the shortcut hides in a helper


def mae_manual(pred, target):
    return torch.sum(torch.abs(target - pred)) / pred.numel()


def predict_binary(logits, threshold=0.5):
    probs = 1 / (1 + torch.exp(-logits))
    return torch.where(probs > threshold, 1.0, 0.0)


def bce_manual(probs, target):
    losses = target * torch.log(probs) + (1 - target) * torch.log1p(-probs)
    return -losses.sum() / losses.numel()


def bce_grad_manual(probs, target):
    p = probs.detach().clone().requires_grad_(True)
    loss = -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).sum()
    loss.backward()
    return p.grad
