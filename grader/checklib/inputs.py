"""Inputs for the hidden checks, made in the parent from seeds the student never saw.

Every input is named (``"ex03.softmax.values"``); its seed is derived from the
name and a course secret, so each check always sees the same input (grades
reproduce), the inputs differ from the lesson's, and changing the secret
(``GRADER_CHECK_SEED``, or the checks folder's ``seed.txt``) gives a new set
for a new term. A private
``torch.Generator`` is used, so making inputs never touches the global RNG.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from grader.assignment import current
from grader.sandbox.confined.probe_runtime import build_model

__all__ = [
    "PUBLIC_SECRET",
    "SECRET_FILE",
    "build",
    "distinct_scores",
    "generator",
    "logits",
    "model_spec",
    "probabilities",
    "secret",
    "seed_for",
    "seeded",
    "targets",
    "uniform",
    "worker_seed",
]

PUBLIC_SECRET = "public-checks"
SECRET_FILE = "seed.txt"
_SECRETS: dict[Path, str] = {}


def secret() -> str:
    """The secret the hidden inputs' seeds derive from.

    ``GRADER_CHECK_SEED`` if set (a new term, a new set of inputs), else the
    first line of ``seed.txt`` in the assignment's checks folder (masked like
    the checks themselves, never shipped), else a public value: the student
    bundle's public checks draw inputs of their own.
    """
    value = os.environ.get("GRADER_CHECK_SEED")
    if value:
        return value
    folder = current().checks_dir
    if folder not in _SECRETS:
        try:
            text = (folder / SECRET_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            text = ""
        _SECRETS[folder] = text.splitlines()[0] if text else PUBLIC_SECRET
    return _SECRETS[folder]


def seed_for(name: str) -> int:
    """A 31-bit seed for the input called ``name``."""
    return _seed(secret(), name)


@functools.lru_cache(maxsize=8192)
def _seed(secret_value: str, name: str) -> int:
    digest = hashlib.sha256(f"{secret_value}:{name}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFF_FFFF


# Every submission's checks ask for the same named inputs: each is made once per
# judge (and secret) and handed out as a copy, so a check that changes its input
# in place changes nothing for the next submission.
_MADE: dict[tuple[Any, ...], Any] = {}
_MAX_MADE = 4096


def _kept(key: tuple[Any, ...], make: Callable[[], torch.Tensor]) -> torch.Tensor:
    key = (secret(), *key)
    value = _MADE.get(key)
    if value is None:
        value = make()
        if len(_MADE) < _MAX_MADE:
            _MADE[key] = value.clone()
        return value
    return value.clone()


def worker_seed(name: str) -> int:
    """A seed for the worker's generators that is never 0.

    The worker seeds torch with 0 before a call by default, so a function
    that should seed with 0 but skips it (``if seed:``) would build the same
    thing there; under another worker seed the skip shows.
    """
    return seed_for(name) or 1


def generator(name: str) -> torch.Generator:
    """A fresh CPU generator for ``name``."""
    return torch.Generator().manual_seed(seed_for(name))


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block under ``torch.manual_seed(seed)``, restoring the global RNG after it.

    For reference code that seeds the global generator itself (building a net
    with ``seed=``): the parent's RNG state is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        # Only the CPU generator matters here (and it is all fork_rng restores);
        # `torch.manual_seed` also queues seeds for absent GPUs, formatting a
        # stack trace for each (about 1 ms a call under pytest).
        torch.default_generator.manual_seed(seed)
        yield


def logits(name: str, *shape: int, scale: float = 2.0, shift: float = 0.0) -> torch.Tensor:
    """Normal values times ``scale`` plus ``shift``, float32."""
    return _kept(
        ("logits", name, shape, scale, shift),
        lambda: torch.randn(*shape, generator=generator(name)) * scale + shift,
    )


def uniform(name: str, *shape: int, low: float = -1.0, high: float = 1.0) -> torch.Tensor:
    """Uniform values in ``[low, high)``, float32."""
    return _kept(
        ("uniform", name, shape, low, high),
        lambda: torch.rand(*shape, generator=generator(name)) * (high - low) + low,
    )


def probabilities(name: str, *shape: int, low: float = 0.05, high: float = 0.95) -> torch.Tensor:
    """Probabilities safely inside (0, 1), float32."""
    return uniform(name, *shape, low=low, high=high)


def targets(name: str, n: int, num_classes: int, *, all_classes: bool = True) -> torch.Tensor:
    """``n`` int64 class labels below ``num_classes``; every class appears when it can."""
    return _kept(("targets", name, n, num_classes, all_classes),
                 lambda: _targets(name, n, num_classes, all_classes))  # fmt: skip


def _targets(name: str, n: int, num_classes: int, all_classes: bool) -> torch.Tensor:
    labels = torch.randint(num_classes, (n,), generator=generator(name))
    if all_classes and n >= num_classes:
        labels[:num_classes] = torch.randperm(num_classes, generator=generator(name + "/perm"))
        labels = labels[torch.randperm(n, generator=generator(name + "/order"))]
    return labels


def distinct_scores(name: str, n: int, k: int, *, gap: float = 0.05) -> torch.Tensor:
    """Scores whose row maxima beat the runner-up by at least ``gap`` (argmax has no ties)."""
    return _kept(("distinct", name, n, k, gap), lambda: _distinct(name, n, k, gap))


def _distinct(name: str, n: int, k: int, gap: float) -> torch.Tensor:
    scores = logits(name, n, k)
    top2 = scores.topk(2, dim=-1).values if k > 1 else None
    if top2 is not None:
        close = (top2[:, 0] - top2[:, 1]) < gap
        winners = scores.argmax(dim=-1)
        scores[close, winners[close]] += gap
    return scores


def model_spec(name: str, layers: list[list[Any]]) -> dict[str, Any]:
    """A model spec (``{"layers": ..., "state": ...}``) with weights drawn for ``name``.

    The state is explicit, so the worker's model and the parent's are the same
    whatever either side's RNG holds.
    """
    made = (secret(), "model", name, repr(layers))
    state = _MADE.get(made)
    if state is None:
        with seeded(seed_for(name)):
            model = build_model({"layers": layers})
        state = {key: value.detach().clone() for key, value in model.state_dict().items()}
        if len(_MADE) < _MAX_MADE:
            _MADE[made] = state
    return {"layers": layers, "state": {k: v.clone() for k, v in state.items()}}


def build(spec: dict[str, Any]) -> torch.nn.Sequential:
    """The parent's copy of the model in ``spec``, built without touching the global RNG."""
    with torch.random.fork_rng(devices=[]):
        return build_model(spec)
