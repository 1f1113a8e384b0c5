"""Fixture: a correct ex09 written differently from the reference."""

from collections import OrderedDict

from torch import nn


def calculate_capacity(model):
    total = 0
    for parameter in model.parameters():
        total += parameter.nelement()
    return total


def build_four_layer_net(n_features, n_classes):
    width = 32
    return nn.Sequential(OrderedDict([
        ("input", nn.Linear(n_features, width)),
        ("act1", nn.Tanh()),
        ("hidden1", nn.Linear(width, width)),
        ("act2", nn.Tanh()),
        ("hidden2", nn.Linear(width, width // 2)),
        ("act3", nn.Tanh()),
        ("output", nn.Linear(width // 2, n_classes)),
    ]))
