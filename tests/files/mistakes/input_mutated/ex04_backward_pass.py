"""Mistake: sgd_update changes weight in place."""

import torch


def output_layer_grads(hidden, logits, target):
    with torch.no_grad():
        n = logits.shape[0]
        probs = torch.exp(logits - torch.logsumexp(logits, dim=1, keepdim=True))
        y = torch.zeros_like(probs).scatter_(1, target.view(-1, 1), 1.0)
        delta = (probs - y) / n
        return torch.matmul(delta.t(), hidden), torch.sum(delta, dim=0)


def sgd_update(weight, grad, lr):
    weight -= lr * grad  # in place: changes the caller's tensor
    return weight


def gradients_of(model, criterion, x, target):
    model.zero_grad()
    loss = criterion(model(x), target)
    loss.backward()
    return {name: p.grad.clone() for name, p in model.named_parameters()}
