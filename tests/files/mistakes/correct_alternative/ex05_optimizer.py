"""Fixture: a correct ex05 written differently from the reference."""

import torch
import torch.nn as nn


def train_step(model, optimizer, criterion, x, target):
    model.zero_grad()
    output = model(x)
    loss = criterion(output, target)
    value = float(loss)
    loss.backward()
    optimizer.step()
    return value


def flip_prediction(seed=2):
    torch.manual_seed(seed)
    inputs = torch.randn(1, 9)
    label = torch.tensor([[1.0, 0.0]])
    net = nn.Sequential(nn.Linear(9, 2), nn.Sigmoid())
    loss_fn = nn.BCELoss()
    opt = torch.optim.SGD(net.parameters(), lr=1.0, momentum=1.0)
    before = net(inputs).detach().gt(0.5).to(torch.float32)
    train_step(net, opt, loss_fn, inputs, label)
    after = net(inputs).detach().gt(0.5).to(torch.float32)
    return (before, after)
