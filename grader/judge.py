"""A judge process: grades the submissions it is sent, one at a time.

``grader grade --jobs N`` starts N of these. Each owns one sandbox host (one
torch import for its whole life) and writes each submission's reports itself,
atomically, before saying it is done, so a judge killed halfway never leaves a
half-written report and never loses one already written.

Protocol on stdin/stdout, one JSON object per line (trusted both ways: the
judge and the orchestrator are both the grader; student code is further down,
in the sandbox's workers):

    in:  {"path": "/abs/submission", "name": "alice"}
    out: {"name": "alice", "status": "graded", "score": 87.0}
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grader.grading import grade_path
from grader.reports import write_submission_reports
from grader.sandbox.client import SandboxHost
from grader.sandbox.errors import SandboxError


def serve(out_dir: Path, *, require: str | None, exercises: list[str] | None) -> int:
    try:
        host = SandboxHost(require=require, secrets=(out_dir,))
    except SandboxError as error:  # e.g. the required isolation level is out of reach
        print(json.dumps({"ready": False, "error": str(error)}), flush=True)
        return 3
    with host:
        print(json.dumps({"ready": True, "isolation": host.isolation.to_dict()}), flush=True)
        for line in sys.stdin:
            if not line.strip():
                continue
            job = json.loads(line)
            result = grade_path(Path(job["path"]), host, name=job["name"], exercises=exercises)
            write_submission_reports(result, out_dir)
            reply = {
                "name": result.submission,
                "status": result.status.value,
                "score": result.score,
            }
            print(json.dumps(reply), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.judge")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--require-isolation", default=None)
    parser.add_argument("--exercise", action="append", default=None)
    args = parser.parse_args(argv)
    return serve(args.out, require=args.require_isolation, exercises=args.exercise)


if __name__ == "__main__":
    raise SystemExit(main())
