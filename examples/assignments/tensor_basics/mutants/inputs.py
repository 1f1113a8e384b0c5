"""Random calls of each graded function for `grader mutants` (see docs/authoring.md)."""

import torch


def flatten_rows(case):
    return [((case.randn(case.batch, 2, 3),), {}), ((case.randn(case.batch, 4),), {})]


def pairwise_sq_dist(case):
    return [((case.randn(case.batch, 3), case.randn(2, 3)), {})]


def masked_mean(case):
    x = case.randn(case.batch, 4)
    mask = case.randint(2, case.batch, 4).bool()
    empty = torch.zeros(case.batch, 4, dtype=torch.bool)
    return [((x, mask), {}), ((x, empty), {})]


def standardize(case):
    x = case.randn(case.batch + 2, 3)
    return [((x,), {}), ((x,), {"eps": 0.5})]
