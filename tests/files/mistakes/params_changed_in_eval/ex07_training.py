"""Mistake fixture: evaluate was copied from the training loop and still takes optimizer steps."""

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
            optimizer.zero_grad()
            loss = criterion(model(features), target)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(features)
            count += len(features)
        losses.append(total / count)
    return losses


def evaluate(model, dataloader, criterion):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    model.eval()
    total, count = 0.0, 0
    for features, target in dataloader:
        optimizer.zero_grad()
        loss = criterion(model(features), target)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(features)
        count += len(features)
    model.train()
    return total / count


def to_usd(pred_scaled, scaler):
    return scaler.inverse_transform(pred_scaled.detach().numpy().reshape(-1, 1))
