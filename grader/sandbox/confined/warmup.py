"""First calls paid once in the host template, not once per worker.

A library's first call does work its later calls skip: torch builds its
autograd engine's state, an optimizer's first step and a DataLoader's first
batch go through code paths never run before, pandas' CSV reader and
scikit-learn's scalers fill caches (scikit-learn scans the installed
packages' entry points the first time it sees a DataFrame). A worker is a
fork of the template, so whatever the template already did, every worker
inherits done: about 12 ms of each submission's CPU for a lesson that
trains small models on a CSV file.

Only the libraries' own generic calls run here, on made-up data; the engine
knows no course. Each library is warmed only if the template imported it.
Nothing here may leave state behind that a worker would see: grad mode is
restored, no seed matters (every call and import resets them), and the
objects made are garbage before `gc.freeze()`.
"""

from __future__ import annotations

import contextlib
import io
import sys

__all__ = ["warm"]


def warm() -> None:
    """Run each imported library's common first calls once (never raises)."""
    for library, run in (("torch", _torch), ("pandas", _pandas), ("sklearn", _sklearn)):
        if library in sys.modules:
            with contextlib.suppress(Exception):
                run()


def _torch() -> None:
    import torch
    import torch.nn.functional as F
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    # The common first calls, not every one: each also grows this process, the
    # largest of the grading tree (Adam's first step alone, ~2 MB, is left out).
    with torch.enable_grad():
        x, y = torch.randn(8, 4), torch.randn(8, 1)
        model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 1))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for inputs, target in DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True):
            loss = F.mse_loss(model(inputs), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            model(x)


def _pandas() -> None:
    import pandas as pd

    frame = pd.read_csv(io.StringIO("a,b,c,d\n1,2.5,x,y\n3,4.5,y,y\n5,6.5,x,z\n"))
    frame["c"].astype("category").cat.codes.to_numpy()
    frame[["a", "b"]].to_numpy(dtype="float32")
    frame.drop(columns=["d"]).describe()


def _sklearn() -> None:
    import numpy as np

    preprocessing = sys.modules.get("sklearn.preprocessing")
    if preprocessing is None:
        return
    data = np.arange(12, dtype="float64").reshape(6, 2)
    frames = [data]
    if "pandas" in sys.modules:
        import pandas as pd

        frames.append(pd.DataFrame(data, columns=["a", "b"]))
    for scaler in (preprocessing.MinMaxScaler, preprocessing.StandardScaler):
        for frame in frames:
            fitted = scaler().fit(frame)
            fitted.inverse_transform(fitted.transform(frame))
