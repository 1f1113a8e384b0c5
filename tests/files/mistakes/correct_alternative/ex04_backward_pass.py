"""A correct ex04 written differently from the reference."""

import torch


def output_layer_grads(hidden, logits, target):
    with torch.no_grad():
        n = logits.shape[0]
        probs = torch.exp(logits - torch.logsumexp(logits, dim=1, keepdim=True))
        y = torch.zeros_like(probs).scatter_(1, target.view(-1, 1), 1.0)
        delta = (probs - y) / n
        return torch.matmul(delta.t(), hidden), torch.sum(delta, dim=0)


def sgd_update(weight, grad, lr):
    return torch.sub(weight.detach(), grad, alpha=lr)


def gradients_of(model, criterion, x, target):
    model.zero_grad()
    loss = criterion(model(x), target)
    loss.backward()
    return {name: p.grad.clone() for name, p in model.named_parameters()}
