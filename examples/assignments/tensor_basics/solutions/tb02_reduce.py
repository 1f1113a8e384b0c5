"""Masked and per-column reductions.

A boolean mask picks the entries that count. The mean over dimension 1 of
the entries where `mask` is True is their sum divided by how many there are:
`(x * mask).sum(1) / mask.sum(1)`. A row with no True entry would divide by
zero; here it gives 0 instead.

Standardizing a table makes every column have mean 0 and standard deviation
1: subtract the column means, divide by the column standard deviations.
The population standard deviation divides by n (`unbiased=False`,
`correction=0`); a small `eps` added to it keeps constant columns finite.
"""

from __future__ import annotations

import torch


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over dimension 1 of `x` (n, k) where `mask` (n, k, bool) is True: shape (n,).

    Rows with no True entry give 0. Neither argument is changed.
    """
    ### BEGIN SOLUTION (TODO: sum where the mask is True, divide by the count, 0 for empty rows)
    weights = mask.to(x.dtype)
    total = (x * weights).sum(dim=1)
    count = weights.sum(dim=1)
    return torch.where(count > 0, total / count.clamp(min=1), torch.zeros_like(total))
    ### END SOLUTION


def standardize(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Each column of `x` (n, d) with mean 0 and (population) std 1: `(x - mean) / (std + eps)`."""
    ### BEGIN SOLUTION (TODO: per-column mean and population std, then (x - mean) / (std + eps))
    mean = x.mean(dim=0, keepdim=True)
    std = ((x - mean) ** 2).mean(dim=0, keepdim=True).sqrt()
    return (x - mean) / (std + eps)
    ### END SOLUTION
