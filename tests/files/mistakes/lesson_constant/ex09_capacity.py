"""Mistake fixture: the lesson's count, and a net with the lesson's sizes whatever is asked."""

from torch import nn


def calculate_capacity(model):
    return 81


def build_four_layer_net(n_features, n_classes):
    return nn.Sequential(
        nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(),
        nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2),
    )
