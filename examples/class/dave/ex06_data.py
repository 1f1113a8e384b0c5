"""Datasets and data loaders: from a CSV file to batches of tensors.

The lesson predicts data-science salaries (`datasets/ds_salaries.csv`, 607
rows) from four columns: `experience_level`, `employment_type`,
`remote_ratio` and `company_size`. A network needs numbers, so each text
column is replaced by its pandas *category codes*: the distinct values are
sorted and numbered from 0 (for `company_size`: L is 0, M is 1, S is 2).

The target, `salary_in_usd`, runs from a few thousand to 600,000 dollars.
Targets that large make the first losses and gradients huge, so the lesson
rescales them with a `MinMaxScaler` into [0, 1]:
`(salary - min) / (max - min)`. The fitted scaler remembers `min` and `max`,
which is what later turns predictions back into dollars.

`TensorDataset` pairs the i-th feature row with the i-th target, so
`dataset[i]` is a `(features, target)` tuple. `DataLoader` cuts a dataset
into batches (shuffled each epoch if asked); the last batch is shorter when
the batch size does not divide the number of samples.

Converting NumPy arrays keeps their dtype: a float64 array becomes a float64
tensor. Mixing a float64 batch with a float32 model fails, which is why the
features and target here are float32 from the start.

On the lesson's file the first feature rows are `[2, 2, 0, 0]`,
`[3, 2, 0, 2]` and `[3, 2, 50, 1]`, and the scaled target's mean is 0.183271.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.preprocessing import MinMaxScaler
from torch.utils.data import DataLoader, TensorDataset

# Where the lesson's table lives, relative to the course folder.
LESSON_CSV_PATH = "datasets/ds_salaries.csv"

# The lesson's feature columns, in order; the first two and the last are text.
LESSON_FEATURE_COLUMNS = ("experience_level", "employment_type", "remote_ratio", "company_size")


def load_salary_data(csv_path: str | Path) -> tuple[np.ndarray, np.ndarray, MinMaxScaler]:
    """Features `(n, 4)`, scaled target `(n, 1)` (both float32) and the fitted scaler.

    The text columns become their category codes (`.astype("category").cat.codes`);
    `remote_ratio` is already a number. The scaler is fitted on `salary_in_usd`.
    """
    ### BEGIN SOLUTION (TODO: read the CSV, category-code the text columns, min-max scale)
    frame = pd.read_csv(csv_path)
    features = frame[list(LESSON_FEATURE_COLUMNS)].copy()
    for column in ("experience_level", "employment_type", "company_size"):
        features[column] = features[column].astype("category").cat.codes
    scaler = MinMaxScaler()
    salaries = frame[["salary_in_usd"]].to_numpy(dtype=np.float64)
    target = scaler.fit_transform(salaries).astype(np.float32)
    return features.to_numpy(dtype=np.float32), target, scaler
    ### END SOLUTION


def make_dataset(features: np.ndarray, target: np.ndarray) -> TensorDataset:
    """A `TensorDataset` of the two arrays, keeping their dtypes (float64 stays float64)."""
    ### BEGIN SOLUTION (TODO: convert both arrays to tensors and wrap them in a TensorDataset)
    return TensorDataset(
        torch.tensor(np.ascontiguousarray(features)), torch.tensor(np.ascontiguousarray(target))
    )
    ### END SOLUTION


def make_dataloader(
    dataset: TensorDataset, batch_size: int = 4, shuffle: bool = True
) -> DataLoader:
    """A `DataLoader` serving `dataset` in batches of `batch_size`, shuffled if asked."""
    ### BEGIN SOLUTION (TODO: build a DataLoader with this batch size and shuffle flag)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)
    ### END SOLUTION


def last_sample(
    np_features: np.ndarray, np_target: np.ndarray
) -> tuple[torch.Tensor, torch.Tensor]:
    """The last `(features, target)` pair of a `TensorDataset` built from the two arrays."""
    ### BEGIN SOLUTION (TODO: build the dataset and index its last element)
    dataset = make_dataset(np_features, np_target)
    return dataset[len(dataset) - 1]
    ### END SOLUTION


if __name__ == "__main__":
    # %% Load the salary table (first rows [2, 2, 0, 0], [3, 2, 0, 2], [3, 2, 50, 1])
    features, target, scaler = load_salary_data(LESSON_CSV_PATH)
    print(features.shape, target.shape, features[:3])
    print(f"scaled target mean: {target.mean():.6f}")
    # %% Datasets and batches
    dataset = make_dataset(features, target)
    print(len(dataset), dataset[0])
    features_batch, target_batch = next(iter(make_dataloader(dataset, batch_size=4)))
    print(features_batch, target_batch)
    # %% NumPy float64 stays float64
    print(last_sample(np.random.rand(5, 3), np.random.rand(5, 1)))
