"""Regression, binary classification and the losses that go with them.

The same stack of linear layers serves three tasks; only the end changes.

- **Regression** predicts a number, so the last layer has one output and no
  activation: the raw value is the prediction. Its usual losses are the mean
  squared error, `mean((pred - target)**2)`, which punishes big misses hard,
  and the mean absolute error, `mean(|pred - target|)`, which is gentler on
  outliers.
- **Binary classification** also ends in one output, a logit. The sigmoid
  `1 / (1 + exp(-z))` squashes it into a probability in (0, 1), and a
  threshold (0.5 by default) turns that into a 0/1 prediction.
- **Binary cross-entropy** scores a probability `p` against a label `y` in
  {0, 1}: `-[y log p + (1 - y) log(1 - p)]`, averaged over the samples. Its
  derivative with respect to `p` is `-y/p + (1 - y)/(1 - p)`. For `y = 1`
  that is `-1/p`: the more confidently wrong the network is (`p` near 0),
  the harder the push. Chained through the sigmoid, the gradient with
  respect to the logit simplifies to `p - y`.

The lesson's numbers: after `torch.manual_seed(11052023)`,
`nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 1))` maps `LESSON_INPUT` to
`[-0.2958, 0.0502, -0.6245, -0.4806]`, and the mean squared error against
`LESSON_REGRESSION_TARGET` is 5.1743.
"""

from __future__ import annotations

import torch
from torch import nn

# The seed the lesson sets before building its networks.
LESSON_SEED = 11052023

# The lesson's batch: four samples with five features each.
LESSON_INPUT = torch.tensor(
    [
        [0.6671, -0.3141, -0.0198, -2.0527, 2.3653],
        [-1.5851, 1.2145, 1.5249, -1.8467, -0.2134],
        [-0.0199, 0.4552, -0.5361, 1.0721, 0.3809],
        [-0.5059, 0.2553, 0.4650, 1.1753, -0.4130],
    ]
)

# The value the regression should predict for each lesson sample.
LESSON_REGRESSION_TARGET = torch.tensor([[3.1], [2.3], [1.2], [0.4]])


def build_regression_net(
    n_features: int = 5, n_hidden: int = 4, seed: int | None = None
) -> nn.Sequential:
    """`Linear(n_features, n_hidden)` then `Linear(n_hidden, 1)`: one number per sample.

    When `seed` is given, seed torch first so the starting weights are
    reproducible (`seed=11052023` gives the lesson's network). `seed=0` is a
    seed like any other (test `seed is not None`, not `if seed:`).
    """
    ### BEGIN SOLUTION (TODO: seed torch if a seed is given, then stack the two layers)
    if seed is not None:
        torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_features, n_hidden), nn.Linear(n_hidden, 1))
    ### END SOLUTION


def mse_manual(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error, the same number as `nn.MSELoss()(pred, target)`."""
    ### BEGIN SOLUTION (TODO: average the squared differences)
    return ((pred - target) ** 2).mean()
    ### END SOLUTION


def mae_manual(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error, the same number as `nn.L1Loss()(pred, target)`."""
    ### BEGIN SOLUTION (TODO: average the absolute differences)
    return (pred - target).abs().mean()
    ### END SOLUTION


def predict_binary(logits: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """0./1. predictions: 1. where `sigmoid(logits) > threshold`, as a float tensor."""
    ### BEGIN SOLUTION (TODO: sigmoid, compare with the threshold, convert to float)
    return (torch.sigmoid(logits) > threshold).float()
    ### END SOLUTION


def bce_manual(probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy of probabilities against 0/1 labels.

    Equal to `nn.BCELoss()(probs, target)` for probabilities strictly between
    0 and 1, including ones very close to either end (1e-6, 0.999999), where
    an epsilon added inside the log (`log(p + 1e-7)`) changes the loss. Like
    `BCELoss`, each log may be clamped at -100 so that a probability of
    exactly 0 or 1 gives a large but finite loss instead of infinity.
    """
    ### BEGIN SOLUTION (TODO: mean of -[y log p + (1 - y) log(1 - p)])
    log_p = torch.log(probs).clamp(min=-100)
    log_not_p = torch.log(1 - probs).clamp(min=-100)
    return -(target * log_p + (1 - target) * log_not_p).mean()
    ### END SOLUTION


def bce_grad_manual(probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Elementwise derivative of the per-sample BCE with respect to `p`: `-y/p + (1-y)/(1-p)`.

    Computed from the formula, not by autograd.
    """
    ### BEGIN SOLUTION (TODO: apply the derivative formula elementwise)
    return -target / probs + (1 - target) / (1 - probs)
    ### END SOLUTION


if __name__ == "__main__":
    # %% The lesson's regression network (outputs -0.2958, 0.0502, -0.6245, -0.4806)
    net = build_regression_net(seed=LESSON_SEED)
    pred = net(LESSON_INPUT)
    print(pred)
    # %% Regression losses (MSE 5.1743)
    print(mse_manual(pred, LESSON_REGRESSION_TARGET), nn.MSELoss()(pred, LESSON_REGRESSION_TARGET))
    print(mae_manual(pred, LESSON_REGRESSION_TARGET), nn.L1Loss()(pred, LESSON_REGRESSION_TARGET))
    # %% The same output read as a binary logit
    probs = torch.sigmoid(pred)
    labels = torch.tensor([[1.0], [1.0], [0.0], [0.0]])
    print(predict_binary(pred))
    print(bce_manual(probs, labels), nn.BCELoss()(probs, labels))
    print(bce_grad_manual(probs, labels))
