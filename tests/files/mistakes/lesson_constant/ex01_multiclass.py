"""Mistake: every function returns the numbers the lesson printed, whatever its arguments."""

import torch
from torch import nn


def build_multiclass_net(n_features=5, n_hidden=4, n_classes=3, seed=None):
    torch.manual_seed(11052023)
    return nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 3))


def predict_proba(logits):
    return torch.tensor(
        [[0.4355, 0.2295, 0.3350], [0.3413, 0.3106, 0.3482],
         [0.3675, 0.3603, 0.2722], [0.3706, 0.3781, 0.2513]]
    )


def predict_classes(scores):
    return torch.tensor([0, 2, 0, 1])


def as_row(t):
    return torch.tensor([[0, 2, 0, 1]])


def one_hot(target, num_classes):
    return torch.tensor([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def cross_entropy_manual(logits, target):
    return torch.tensor(1.0591)
