"""Mistake fixture: epoch loss and evaluation average the batch means, so a short
last batch counts as much as a full one."""

import torch
from torch import nn


def build_salary_model(seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 2), nn.Linear(2, 1))


def train(model, dataloader, criterion, optimizer, num_epochs):
    losses = []
    for _ in range(num_epochs):
        batch_losses = []
        for features, target in dataloader:
            optimizer.zero_grad()
            loss = criterion(model(features), target)
            loss.backward()
            optimizer.step()
            batch_losses.append(loss.item())
        losses.append(sum(batch_losses) / len(dataloader))
    return losses


def evaluate(model, dataloader, criterion):
    model.eval()
    running = 0.0
    with torch.no_grad():
        for features, target in dataloader:
            running += criterion(model(features), target).item()
    model.train()
    return running / len(dataloader)


def to_usd(pred_scaled, scaler):
    return scaler.inverse_transform(pred_scaled.detach().numpy().reshape(-1, 1))
