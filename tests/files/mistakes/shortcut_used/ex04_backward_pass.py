"""Mistake: output_layer_grads uses torch.autograd.grad instead of the formula."""

import torch


def output_layer_grads(hidden, logits, target):
    k, p = logits.shape[1], hidden.shape[1]
    weight = torch.zeros(k, p, requires_grad=True)
    bias = torch.zeros(k, requires_grad=True)
    z = hidden.detach() @ weight.T + bias
    shift = (logits.detach() - z).detach()  # so that z + shift equals the given logits
    loss = torch.nn.functional.cross_entropy(z + shift, target)
    return torch.autograd.grad(loss, (weight, bias))


def sgd_update(weight, grad, lr):
    return torch.sub(weight.detach(), grad, alpha=lr)


def gradients_of(model, criterion, x, target):
    model.zero_grad()
    loss = criterion(model(x), target)
    loss.backward()
    return {name: p.grad.clone() for name, p in model.named_parameters()}
