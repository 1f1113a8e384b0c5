"""Mistake fixture: train_step never clears the gradients (no optimizer.zero_grad())."""

import torch
from torch import nn


def train_step(model, optimizer, criterion, x, target):
    loss = criterion(model(x), target)
    loss.backward()
    optimizer.step()
    return loss.item()


def flip_prediction(seed=2):
    torch.manual_seed(seed)
    x = torch.randn(1, 9)
    target = torch.tensor([[1.0, 0.0]])
    model = nn.Sequential(nn.Linear(9, 2), nn.Sigmoid())
    criterion = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1, momentum=1)
    first = (model(x) > 0.5).float()
    optimizer.zero_grad()
    criterion(model(x), target).backward()
    optimizer.step()
    final = (model(x) > 0.5).float()
    return first, final
