"""Mistake fixture: make_dataloader ignores its batch_size and shuffle arguments."""

import numpy as np
import pandas as pd
import torch
from sklearn.preprocessing import MinMaxScaler
from torch.utils.data import DataLoader, TensorDataset


def load_salary_data(csv_path):
    df = pd.read_csv(csv_path)
    for column in ["experience_level", "employment_type", "company_size"]:
        df[column] = df[column].astype("category").cat.codes
    features = df[["experience_level", "employment_type", "remote_ratio", "company_size"]]
    scaler = MinMaxScaler()
    target = scaler.fit_transform(df[["salary_in_usd"]]).astype(np.float32)
    return features.to_numpy().astype(np.float32), target, scaler


def make_dataset(features, target):
    return TensorDataset(torch.from_numpy(features), torch.from_numpy(target))


def make_dataloader(dataset, batch_size=4, shuffle=True):
    return DataLoader(dataset, batch_size=4, shuffle=True)


def last_sample(np_features, np_target):
    return make_dataset(np_features, np_target)[-1]
