"""Realistic mistakes for tb02 (format: grader/mutation/content.py)."""



def masked_mean__divides_by_row_length(x, mask):
    """Divides by the row length, not by how many entries the mask keeps."""
    return (x * mask.to(x.dtype)).mean(dim=1)


def standardize__sample_std(x, eps=1e-5):
    """The sample standard deviation (divides by n - 1), not the population one."""
    return (x - x.mean(dim=0, keepdim=True)) / (x.std(dim=0, keepdim=True) + eps)
