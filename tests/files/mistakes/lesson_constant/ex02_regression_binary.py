"""Mistake: every function returns the numbers the lesson printed, whatever its arguments."""

import torch
from torch import nn


def build_regression_net(n_features=5, n_hidden=4, seed=None):
    torch.manual_seed(11052023)
    return nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 1))


def mse_manual(pred, target):
    return torch.tensor(5.1743)


def mae_manual(pred, target):
    return torch.tensor(2.0877)


def predict_binary(logits, threshold=0.5):
    return torch.tensor([[0.0], [1.0], [0.0], [0.0]])


def bce_manual(probs, target):
    return torch.tensor(0.6077)


def bce_grad_manual(probs, target):
    return torch.tensor([[-2.3442], [-1.9510], [1.5355], [1.6184]])
