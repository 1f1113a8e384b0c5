"""Shapes and distances.

A batch of n samples is a tensor whose first dimension is n. Many layers
want each sample as one flat row: `flatten_rows` keeps the first dimension
and merges all the others, so a (4, 3, 2) batch becomes (4, 6).

Broadcasting lines up dimensions from the right and stretches size-1
dimensions: `a[:, None, :] - b[None, :, :]` has shape (n, m, d) and holds
every difference between a row of `a` and a row of `b`. Squaring and summing
over the last dimension gives the (n, m) squared Euclidean distances, with
no Python loop.

The lesson's numbers: for the points in `data/points.csv`, the squared
distance between (0, 0) and (3, 4) is 25.
"""

from __future__ import annotations

import torch


def flatten_rows(x: torch.Tensor) -> torch.Tensor:
    """`x` of shape (n, ...) as shape (n, rest): one flat row per sample, `x` unchanged."""
    ### BEGIN SOLUTION (TODO: keep dimension 0 and merge the others, with reshape)
    return x.reshape(x.shape[0], -1)
    ### END SOLUTION


def pairwise_sq_dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances between the rows of `a` (n, d) and `b` (m, d): shape (n, m).

    By hand: no `torch.cdist`, no `F.pairwise_distance`.
    """
    ### BEGIN SOLUTION (TODO: broadcast a[:, None, :] - b[None, :, :], square, sum over dim 2)
    diff = a[:, None, :] - b[None, :, :]
    return (diff * diff).sum(dim=-1)
    ### END SOLUTION
