"""Probes for tensor_basics: whether a function leaves its inputs as they were.

Runs in the untrusted worker, loaded before confinement; imports only the
standard library, torch and the probe runtime. A probe observes and reports
raw values; the parent (the check) judges them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from grader.sandbox.confined.probe_runtime import observe, student_function

__all__ = ["PROBES"]


def probe_call_keeps_input(
    module: Any, function: str, args: Sequence[Any] = (), transposed: bool = False
) -> dict[str, Any]:
    """Call ``function`` on clones of ``args``; report the output and whether a clone changed.

    ``changed`` holds one flag per argument (False for arguments that are not tensors).
    Tensors reach the worker contiguous; with ``transposed``, each tensor argument is
    sent transposed (dimensions 0 and -1) and is transposed back here, so the
    function sees the intended values in a non-contiguous layout (``contiguous``
    reports what it saw).
    """
    fn = student_function(module, function)
    originals = [
        a.transpose(0, -1) if transposed and isinstance(a, torch.Tensor) else a for a in args
    ]
    clones = [a.clone() if isinstance(a, torch.Tensor) else a for a in originals]
    if transposed:  # clone() keeps the strides of a transposed tensor; make sure
        clones = [
            c.transpose(0, -1).contiguous().transpose(0, -1) if isinstance(c, torch.Tensor) else c
            for c in clones
        ]
    contiguous = [c.is_contiguous() for c in clones if isinstance(c, torch.Tensor)]
    result = observe(fn(*clones))
    if isinstance(result, torch.Tensor):
        result = result.detach().clone()
    changed = [
        isinstance(o, torch.Tensor)
        and not (c.shape == o.shape and c.dtype == o.dtype and bool(torch.equal(c, o)))
        for o, c in zip(originals, clones, strict=True)
    ]
    return {"result": result, "changed": changed, "contiguous": contiguous}


PROBES: dict[str, Callable[..., Any]] = {
    "shapes_call_keeps_input": probe_call_keeps_input,
}
