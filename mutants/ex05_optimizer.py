"""Realistic mistakes for ex05 (format: grader/mutation/content.py)."""

import torch
from torch import nn


def train_step__no_zero_grad(model, optimizer, criterion, x, target):
    """Gradients never zeroed: backward adds to the ones already stored."""
    loss = criterion(model(x), target)
    loss.backward()
    optimizer.step()
    return loss.item()


def train_step__loss_after_step(model, optimizer, criterion, x, target):
    """The loss measured again after the step, not the one the step was taken on."""
    optimizer.zero_grad()
    criterion(model(x), target).backward()
    optimizer.step()
    with torch.no_grad():
        return criterion(model(x), target).item()


def train_step__returns_tensor(model, optimizer, criterion, x, target):
    """The loss tensor returned instead of a Python float."""
    optimizer.zero_grad()
    loss = criterion(model(x), target)
    loss.backward()
    optimizer.step()
    return loss


def train_step__zero_grad_after_backward(model, optimizer, criterion, x, target):
    """zero_grad between backward and step: the step sees no gradient."""
    loss = criterion(model(x), target)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()


def flip_prediction__seed_ignored(seed=2):
    """Always the lesson's seed 2, whatever seed is given."""
    torch.manual_seed(2)
    x = torch.randn(1, 9)
    target = torch.tensor([[1.0, 0.0]])
    model = nn.Sequential(nn.Linear(9, 2), nn.Sigmoid())
    optimizer = torch.optim.SGD(model.parameters(), lr=1, momentum=1)
    with torch.no_grad():
        first = (model(x) > 0.5).float()
    optimizer.zero_grad()
    nn.BCELoss()(model(x), target).backward()
    optimizer.step()
    with torch.no_grad():
        final = (model(x) > 0.5).float()
    return first, final


def flip_prediction__probabilities(seed=2):
    """The predictions returned as probabilities, not thresholded at 0.5."""
    torch.manual_seed(seed)
    x = torch.randn(1, 9)
    target = torch.tensor([[1.0, 0.0]])
    model = nn.Sequential(nn.Linear(9, 2), nn.Sigmoid())
    optimizer = torch.optim.SGD(model.parameters(), lr=1, momentum=1)
    with torch.no_grad():
        first = model(x)
    optimizer.zero_grad()
    nn.BCELoss()(model(x), target).backward()
    optimizer.step()
    with torch.no_grad():
        final = model(x)
    return first, final


def flip_prediction__model_before_input(seed=2):
    """The model built before the input is drawn: other random numbers for both."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(9, 2), nn.Sigmoid())
    x = torch.randn(1, 9)
    target = torch.tensor([[1.0, 0.0]])
    optimizer = torch.optim.SGD(model.parameters(), lr=1, momentum=1)
    with torch.no_grad():
        first = (model(x) > 0.5).float()
    optimizer.zero_grad()
    nn.BCELoss()(model(x), target).backward()
    optimizer.step()
    with torch.no_grad():
        final = (model(x) > 0.5).float()
    return first, final
