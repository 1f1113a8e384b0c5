"""Realistic mistakes for ex06 (format: grader/mutation/content.py)."""

import numpy as np
import pandas as pd
import torch
from sklearn.preprocessing import MinMaxScaler
from torch.utils.data import DataLoader, TensorDataset

_COLUMNS = ["experience_level", "employment_type", "remote_ratio", "company_size"]


def load_salary_data__local_salary(csv_path):
    """The `salary` column (local currency) scaled instead of `salary_in_usd`."""
    frame = pd.read_csv(csv_path)
    features = frame[_COLUMNS].copy()
    for column in ("experience_level", "employment_type", "company_size"):
        features[column] = features[column].astype("category").cat.codes
    scaler = MinMaxScaler()
    target = scaler.fit_transform(frame[["salary"]].to_numpy(dtype=np.float64))
    return features.to_numpy(dtype=np.float32), target.astype(np.float32), scaler


def load_salary_data__target_not_scaled(csv_path):
    """The target left in dollars; the scaler fitted but never applied."""
    frame = pd.read_csv(csv_path)
    features = frame[_COLUMNS].copy()
    for column in ("experience_level", "employment_type", "company_size"):
        features[column] = features[column].astype("category").cat.codes
    salaries = frame[["salary_in_usd"]].to_numpy(dtype=np.float64)
    scaler = MinMaxScaler().fit(salaries)
    return features.to_numpy(dtype=np.float32), salaries.astype(np.float32), scaler


def load_salary_data__lesson_codes(csv_path):
    """Category codes from a table of the lesson's categories, not the file's own."""
    frame = pd.read_csv(csv_path)
    codes = {
        "experience_level": {"EN": 0, "EX": 1, "MI": 2, "SE": 3},
        "employment_type": {"CT": 0, "FL": 1, "FT": 2, "PT": 3},
        "company_size": {"L": 0, "M": 1, "S": 2},
    }
    features = frame[_COLUMNS].copy()
    for column, table in codes.items():
        features[column] = features[column].map(table)
    scaler = MinMaxScaler()
    target = scaler.fit_transform(frame[["salary_in_usd"]].to_numpy(dtype=np.float64))
    return features.to_numpy(dtype=np.float32), target.astype(np.float32), scaler


def load_salary_data__features_float64(csv_path):
    """The features left as float64, not the float32 the sheet fixes."""
    frame = pd.read_csv(csv_path)
    features = frame[_COLUMNS].copy()
    for column in ("experience_level", "employment_type", "company_size"):
        features[column] = features[column].astype("category").cat.codes
    scaler = MinMaxScaler()
    target = scaler.fit_transform(frame[["salary_in_usd"]].to_numpy(dtype=np.float64))
    return features.to_numpy(dtype=np.float64), target.astype(np.float32), scaler


def make_dataset__float32(features, target):
    """Both arrays cast to float32: a float64 array does not keep its dtype."""
    return TensorDataset(torch.tensor(features).float(), torch.tensor(target).float())


def make_dataloader__shuffle_ignored(dataset, batch_size=4, shuffle=True):
    """Always shuffled, whatever shuffle says."""
    return DataLoader(dataset, batch_size=batch_size, shuffle=True)


def make_dataloader__batch_size_ignored(dataset, batch_size=4, shuffle=True):
    """Always batches of the lesson's 4."""
    return DataLoader(dataset, batch_size=4, shuffle=shuffle)


def last_sample__first(np_features, np_target):
    """The first sample, not the last."""
    dataset = TensorDataset(torch.tensor(np_features), torch.tensor(np_target))
    return dataset[0]


def last_sample__float32(np_features, np_target):
    """The arrays cast to float32 before the dataset is built."""
    dataset = TensorDataset(
        torch.tensor(np_features, dtype=torch.float32), torch.tensor(np_target, dtype=torch.float32)
    )
    return dataset[len(dataset) - 1]
