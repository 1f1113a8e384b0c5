"""Time grading a whole class against the machine's floor: one `import torch`.

    make bench                                   # 30 submissions, --jobs 2
    .venv/bin/python bench/bench_class.py --n 60 --jobs 2 --check 5

Builds a class in a temp folder (correct submissions as modules, notebooks and
a zip; partial ones; one full submission per lesson mistake from
`tests/files/mistakes/`; the example class; a few broken ones), grades it with
the real CLI in a subprocess, and prints:

- wall time per submission, amortized over the class, and its ratio to one
  `python -c "import torch"` timed in the same run;
- beside it, a floor no grading path can beat: the CPU the checks and a
  full submission's code take in one warm process with no sandbox at all
  (with the worker's stand-ins), and that floor shared by the cores the
  class runs on, with no start-up: the wall time per submission no class
  of any size can go below; then what isolation alone adds (the CPU of one
  fresh worker that grades nothing) and, with the judge's start-up spread
  over the class, the least a class of 30 and of 300 can cost, beside the
  targets;
- one submission from a cold start (`grader grade ONE --out`), same ratio,
  beside its floor: the host template must import torch, pandas and
  scikit-learn; and the first run after a change to the grader, which also
  computes the expected values a judge then keeps on disk (the benchmark
  empties `grader/checks/.expected/` when it starts);
- the peak RSS of the largest process of the grading tree (sampled from /proc,
  cross-checked with RUSAGE_CHILDREN), against a bare torch process, and for
  the first and the second half of the run (it must not grow with the class),
  in a second class run: the runs that are timed are not sampled, since
  sampling takes CPU from the grader;
- whether every check's status and points in the class run equal those of the
  unoptimised path: each of `--check` submissions graded alone, by a fresh
  `grader grade SUB` process.

Exits 1 when a grade differs or the class run fails; the timing targets are
reported, not enforced (they depend on the machine and its load).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MISTAKES = REPO / "tests" / "files" / "mistakes"
EXAMPLES = REPO / "examples" / "class"
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

# Targets, as ratios to one `python -c "import torch"` timed in the same run:
# per submission for a class of 30 and of 300, one cold submission, and the
# largest process against a bare torch process.
CLASS_RATIO, CLASS_SECONDS = 0.10, 0.25
LARGE_CLASS, LARGE_CLASS_RATIO = 300, 0.06
COLD_RATIO = 1.5
MEMORY_RATIO = 1.5
SCALING = (30, 100, 300)


# ---------------------------------------------------------------- the class


def build_class(root: Path, n: int) -> list[Path]:
    """`n` submissions of every kind in `root`; returns their paths in grading order."""
    alice, bob = EXAMPLES / "alice", EXAMPLES / "bob"
    made: list[Path] = []

    def folder(name: str, base: Path | None = None, **files: str | Path) -> None:
        dest = root / name
        if base is not None:
            shutil.copytree(base, dest)
        else:
            dest.mkdir()
        for filename, content in files.items():
            target = dest / filename
            if isinstance(content, Path):
                shutil.copyfile(content, target)
            else:
                target.write_text(content, encoding="utf-8")
        made.append(dest)

    for example in sorted(EXAMPLES.iterdir()):  # modules, notebooks, nested, mixed
        shutil.copytree(example, root / example.name)
        made.append(root / example.name)
    for mistake in sorted(MISTAKES.iterdir()):  # a full submission with one mistake
        folder(f"m-{mistake.name}", alice, **{p.name: p for p in mistake.glob("*.py")})
    folder("partial-first-four", None, **{p.name: p for p in sorted(alice.glob("ex0[1-4]_*.py"))})
    folder("broken-syntax", alice, **{"ex03_forward_pass.py": "def softmax_manual(x:\n"})
    stray = (alice / "ex05_optimizer.py").read_text() + "\nraise RuntimeError('debugging')\n"
    folder("broken-import", alice, **{"ex05_optimizer.py": stray})
    folder("broken-notebook", bob, **{"ex02_regression_binary.ipynb": "{ not json"})
    folder("empty")
    archive = root / "zipped.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted(alice.glob("*.py")):
            handle.write(path, f"zipped/{path.name}")
    made.append(archive)
    extra = 0
    while len(made) < n:  # more correct submissions, alternating modules and notebooks
        extra += 1
        folder(f"extra-{extra:03d}", (alice, bob)[extra % 2])
    for path in made[n:]:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return made[:n]


# ---------------------------------------------------------------- measuring


@dataclass
class Tree:
    """Peak RSS per process of a process tree, sampled from /proc."""

    root: int
    peaks: dict[int, tuple[str, int]] = field(default_factory=dict)  # pid -> (role, kB)
    timeline: list[tuple[float, int]] = field(default_factory=list)  # (t, largest kB now)
    samples: int = 0

    def sample(self) -> None:
        parents: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    with open(f"/proc/{entry.name}/stat", "rb") as handle:
                        parents[int(entry.name)] = int(handle.read().rsplit(b")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
        children: dict[int, list[int]] = {}
        for pid, ppid in parents.items():
            children.setdefault(ppid, []).append(pid)
        todo, largest = [self.root], 0
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, ()))
            rss, hwm = _memory(pid)
            largest = max(largest, rss)
            if hwm and hwm > self.peaks.get(pid, ("", 0))[1]:
                self.peaks[pid] = (_role(pid), hwm)  # again: a process may exec
        self.timeline.append((time.perf_counter(), largest))
        self.samples += 1


def _memory(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in kB, zeros once the process is gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


_TEMPLATE = "sandbox/confined/template.py"  # in the command line of all three


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return int(handle.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError):
        return 0


def _role(pid: int) -> str:
    command = _cmdline(pid)
    if _TEMPLATE in command:  # the template, a host it forked, or a worker
        depth, ancestor = 0, _parent(pid)
        while _TEMPLATE in _cmdline(ancestor):
            depth, ancestor = depth + 1, _parent(ancestor)
        return ("host template", "sandbox host", "worker")[min(depth, 2)]
    if "grader.judge" in command:
        return "judge"
    if "grader" in command:
        return "orchestrator (CLI)"
    return command.split(" ", 1)[0].rsplit("/", 1)[-1] or "exiting"


@dataclass
class Run:
    seconds: float
    code: int
    tree: Tree
    maxrss_children_kb: int
    cpu_seconds: float  # user + system, every process of the tree (all were reaped)
    stderr: str


def run_measured(
    argv: list[str],
    *,
    interval: float = 0.1,
    env: dict[str, str] | None = None,
    sample: bool = True,
) -> Run:
    """Run `argv`, sampling its process tree's memory every `interval` seconds.

    With `sample=False` nothing runs beside it: a sample walks every process
    in /proc (a few ms of CPU each time, taken from the two cores the grader
    is using), so runs that are timed are not sampled.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    tree = Tree(process.pid)
    stop = threading.Event()

    def sampler() -> None:
        while not stop.is_set():
            tree.sample()
            stop.wait(interval)

    thread = threading.Thread(target=sampler, daemon=True)
    if sample:
        thread.start()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    stop.set()
    if sample:
        thread.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Run(seconds, process.returncode, tree, after.ru_maxrss, cpu, stderr)


def torch_import_seconds(python: str, modules: str = "torch") -> float:
    started = time.perf_counter()
    subprocess.run([python, "-c", f"import {modules}"], check=True)
    return time.perf_counter() - started


# What the host template must import before a worker can run a student's ex06
# and ex07 (the judge too, for the reference solutions, until their expected
# values are on disk: grader/checks/_cache.py).
LIBRARIES = "torch, pandas, sklearn.preprocessing"
# Where a judge keeps expected values between runs; emptied at the start, so the
# first run is timed as the first run after a change to the grader would be.
EXPECTED = REPO / "checks" / ".expected"


# The judging work itself, with no sandbox: the checks and the student's code
# (the example class's alice) in one warm process, the way the package's own
# tests run them (L0). No grading path can be cheaper per submission.
_IN_PROCESS = """
import os, sys, time
from pathlib import Path
import grader.judge
grader.judge._warm()
from grader.sandbox.confined import standins
standins.install()  # as every worker has them (torch.manual_seed without a stack trace)
from grader.intake import load_submission
from grader.runner import run_checks
sub = load_submission(Path(sys.argv[1]), name="floor")
sources = {name: src.source for name, src in sub.exercises.items()}
run_checks(sources)
times = os.times()
for _ in range(10):
    run_checks(sources)
after = os.times()
print((after.user + after.system - times.user - times.system) / 10)
"""


def in_process_cpu_seconds(python: str) -> float:
    """CPU seconds per submission for the checks and alice's code, in one process."""
    done = subprocess.run(
        [python, "-c", _IN_PROCESS, str(EXAMPLES / "alice")],
        check=True, capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


# What isolation itself costs per submission, whatever the checks do: one fresh
# worker (forked from the sandbox host, one tiny module imported, one call, then
# swept). CPU of the template, its host and the workers they reaped, plus this
# process's own (the judge's side of the session).
_ISOLATION = """
import os, sys
sys.path.insert(0, "bench")
from bench_class import sandbox_cpu_seconds
from grader.sandbox.trusted.client import SandboxHost
SOURCE = {"m": "def f():\\n    return 1\\n"}
def cpu():
    times = os.times()
    return sandbox_cpu_seconds() + times.user + times.system
with SandboxHost() as host:
    def one():
        with host.submission(SOURCE) as sub:
            sub.exercise("m").call("f")
    for _ in range(3):
        one()
    before, runs = cpu(), 40
    for _ in range(runs):
        one()
    print((cpu() - before) / runs)
"""


def sandbox_cpu_seconds() -> float:
    """CPU so far of every template, host and worker, with the children they reaped."""
    total = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and _TEMPLATE in _cmdline(int(entry.name)):
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
                total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
            except (OSError, IndexError, ValueError):
                continue
    return total / os.sysconf("SC_CLK_TCK")


def isolation_cpu_seconds(python: str) -> float:
    """CPU seconds one fresh worker costs a submission, with nothing to grade in it."""
    done = subprocess.run(
        [python, "-c", _ISOLATION],
        check=True, capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


def bare_torch_kb(python: str) -> int:
    code = "import resource, torch; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    return int(
        subprocess.run([python, "-c", code], check=True, capture_output=True, text=True).stdout
    )


def phase_breakdown(python: str, submission: Path) -> dict[str, Any]:
    """One judge's start-up and per-phase grading of `submission` (bench/phases.py)."""
    done = subprocess.run(
        [python, str(Path(__file__).with_name("phases.py")), str(submission)],
        check=True, capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def breakdown_rows(data: dict[str, Any], torch_s: float) -> list[tuple[str, ...]]:
    """The per-phase table: start-up, then one warm submission, exercise by exercise."""
    phases: dict[str, float] = data["phases"]

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.1f} ms"

    def share(seconds: float) -> str:
        return f"{seconds / torch_s:.3f}"

    def total(prefix: str) -> float:
        return sum(v for k, v in phases.items() if k == prefix or k.startswith(prefix + "."))

    start = data["start"]
    rows: list[tuple[str, ...]] = [("phase", "time", "x torch import", "")]
    rows.append(("judge start-up, to ready (cold)", ms(data["start_wall"]),
                 share(data["start_wall"]), ""))  # fmt: skip
    for key, label in (
        ("start.host", "  host template + sandbox host (imports run beside it)"),
        ("start.imports", "  judging imports still running after the host"),
        ("start.collect", "  collecting the checks"),
    ):
        rows.append((label, ms(start.get(key, 0.0)), share(start.get(key, 0.0)), ""))
    rows.append(("first submission (expected values, first-use imports)",
                 ms(data["first"]["wall"]), share(data["first"]["wall"]), ""))  # fmt: skip
    wall = data["wall"]
    rows.append((f"one warm submission, {data['checks']} checks: request to reply", ms(wall),
                 share(wall), f"score {data['score']:g}"))  # fmt: skip
    run = total("run")
    session = data["duration"] - run  # a report's duration starts after intake
    for label, seconds in (
        ("  intake (read files, convert notebooks)", total("intake")),
        ("  sandbox session (inbox, sweep)", session),
        ("  the checks, with the worker's fork and imports their first calls wait for",
         total("checks")),
        ("    worker fork", total("fork")),
        ("    module imports in the worker", total("import")),
        ("  pytest between checks", run - total("checks")),
        ("  reports (render, write, digest)", total("reports")),
        ("  the judge's loop and pipes",
         wall - data["duration"] - total("intake") - total("reports")),
    ):
        rows.append((label, ms(seconds), share(seconds), ""))
    exercises = sorted({k.split(".", 1)[1] for k in phases if k.startswith("checks.")})
    for exercise in exercises:
        checks = phases.get(f"checks.{exercise}", 0.0)
        calls = phases.get(f"calls.{exercise}", 0.0)
        codec = phases.get(f"codec.{exercise}", 0.0)
        reference = phases.get(f"reference.{exercise}", 0.0)
        count = data["counts"].get(f"calls.{exercise}", 0)
        loading = phases.get(f"import.{exercise}", 0.0) + phases.get(f"fork.{exercise}", 0.0)
        rest = checks - calls - codec - reference - loading
        rows.append((f"    {exercise}", ms(checks), share(checks),
                     f"import {ms(loading)}, calls {ms(calls)} ({count:.0f}), codec {ms(codec)}, "
                     f"reference {ms(reference)}, check code + pytest {ms(rest)}"))  # fmt: skip
    return rows


# ---------------------------------------------------------------- comparing


def load_checks(report: Path) -> tuple[str, dict[str, tuple[str, float]]]:
    data = json.loads(report.read_text(encoding="utf-8"))
    checks = {c["id"]: (c["status"], float(c["points"])) for c in data.get("checks", [])}
    return data.get("status", "?"), checks


def differences(name: str, ours: Path, theirs: Path) -> list[str]:
    if not ours.is_file() or not theirs.is_file():
        return [f"{name}: report missing ({ours if not ours.is_file() else theirs})"]
    status_a, checks_a = load_checks(ours)
    status_b, checks_b = load_checks(theirs)
    found = []
    if status_a != status_b:
        found.append(f"{name}: submission status {status_a} in the class run, {status_b} alone")
    for check in sorted(set(checks_a) | set(checks_b)):
        a, b = checks_a.get(check), checks_b.get(check)
        if a != b:
            found.append(f"{name}: {check}: {a} in the class run, {b} alone")
    return found


def pick_subset(paths: list[Path], k: int) -> list[Path]:
    """`k` submissions of different kinds, spread over the class."""
    wanted = [
        "alice",
        "bob",
        "m-softmax_twice",
        "broken-import",
        "dave",
        "zipped.zip",
        "m-missing_zero_grad",
        "erin",
        "broken-notebook",
        "carol",
    ]
    by_name = {p.name: p for p in paths}
    chosen = [by_name[w] for w in wanted if w in by_name][:k]
    for path in paths:
        if len(chosen) >= k:
            break
        if path not in chosen:
            chosen.append(path)
    return chosen


# ---------------------------------------------------------------- report


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(
                cell.ljust(w) if i in (0, len(row) - 1) else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=30, help="submissions in the class (default 30)")
    parser.add_argument("--jobs", type=int, default=2, help="grader --jobs (default 2)")
    parser.add_argument(
        "--check",
        type=int,
        default=5,
        help="submissions regraded alone to compare grades (default 5)",
    )
    parser.add_argument(
        "--against",
        type=Path,
        metavar="CHECKOUT",
        help="also grade the class with the grader in CHECKOUT (say, `git worktree` of the "
        "last release) and compare every grade and the time",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder and print it")
    parser.add_argument(
        "--no-scaling",
        action="store_true",
        help=f"skip the classes of {', '.join(map(str, SCALING))} with 1 and 2 jobs",
    )
    args = parser.parse_args(argv)

    load = os.getloadavg()
    python = sys.executable
    script = Path(python).with_name("grader")
    grader = [str(script)] if script.exists() else [python, "-m", "grader.cli"]
    work = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    try:
        class_dir = work / "class"
        class_dir.mkdir()
        paths = build_class(class_dir, args.n)
        torch_runs = [torch_import_seconds(python)]
        bare_kb = bare_torch_kb(python)
        shutil.rmtree(EXPECTED, ignore_errors=True)
        first_run = run_measured(
            [*grader, "grade", str(paths[0]), "--out", str(work / "first"), "-q"], sample=False
        )

        out = work / "out"

        def grade_whole_class(
            into: Path, env: dict[str, str] | None = None, *, sample: bool
        ) -> Run:
            command = [*grader, "grade", "--class", str(class_dir), "--out", str(into)]
            command += ["--jobs", str(args.jobs), "--no-resume", "-q"]
            what = "sampling memory" if sample else "timed"
            print(f"grading {len(paths)} submissions, --jobs {args.jobs} ({what})", file=sys.stderr)
            return run_measured(command, env=env, sample=sample)

        # Timed and sampled in separate runs: sampling takes CPU from the grader.
        whole = grade_whole_class(out, sample=False)
        sampled = grade_whole_class(work / "out-sampled", sample=True)
        for run in (whole, sampled):
            if run.code != 0:
                print(run.stderr, file=sys.stderr)
                print(f"error: the class run exited with code {run.code}", file=sys.stderr)
                return 1
        torch_runs.append(torch_import_seconds(python))
        before: Run | None = None
        before_sampled: Run | None = None
        if args.against is not None:
            env = dict(os.environ, PYTHONPATH=str(args.against.resolve()))
            before = grade_whole_class(work / "against", env, sample=False)
            before_sampled = grade_whole_class(work / "against-sampled", env, sample=True)

        subset = pick_subset(paths, args.check)
        alone: list[tuple[Path, Run]] = []
        for path in subset:  # the unoptimised path: one fresh grader per submission
            alone.append(
                (
                    path,
                    run_measured(
                        [
                            *grader,
                            "grade",
                            str(path),
                            "--out",
                            str(work / "alone" / path.name),
                            "-q",
                        ],
                        sample=False,
                    ),
                )
            )
        torch_runs.append(torch_import_seconds(python))
        libraries_s = statistics.median(torch_import_seconds(python, LIBRARIES) for _ in range(3))
        in_process_s = in_process_cpu_seconds(python)
        isolation_s = isolation_cpu_seconds(python)
        print("one judge, phase by phase", file=sys.stderr)
        breakdown = phase_breakdown(python, EXAMPLES / "alice")

        scaling: dict[tuple[int, int], Run] = {(len(paths), args.jobs): whole}
        for size in () if args.no_scaling else SCALING:
            sized = work / f"class-{size}"
            if not sized.exists():
                sized.mkdir()
                build_class(sized, size)
            for jobs in (1, 2):
                if (size, jobs) in scaling:
                    continue
                print(f"grading {size} submissions, --jobs {jobs} (scaling)", file=sys.stderr)
                scaling[size, jobs] = run_measured(
                    [*grader, "grade", "--class", str(sized), "--jobs", str(jobs),
                     "--out", str(work / f"s-{size}-{jobs}"), "--no-resume", "-q"],
                    sample=False,
                )  # fmt: skip
        torch_runs.append(torch_import_seconds(python))

        problems: list[str] = []
        for path, run in alone:
            if run.code != 0:
                problems.append(f"{path.name}: grading alone exited with code {run.code}")
                continue
            name = next(
                (p.parent.name for p in (work / "alone" / path.name).glob("*/report.json")),
                path.stem,
            )
            problems += differences(
                name, out / name / "report.json", work / "alone" / path.name / name / "report.json"
            )

        # the first run computed every expected value; the class read them from disk
        if first_run.code != 0:
            problems.append(f"{paths[0].name}: the first run exited with code {first_run.code}")
        for report in (work / "first").glob("*/report.json"):
            problems += differences(report.parent.name, out / report.parent.name / "report.json",
                                    report)  # fmt: skip

        against_problems: list[str] = []
        if before is not None:
            if before.code != 0:
                against_problems.append(f"the class run with {args.against} failed")
            for report in sorted(out.glob("*/report.json")):
                name = report.parent.name
                against_problems += differences(
                    name, report, work / "against" / name / "report.json"
                )

        torch_s = statistics.median(torch_runs)
        per_sub = whole.seconds / len(paths)
        cores = min(args.jobs, len(os.sched_getaffinity(0)))  # what the class can run on at once
        cold = next(run for path, run in alone if path.name == subset[0].name)
        cold_all = [run.seconds for _, run in alone]
        _, (peak_role, peak_kb) = max(sampled.tree.peaks.items(), key=lambda kv: kv[1][1])
        timeline = sampled.tree.timeline
        middle = timeline[0][0] + (timeline[-1][0] - timeline[0][0]) / 2
        first = max((kb for t, kb in timeline if t <= middle), default=0)
        second = max((kb for t, kb in timeline if t > middle), default=0)
        roles: dict[str, int] = {}
        for role, kb in sampled.tree.peaks.values():
            roles[role] = max(roles.get(role, 0), kb)

        print()
        print(
            f"machine: {os.cpu_count()} cores; load average before: "
            f"{', '.join(f'{x:.2f}' for x in load)}; torch import "
            f"{', '.join(f'{s:.2f}' for s in torch_runs)} s (median {torch_s:.2f} s)"
        )
        rows = [
            ("measure", "value", "x torch import", "target", ""),
            (
                f"class of {len(paths)}, --jobs {args.jobs}: total",
                f"{whole.seconds:.2f} s",
                f"{whole.seconds / torch_s:.2f}",
                "",
                "",
            ),
            (
                "  CPU time of every process, per submission",
                f"{whole.cpu_seconds / len(paths):.3f} s",
                f"{whole.cpu_seconds / len(paths) / torch_s:.3f}",
                "",
                "",
            ),
            (
                "  per submission, amortized",
                f"{per_sub:.3f} s",
                f"{per_sub / torch_s:.3f}",
                f"<= {CLASS_SECONDS} s",
                verdict(per_sub <= CLASS_SECONDS),
            ),
            (
                "  the same, as a ratio to one torch import",
                "",
                f"{per_sub / torch_s:.3f}",
                f"<= {CLASS_RATIO}x",
                verdict(per_sub / torch_s <= CLASS_RATIO),
            ),
            (
                "  floor: CPU per submission with no sandbox (in-process, L0)",
                f"{in_process_s:.3f} s",
                f"{in_process_s / torch_s:.3f}",
                "",
                "",
            ),
            (
                f"  that floor shared by {cores} cores, no start-up: the best a class can do",
                f"{in_process_s / cores:.3f} s",
                f"{in_process_s / cores / torch_s:.3f}",
                "",
                "",
            ),
            (
                "  isolation alone: CPU of one fresh worker (fork, import, one call, exit)",
                f"{isolation_s:.3f} s",
                f"{isolation_s / torch_s:.3f}",
                "",
                "",
            ),
            *(
                (
                    f"  least a class of {size} can cost: (floor + isolation) / {cores} cores"
                    " + start-up / class",
                    f"{bound:.3f} s",
                    f"{bound / torch_s:.3f}",
                    f"target {ratio}x",
                    "unreachable" if bound / torch_s > ratio
                    else f"{1 - bound / torch_s / ratio:.0%} left",  # for all the rest
                )
                for size, ratio in ((len(paths), CLASS_RATIO), (LARGE_CLASS, LARGE_CLASS_RATIO))
                for bound in [
                    (in_process_s + isolation_s) / cores + breakdown["start_wall"] / size
                ]
            ),
            *(
                (
                    f"class of {LARGE_CLASS}, --jobs {args.jobs}: per submission",
                    f"{large.seconds / LARGE_CLASS:.3f} s",
                    f"{large.seconds / LARGE_CLASS / torch_s:.3f}",
                    f"<= {LARGE_CLASS_RATIO}x",
                    verdict(large.seconds / LARGE_CLASS / torch_s <= LARGE_CLASS_RATIO),
                )
                for large in [scaling.get((LARGE_CLASS, args.jobs))]
                if large is not None
            ),
            (
                f"one submission, cold start ({subset[0].name})",
                f"{cold.seconds:.2f} s",
                f"{cold.seconds / torch_s:.2f}",
                f"<= {COLD_RATIO}x",
                verdict(cold.seconds / torch_s <= COLD_RATIO),
            ),
            (
                "  the same, the first run after a change (no expected values on disk)",
                f"{first_run.seconds:.2f} s",
                f"{first_run.seconds / torch_s:.2f}",
                "",
                "",
            ),
            (
                f"  cold starts of the {len(cold_all)} regraded, median",
                f"{statistics.median(cold_all):.2f} s",
                f"{statistics.median(cold_all) / torch_s:.2f}",
                "",
                "",
            ),
            (
                f"  floor: python -c 'import {LIBRARIES}'",
                f"{libraries_s:.2f} s",
                f"{libraries_s / torch_s:.2f}",
                "",
                "",
            ),
            ("python -c 'import torch' peak RSS", f"{bare_kb / 1024:.0f} MB", "", "", ""),
            (
                f"largest process peak RSS ({peak_role})",
                f"{peak_kb / 1024:.0f} MB",
                f"{peak_kb / bare_kb:.2f} x bare",
                f"< {MEMORY_RATIO} x bare",
                verdict(peak_kb < MEMORY_RATIO * bare_kb),
            ),
            (
                "  RUSAGE_CHILDREN max RSS (all runs)",
                f"{sampled.maxrss_children_kb / 1024:.0f} MB",
                f"{sampled.maxrss_children_kb / bare_kb:.2f} x bare",
                "",
                "",
            ),
            (
                "  largest RSS, 1st half / 2nd half of the run",
                f"{first / 1024:.0f} / {second / 1024:.0f} MB",
                "",
                "2nd <= 1st + 5%",
                verdict(second <= first * 1.05),
            ),
            (
                f"grades equal to grading alone ({len(subset) + 1} runs)",
                "yes" if not problems else f"{len(problems)} differences",
                "",
                "identical",
                verdict(not problems),
            ),
        ]
        if before is not None:
            assert before_sampled is not None
            before_role, before_kb = max(before_sampled.tree.peaks.values(), key=lambda v: v[1])
            rows += [
                (
                    f"the same class graded by {args.against}: total",
                    f"{before.seconds:.2f} s",
                    f"{before.seconds / torch_s:.2f}",
                    "",
                    "",
                ),
                (
                    "  per submission, amortized / CPU per submission",
                    f"{before.seconds / len(paths):.3f} / {before.cpu_seconds / len(paths):.3f} s",
                    f"{before.seconds / len(paths) / torch_s:.3f}",
                    "",
                    "",
                ),
                (
                    f"  its largest process peak RSS ({before_role})",
                    f"{before_kb / 1024:.0f} MB",
                    "",
                    "",
                    "",
                ),
                (
                    f"grades equal to {args.against}'s ({len(paths)} submissions)",
                    "yes" if not against_problems else f"{len(against_problems)} differences",
                    "",
                    "identical",
                    verdict(not against_problems),
                ),
            ]
        print(table(rows))
        print()
        print("Where the time goes (bench/phases.py: one judge, alice's submission)")
        print(table(breakdown_rows(breakdown, torch_s)))
        if len(scaling) > 1:
            print()
            print("How the cost grows")
            scale_rows: list[tuple[str, ...]] = [
                ("class", "--jobs", "wall", "submissions/s", "per submission x torch", "CPU/sub")
            ]
            for (size, jobs), run in sorted(scaling.items()):
                failed = "" if run.code == 0 else f" (exit {run.code})"
                scale_rows.append((str(size), str(jobs), f"{run.seconds:.1f} s{failed}",
                                   f"{size / run.seconds:.1f}",
                                   f"{run.seconds / size / torch_s:.3f}",
                                   f"{run.cpu_seconds / size:.3f} s"))  # fmt: skip
            print(table(scale_rows))
        print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print()
        print(
            "peak RSS by role: "
            + ", ".join(f"{role} {kb / 1024:.0f} MB" for role, kb in sorted(roles.items()))
        )
        print(
            f"memory samples: {sampled.tree.samples} (in a second class run, not the timed one); "
            f"processes seen: {len(sampled.tree.peaks)}"
        )
        print("regraded alone: " + ", ".join(f"{p.name} {r.seconds:.2f} s" for p, r in alone))
        for problem in problems + against_problems:
            print(f"DIFFERENT: {problem}")
        if args.keep:
            print(f"kept: {work}")
        return 1 if problems or against_problems else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
