"""--shard I/N and auto: stable by student id, never overlapping, read from the scheduler."""

from __future__ import annotations

import pytest

from grader.intake.shard import ShardError, in_shard, parse_shard

MIN_1 = {"SLURM_ARRAY_TASK_MIN": "1"}  # an array declared 1-4


def test_every_student_is_in_exactly_one_shard_whoever_else_joins() -> None:
    ids = [f"{n:05d}" for n in range(200)]
    shards = {i: {s for s in ids if in_shard(s, i, 4)} for i in range(1, 5)}
    assert set().union(*shards.values()) == set(ids)
    assert sum(len(s) for s in shards.values()) == len(ids)
    assert all(shards.values())  # no empty shard on 200 ids
    bigger = {s for s in [*ids, "new-1", "new-2"] if in_shard(s, 2, 4)}
    assert shards[2] <= bigger  # a late joiner moves nobody


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4"}, (4, 4)),  # ids from 0
        (
            {
                "SLURM_ARRAY_TASK_ID": "3",
                "SLURM_ARRAY_TASK_COUNT": "4",
                "SLURM_ARRAY_TASK_MIN": "1",
            },
            (3, 4),
        ),
        ({"JOB_COMPLETION_INDEX": "0", "GRADER_SHARD_COUNT": "3"}, (1, 3)),
        ({"GRADER_SHARD_INDEX": "2", "GRADER_SHARD_COUNT": "2"}, (2, 2)),  # a GitHub matrix
    ],
)
def test_auto_reads_the_scheduler(env: dict[str, str], expected: tuple[int, int]) -> None:
    assert parse_shard("auto", env) == expected


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("auto", {}, "found no shard"),
        ("auto", {"JOB_COMPLETION_INDEX": "1"}, "set GRADER_SHARD_COUNT"),
        ("auto", {"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"}, "not a whole number"),
        ("auto", {"GRADER_SHARD_INDEX": "3", "GRADER_SHARD_COUNT": "2"}, "out of range"),
        ("0/2", {}, "between 1 and N"),
        ("half", {}, "not I/N or auto"),
    ],
)
def test_a_shard_that_cannot_be_worked_out_says_what_to_set(
    text: str, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ShardError, match=message):
        parse_shard(text, env)
