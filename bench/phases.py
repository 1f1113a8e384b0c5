"""Where one judge's time goes: start-up, then each phase of grading one submission.

    .venv/bin/python bench/phases.py SUBMISSION [--repeat 8]      # JSON on stdout

Starts a real judge (``python -m grader.judge``, its own host template and
sandbox host, as a cold ``grader grade`` does) with ``GRADER_TIMINGS=1``, so
that its ready line and every reply carry what each phase took
(`grader/timings.py`). It grades SUBMISSION once to warm up (expected values,
first-use imports), then ``--repeat`` more times, and prints the start-up
phases, the first grading, and the mean of the others per phase, plus the
wall time of each request as the orchestrator sees it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _read(judge: subprocess.Popen[str]) -> dict[str, Any]:
    assert judge.stdout is not None
    line = judge.stdout.readline()
    if not line:
        raise SystemExit(f"the judge exited (code {judge.wait()})")
    reply: dict[str, Any] = json.loads(line)
    return reply


def measure(submission: Path, repeat: int) -> dict[str, Any]:
    """Start a judge, grade ``submission`` 1 + ``repeat`` times, return the phases."""
    out = Path(tempfile.mkdtemp(prefix="grader-phases-"))
    env = dict(os.environ, GRADER_TIMINGS="1", PYTHONUNBUFFERED="1")
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    started = time.perf_counter()
    judge = subprocess.Popen(
        [sys.executable, "-m", "grader.judge", "--out", str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert judge.stdin is not None
    try:
        ready = _read(judge)
        start_s = time.perf_counter() - started
        if not ready.get("ready"):
            raise SystemExit(f"the judge did not start: {ready.get('error')}")
        runs: list[dict[str, Any]] = []
        for i in range(repeat + 1):
            sent = time.perf_counter()
            judge.stdin.write(json.dumps({"path": str(submission), "name": f"s{i}"}) + "\n")
            judge.stdin.flush()
            reply = _read(judge)
            report = json.loads(reply["report"])
            runs.append(
                {
                    "wall": time.perf_counter() - sent,
                    "duration": report["duration"],
                    "score": reply["score"],
                    "checks": len(report["checks"]),
                    "timings": reply.get("timings", {}),
                }
            )
    finally:
        judge.stdin.close()
        judge.wait(timeout=60)
    warm = runs[1:] or runs
    phases: dict[str, float] = {}
    counts: dict[str, float] = {}
    for run in warm:
        for key, (seconds, count) in run["timings"].items():
            phases[key] = phases.get(key, 0.0) + seconds / len(warm)
            counts[key] = counts.get(key, 0.0) + count / len(warm)
    return {
        "start_wall": start_s,
        "start": {key: value[0] for key, value in ready.get("timings", {}).items()},
        "first": {"wall": runs[0]["wall"], "timings": runs[0]["timings"]},
        "wall": sum(run["wall"] for run in warm) / len(warm),
        "duration": sum(run["duration"] for run in warm) / len(warm),
        "checks": warm[0]["checks"],
        "score": warm[0]["score"],
        "phases": phases,
        "counts": counts,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submission", type=Path)
    parser.add_argument("--repeat", type=int, default=8)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.submission.resolve(), max(1, args.repeat))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
