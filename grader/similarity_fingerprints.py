"""The copydetect half of ``grader similarity``, run in a child with a fixed string hash.

copydetect hashes each k-gram with Python's built-in ``hash()``, which is
salted afresh in every process unless ``PYTHONHASHSEED`` is set; it has no
option of its own for a stable hash. :func:`grader.similarity.compare`
therefore runs this module as ``python -m grader.similarity_fingerprints``
with ``PYTHONHASHSEED=0``, so the same class always gets the same scores.

It reads one JSON job on stdin::

    {"noise": 25, "window": 6,
     "exercises": [{"stub": "...", "texts": ["...", ...], "past": [false, ...]}, ...]}

and writes, per exercise, which texts had nothing left once the stub's
fingerprints were removed, and each pair compared::

    [{"empty": [2], "pairs": [[i, j, overlap, share_i, share_j, slices_i, slices_j], ...]}]

Two past texts are not compared with each other. Nothing here runs the code
it reads: Pygments lexes it, copydetect hashes the tokens. The grader's own
process, not a student's, is the only one that runs this module.
"""

from __future__ import annotations

import io
import json
import math
import sys
from typing import Any

__all__ = ["fingerprint_job", "main"]


def fingerprint_job(job: dict[str, Any]) -> list[dict[str, Any]]:
    """Fingerprint and compare every exercise of ``job`` (the shape is in the module docstring)."""
    import copydetect
    import numpy as np

    noise, window = int(job["noise"]), int(job["window"])

    def fingerprint(text: str, boilerplate: Any) -> Any:
        return copydetect.CodeFingerprint(
            "code.py",  # the name only tells Pygments the language
            noise,
            window,
            boilerplate=np.array(sorted(boilerplate), dtype=np.int64),
            fp=io.StringIO(text),
        )

    results = []
    for exercise in job["exercises"]:
        boilerplate = fingerprint(exercise["stub"], ()).hashes
        prints = [fingerprint(text, boilerplate) for text in exercise["texts"]]
        past = exercise["past"]
        empty = [i for i, p in enumerate(prints) if p.token_coverage == 0]
        kept = [i for i in range(len(prints)) if i not in set(empty)]
        pairs = []
        for n, i in enumerate(kept):
            for j in kept[n + 1 :]:
                if past[i] and past[j]:
                    continue
                overlap, (share_i, share_j), (slices_i, slices_j) = copydetect.compare_files(
                    prints[i], prints[j]
                )
                pairs.append(
                    [i, j, int(overlap), _share(share_i), _share(share_j),
                     _regions(slices_i), _regions(slices_j)]
                )  # fmt: skip
        results.append({"empty": empty, "pairs": pairs})
    return results


def _share(value: Any) -> float:
    number = float(value)
    return 0.0 if math.isnan(number) else min(max(number, 0.0), 1.0)  # nan: nothing to share


def _regions(slices: Any) -> list[list[int]]:
    if len(slices) == 0 or len(slices[0]) == 0:
        return []
    return [[int(start), int(end)] for start, end in zip(slices[0], slices[1], strict=True)]


def main() -> int:
    json.dump(fingerprint_job(json.load(sys.stdin)), sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
