"""Fixture: a correct ex07 written differently from the reference."""

import numpy as np
import torch
from torch import nn


def build_salary_model(seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    first = nn.Linear(4, 2)
    second = nn.Linear(2, 1)
    return nn.Sequential(first, second)


def train(model, dataloader, criterion, optimizer, num_epochs):
    history = []
    n = len(dataloader.dataset)
    for epoch in range(num_epochs):
        epoch_sum = 0.0
        for xb, yb in dataloader:
            pred = model(xb)
            loss = criterion(pred, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch_sum += loss.item() * yb.shape[0]
        history.append(epoch_sum / n)
    return history


def evaluate(model, dataloader, criterion):
    mode = model.training
    model.eval()
    with torch.inference_mode():
        weighted = [criterion(model(xb), yb) * len(yb) for xb, yb in dataloader]
        result = torch.stack(weighted).sum().item() / len(dataloader.dataset)
    model.train(mode)
    return result


def to_usd(pred_scaled, scaler):
    values = np.asarray(torch.as_tensor(pred_scaled).detach(), dtype=np.float64).reshape(-1, 1)
    return values * (scaler.data_max_ - scaler.data_min_) + scaler.data_min_
