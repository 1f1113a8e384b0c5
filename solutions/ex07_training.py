"""The training loop, evaluation, and getting predictions back into dollars.

Training repeats the optimization step over every batch of the data loader,
for a number of *epochs* (full passes over the data): zero the gradients,
forward, loss, backward, step.

To report one loss per epoch, average the batch losses, but weigh each by
its batch size. A loss criterion returns the *mean* over its batch, so a
short last batch (607 samples in batches of 4 leave a batch of 3) would
otherwise count as much as a full one. Multiplying each batch mean by its
size, summing, and dividing by the number of samples gives the true mean
over all samples, whatever the batch size.

Evaluation measures the same loss without learning:

- `model.eval()` switches layers such as dropout and batch norm to their
  inference behaviour (our linear models have none, but the habit matters);
- `torch.no_grad()` stops autograd from recording the graph, which saves
  memory and time and guarantees nothing is updated;
- afterwards the model goes back to the mode it was in.

The model learns in the scaled units of the target. `scaler.inverse_transform`
undoes the min-max scaling, `value * (max - min) + min`, to read predictions
in dollars.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
from sklearn.preprocessing import MinMaxScaler
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

# Where the lesson's table lives, relative to the course folder.
LESSON_CSV_PATH = "datasets/ds_salaries.csv"


def build_salary_model(seed: int | None = None) -> nn.Sequential:
    """The lesson's salary model, `Linear(4, 2)` then `Linear(2, 1)`, seeded first if asked.

    `seed=0` is a seed like any other (test `seed is not None`, not `if seed:`).
    """
    ### BEGIN SOLUTION (TODO: seed torch if a seed is given, then stack the two layers)
    if seed is not None:
        torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 2), nn.Linear(2, 1))
    ### END SOLUTION


def train(
    model: nn.Module,
    dataloader: DataLoader,
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    num_epochs: int,
) -> list[float]:
    """Train for `num_epochs`; return each epoch's mean training loss, weighted by batch size.

    Each batch: zero the gradients, forward, loss, backward, step. The
    checks hand over a model in training mode; calling `model.train()` first
    (as here) is good practice for a model that was evaluated before, but it
    is not graded.
    """
    ### BEGIN SOLUTION (TODO: loop epochs and batches; sum loss * batch size; divide by count)
    model.train()
    epoch_losses = []
    for _ in range(num_epochs):
        total, count = 0.0, 0
        for features, target in dataloader:
            optimizer.zero_grad()
            loss = criterion(model(features), target)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(features)
            count += len(features)
        if count == 0:
            raise ValueError("the data loader produced no batches")
        epoch_losses.append(total / count)
    return epoch_losses
    ### END SOLUTION


def evaluate(
    model: nn.Module,
    dataloader: DataLoader,
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> float:
    """The loss averaged over every sample (batches weighted by size), in eval mode, no gradients.

    The parameters are not changed, and the model is returned to the mode
    (training or evaluation) it was in.
    """
    ### BEGIN SOLUTION (TODO: eval() and no_grad(); weigh batch losses by size; restore the mode)
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        with torch.no_grad():
            for features, target in dataloader:
                loss = criterion(model(features), target)
                total += loss.item() * len(features)
                count += len(features)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("the data loader produced no batches")
    return total / count
    ### END SOLUTION


def to_usd(pred_scaled: torch.Tensor | np.ndarray, scaler: MinMaxScaler) -> np.ndarray:
    """Scaled predictions back in dollars with `scaler.inverse_transform`, shape `(n, 1)`.

    Any float dtype is accepted (float32 dollars agree within the checks'
    tolerance); converting to float64 first keeps every cent.
    """
    ### BEGIN SOLUTION (TODO: to a NumPy column of shape (n, 1), then inverse_transform)
    if isinstance(pred_scaled, torch.Tensor):
        pred_scaled = pred_scaled.detach().cpu().numpy()
    column = np.asarray(pred_scaled, dtype=np.float64).reshape(-1, 1)
    return scaler.inverse_transform(column)
    ### END SOLUTION


if __name__ == "__main__":
    # %% The salary data, prepared as in ex06
    frame = pd.read_csv(LESSON_CSV_PATH)
    for column in ("experience_level", "employment_type", "company_size"):
        frame[column] = frame[column].astype("category").cat.codes
    columns = ["experience_level", "employment_type", "remote_ratio", "company_size"]
    features = torch.tensor(frame[columns].to_numpy(dtype=np.float32))
    scaler = MinMaxScaler()
    salaries = frame[["salary_in_usd"]].to_numpy(dtype=np.float64)
    target = torch.tensor(scaler.fit_transform(salaries), dtype=torch.float32)
    dataloader = DataLoader(TensorDataset(features, target), batch_size=4, shuffle=True)
    # %% Train the lesson's model for a few epochs
    model = build_salary_model(seed=0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0001, momentum=0.9)
    losses = train(model, dataloader, nn.MSELoss(), optimizer, num_epochs=20)
    print([round(loss, 4) for loss in losses])
    print(evaluate(model, dataloader, nn.MSELoss()))
    # %% Predictions in dollars
    with torch.no_grad():
        print(to_usd(model(features[:5]), scaler))
