"""Realistic mistakes for ex04 (format: grader/mutation/content.py)."""

import torch


def sgd_update__in_place(weight, grad, lr):
    """Updates the caller's weight in place."""
    with torch.no_grad():
        weight -= lr * grad
    return weight


def gradients_of__grads_left_behind(model, criterion, x, target):
    """Gradients accumulate on the caller's model and are left there."""
    criterion(model(x), target).backward()
    return {name: p.grad.detach().clone() for name, p in model.named_parameters()}
