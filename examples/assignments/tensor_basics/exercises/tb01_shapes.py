# Generated from solutions/tb01_shapes.py by `python -m grader.authoring`.
# Students: replace each `raise NotImplementedError` with your own code.
# Course staff: edit the solution and regenerate; changes made here are overwritten.
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
    # TODO: keep dimension 0 and merge the others, with reshape
    raise NotImplementedError


def pairwise_sq_dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances between the rows of `a` (n, d) and `b` (m, d): shape (n, m).

    By hand: no `torch.cdist`, no `F.pairwise_distance`.
    """
    # TODO: broadcast a[:, None, :] - b[None, :, :], square, sum over dim 2
    raise NotImplementedError
