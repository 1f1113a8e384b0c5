"""Mistake fixture: train_step reports the loss measured after the update."""

import torch
from torch import nn


def train_step(model, optimizer, criterion, x, target):
    optimizer.zero_grad()
    criterion(model(x), target).backward()
    optimizer.step()
    with torch.no_grad():
        return criterion(model(x), target).item()


def flip_prediction(seed=2):
    torch.manual_seed(seed)
    x = torch.randn(1, 9)
    target = torch.tensor([[1.0, 0.0]])
    model = nn.Sequential(nn.Linear(9, 2), nn.Sigmoid())
    optimizer = torch.optim.SGD(model.parameters(), lr=1, momentum=1)
    first = (model(x) > 0.5).float()
    train_step(model, optimizer, nn.BCELoss(), x, target)
    return first, (model(x) > 0.5).float()
