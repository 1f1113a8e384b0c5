"""Realistic mistakes for ex07 (format: grader/mutation/content.py)."""

import torch
from torch import nn


def build_salary_model__seed_zero_is_no_seed(seed=None):
    """`if seed:` treats seed 0 as no seed."""
    if seed:
        torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 2), nn.Linear(2, 1))


def evaluate__leaves_eval_mode(model, dataloader, criterion):
    """The model is left in eval mode."""
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for features, target in dataloader:
            total += criterion(model(features), target).item() * len(features)
            count += len(features)
    return total / count


def evaluate__mean_of_batch_means(model, dataloader, criterion):
    """Batch losses averaged without weighing them by batch size."""
    was_training = model.training
    model.eval()
    losses = []
    with torch.no_grad():
        for features, target in dataloader:
            losses.append(criterion(model(features), target).item())
    model.train(was_training)
    return sum(losses) / len(losses)


def evaluate__backward_for_nothing(model, dataloader, criterion):
    """A backward pass in evaluation: no step, but the caller's model keeps .grad set."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for features, target in dataloader:
        loss = criterion(model(features), target)
        loss.backward()
        total += loss.item() * len(features)
        count += len(features)
    model.train(was_training)
    return total / count
