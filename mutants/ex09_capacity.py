"""Realistic mistakes for ex09 (format: grader/mutation/content.py)."""

from torch import nn


def calculate_capacity__weights_only(model):
    """Only the weight matrices counted, not the biases."""
    return sum(m.weight.numel() for m in model.modules() if isinstance(m, nn.Linear))


def calculate_capacity__trainable_only(model):
    """Only the parameters that require grad: a frozen layer's are left out."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def calculate_capacity__tensors_counted(model):
    """The number of parameter tensors, not of scalars."""
    return len(list(model.parameters()))


def calculate_capacity__bias_assumed(model):
    """Each Linear layer counted as in*out + out, even one built with bias=False."""
    return sum(
        m.in_features * m.out_features + m.out_features
        for m in model.modules()
        if isinstance(m, nn.Linear)
    )


def build_four_layer_net__three_layers(n_features, n_classes):
    """Three Linear layers, not four."""
    return nn.Sequential(
        nn.Linear(n_features, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, n_classes)
    )


def build_four_layer_net__too_small(n_features, n_classes):
    """Hidden layers of 4: 120 parameters or fewer for small sizes."""
    return nn.Sequential(
        nn.Linear(n_features, 4), nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, n_classes)
    )


def build_four_layer_net__fixed_classes(n_features, n_classes):
    """The lesson's two outputs, whatever n_classes says."""
    return nn.Sequential(
        nn.Linear(n_features, 16), nn.Linear(16, 8), nn.Linear(8, 8), nn.Linear(8, 2)
    )
