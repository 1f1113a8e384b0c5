"""Realistic mistakes for tb01 (format: grader/mutation/content.py)."""


def flatten_rows__flattens_everything(x):
    """Flattens the batch dimension too."""
    return x.reshape(1, -1)
