"""Which students one shard of a sharded class run grades (``--shard I/N`` or ``auto``).

A student belongs to shard ``sha256(id) mod N + 1``: the same student lands
in the same shard on every rerun whoever else joins the class, so each
shard's resume works, and shards never overlap. ``auto`` reads the shard
from the scheduler running the job: a Slurm job array
(``SLURM_ARRAY_TASK_ID`` with ``SLURM_ARRAY_TASK_COUNT``, ids counted from
``SLURM_ARRAY_TASK_MIN``), a Kubernetes Indexed Job (``JOB_COMPLETION_INDEX``,
0-based, with ``GRADER_SHARD_COUNT``: Kubernetes does not expose the
completion count) or a GitHub Actions matrix, which sets
``GRADER_SHARD_INDEX`` (1-based) and ``GRADER_SHARD_COUNT`` itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

__all__ = ["ShardError", "auto_shard", "in_shard", "parse_shard"]


class ShardError(ValueError):
    """The shard cannot be worked out; the message says which variable to set."""


def parse_shard(text: str, env: Mapping[str, str]) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4); ``"auto"`` -> :func:`auto_shard`."""
    if text == "auto":
        return auto_shard(env)
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ShardError(f"--shard {text!r} is not I/N or auto; for example --shard 2/4") from None
    if not 1 <= index <= count:
        raise ShardError(f"--shard {text}: I must be between 1 and N; for example --shard 1/4")
    return index, count


def _number(env: Mapping[str, str], name: str) -> int:
    try:
        return int(env[name])
    except ValueError:
        raise ShardError(f"{name}={env[name]!r} is not a whole number") from None


def auto_shard(env: Mapping[str, str]) -> tuple[int, int]:
    """(index from 1, count) from the scheduler's environment."""
    if "SLURM_ARRAY_TASK_ID" in env:
        if "SLURM_ARRAY_TASK_COUNT" not in env:
            raise ShardError("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")
        first = _number(env, "SLURM_ARRAY_TASK_MIN") if "SLURM_ARRAY_TASK_MIN" in env else 0
        index = _number(env, "SLURM_ARRAY_TASK_ID") - first + 1
        count = _number(env, "SLURM_ARRAY_TASK_COUNT")
    elif "JOB_COMPLETION_INDEX" in env:
        if "GRADER_SHARD_COUNT" not in env:
            raise ShardError(
                "JOB_COMPLETION_INDEX is set: set GRADER_SHARD_COUNT to the Job's completions"
            )
        index = _number(env, "JOB_COMPLETION_INDEX") + 1
        count = _number(env, "GRADER_SHARD_COUNT")
    elif "GRADER_SHARD_INDEX" in env and "GRADER_SHARD_COUNT" in env:
        index, count = _number(env, "GRADER_SHARD_INDEX"), _number(env, "GRADER_SHARD_COUNT")
    else:
        raise ShardError(
            "--shard auto found no shard: run it in a Slurm job array, a Kubernetes Indexed Job "
            "(with GRADER_SHARD_COUNT) or set GRADER_SHARD_INDEX and GRADER_SHARD_COUNT"
        )
    if not 1 <= index <= count:
        raise ShardError(f"--shard auto: shard {index} of {count} is out of range")
    return index, count


def in_shard(student_id: str, index: int, count: int) -> bool:
    """Whether ``student_id`` belongs to shard ``index`` of ``count``."""
    digest = hashlib.sha256(student_id.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count == index - 1
