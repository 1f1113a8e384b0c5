"""Mistake: softmax applied before cross-entropy (softmax twice)."""

import torch
from torch import nn


def build_multiclass_net(n_features=5, n_hidden=4, n_classes=3, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    first = nn.Linear(n_features, n_hidden)
    second = nn.Linear(n_hidden, n_classes)
    return nn.Sequential(first, second)


def predict_proba(logits):
    return torch.exp(logits - torch.logsumexp(logits, dim=-1, keepdim=True))


def predict_classes(scores):
    return scores.max(dim=-1).indices


def as_row(t):
    return t.unsqueeze(0) if t.dim() == 1 else t.view(1, -1)


def one_hot(target, num_classes):
    return torch.eye(num_classes)[target]


def cross_entropy_manual(logits, target):
    probs = predict_proba(logits)  # the lesson's slip: softmax before cross-entropy
    log_probs = probs - torch.logsumexp(probs, dim=1, keepdim=True)
    picked = log_probs.gather(1, target.view(-1, 1))
    return -picked.mean()
