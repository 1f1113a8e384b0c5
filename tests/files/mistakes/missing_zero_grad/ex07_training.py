"""Mistake fixture: the training loop never clears the gradients between batches."""

import numpy as np
import torch
from torch import nn


def build_salary_model(seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 2), nn.Linear(2, 1))


def train(model, dataloader, criterion, optimizer, num_epochs):
    losses = []
    for _ in range(num_epochs):
        total, count = 0.0, 0
        for features, target in dataloader:
            loss = criterion(model(features), target)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(features)
            count += len(features)
        losses.append(total / count)
    return losses


def evaluate(model, dataloader, criterion):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for features, target in dataloader:
            total += criterion(model(features), target).item() * len(features)
            count += len(features)
    model.train()
    return total / count


def to_usd(pred_scaled, scaler):
    return scaler.inverse_transform(pred_scaled.detach().numpy().reshape(-1, 1))
