"""Mistake fixture: flip_prediction returns the lesson's printed predictions for any seed."""

import torch


def train_step(model, optimizer, criterion, x, target):
    optimizer.zero_grad()
    loss = criterion(model(x), target)
    loss.backward()
    optimizer.step()
    return loss.item()


def flip_prediction(seed=2):
    return torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 0.0]])
