"""The adversarial corpus (``tests/files/adversarial``): loading, judging, invariants.

Each fixture folder ``<row>-<slug>/`` holds a submission (usually one
``ex08_activations.py`` built from the reference code with one hostile change,
or a notebook, or a ``submission.zip``) and an ``expected.json``:

``row``, ``section``, ``title``
    the catalogue row (``docs/threats.md``, Catalogue) it reproduces.
``level``
    the lowest isolation level whose layers defend the row ("L1", "L2", "L3");
    below it the fixture is skipped, with ``level_reason`` saying why.
``exercises``
    the exercises graded (the first is the one the fixture attacks; any others
    are copies of the reference solutions and must keep full marks).
``expect``
    per function: allowed ``status`` values, a ``reason`` code (``REASONS``:
    each code fixes the status and the shape of the message), words the
    message must contain (``message_contains``; ``message_contains_any`` for
    alternatives, where layers differ: a read-only mount says "Read-only file
    system", Landlock "Permission denied") or must not contain.
``others``
    ``"passed"``: every check not named in ``expect`` must pass (blast radius).
``max_score`` / ``min_score``
    bounds on the submission's score; for a forgery (``forgery: true``)
    ``max_score`` is the honest-wrong baseline, and the tests check that a
    baseline submission really scores exactly that.
Optional: ``status: "not_gradable"`` with ``reason_contains``; ``notes_contain``;
``report_excludes``; ``parent_files_absent``; ``submission`` (a path inside the
folder); ``generate`` (built at test time: files too big or too odd to commit);
``note`` and ``gap`` (what is not defended, honestly).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import stat
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.model import CheckResult, SubmissionResult, SubmissionStatus
from grader.sandbox.trusted.client import Limits, SandboxHost

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "files" / "adversarial"
TOUCHED = "ex08_activations"

# Small limits keep the corpus quick and safe on a 2-core machine. The host
# itself maps ~0.9 GiB of virtual memory (torch, numpy, pandas, sklearn), so
# 3 GiB of address space leaves real room for student code.
LIMITS = Limits(
    import_timeout=3.0,
    cell_timeout=1.0,
    call_timeout=1.0,
    cpu_seconds=20,
    memory_bytes=3 << 30,
    file_bytes=1 << 20,
    open_files=64,
    output_bytes=64 << 10,
    value_bytes=16 << 20,
    restarts=3,
    processes=64,
)

# reason code -> (status, message pattern); "{function}" is the checked function.
REASONS: dict[str, tuple[str, str | None]] = {
    "import_timeout": (
        "timeout",
        r"^timed out after [\d.]+ s while importing \S+( \(it was still running .+\))?$",
    ),
    "call_timeout": ("timeout", r"^timed out after [\d.]+ s while running `{function}`$"),
    "memory": ("crashed", r"^memory limit exceeded while running `{function}`$"),
    "import_memory": ("crashed", r"^memory limit exceeded while importing \S+$"),
    "exited_import": ("crashed", r"^\S+ exited during import\b"),
    "exited_call": (
        "crashed",
        r"^worker exited without returning \(exit code \d+\) while running `{function}`$",
    ),
    "crashed": ("crashed", r"^worker crashed \(.+\) while running `{function}`$"),
    "unstable": ("crashed", r"^worker unstable: restarted \d+ times after failures in \S+"),
    "raised": ("error", r"^[A-Za-z_][\w.]*(: |$| \()"),
    "unsupported": ("error", r"^unsupported return type `[^`]+` \(from `{function}`\)$"),
    "rejected": ("error", r" \(from `{function}`\)$"),
    "too_large": ("error", r"^return value too large .*\(from `{function}`\)$"),
    "too_deep": ("error", r"^return value nested too deeply .*\(from `{function}`\)$"),
    "not_found": ("error", r"^function `{function}` not found in \S+$"),
    "syntax": ("error", r"^could not import \S+: SyntaxError: "),
    "import_error": ("error", r"^could not import \S+: "),
    "missing": ("error", r" was not found in your submission$"),
    "notebook_unparsable": ("error", r"^\S+\.ipynb: Notebook could not be parsed: "),
    "notebook_too_large": ("error", r"^\S+\.ipynb is [\d.]+ MB, over the [\d.]+ MB limit"),
    "wrong_value": ("failed", None),
}


@dataclass(frozen=True)
class Fixture:
    name: str
    folder: Path
    spec: dict[str, Any]

    @property
    def level(self) -> str:
        return str(self.spec["level"])

    @property
    def exercises(self) -> list[str]:
        return list(self.spec["exercises"])

    @property
    def control(self) -> bool:
        return self.spec["row"] is None

    def touched(self) -> list[str]:
        """Functions the hostile change touches: what the honest baseline gets wrong."""
        if self.spec.get("status") == "not_gradable":
            return []
        return [entry["function"] for entry in self.spec["expect"]]


def load_corpus() -> list[Fixture]:
    """Every fixture, rows in order, the two controls last (they then also show
    that nothing a hostile fixture did leaked into the judge's memoised values)."""
    fixtures = [
        Fixture(folder.name, folder, json.loads((folder / "expected.json").read_text()))
        for folder in sorted(CORPUS.iterdir())
        if (folder / "expected.json").is_file()
    ]
    return sorted(fixtures, key=lambda f: (f.control, f.name))


# ------------------------------------------------------------------ submissions


def submission_path(fixture: Fixture, scratch: Path) -> Path:
    """Where the fixture's submission is; `generate` fixtures are built under `scratch`."""
    how = fixture.spec.get("generate")
    if how is None:
        return fixture.folder / fixture.spec.get("submission", ".")
    target = scratch / fixture.name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    if how == "huge_notebook":
        cells = [
            {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": CONTROL_SOURCE,
             "outputs": [{"output_type": "display_data", "metadata": {},
                          "data": {"image/png": "iVBORw0KGgo" + "A" * (21 << 20)}}]},
        ]  # fmt: skip
        notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        (target / f"{TOUCHED}.ipynb").write_text(json.dumps(notebook))
    elif how == "symlink_folder":
        (target / f"{TOUCHED}.py").symlink_to(REPO / "solutions" / f"{TOUCHED}.py")
    else:
        raise ValueError(f"{fixture.name}: unknown generator {how!r}")
    return target


CONTROL_SOURCE = (CORPUS / "control-correct" / f"{TOUCHED}.py").read_text()


def baseline_submission(fixture: Fixture, scratch: Path) -> Path:
    """The honest-wrong twin of a fixture: the control code with the touched
    functions left as `raise NotImplementedError`, other exercises correct."""
    target = scratch / f"baseline-{fixture.name}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    (target / f"{TOUCHED}.py").write_text(stub_functions(CONTROL_SOURCE, fixture.touched()))
    for exercise in fixture.exercises:
        if exercise != TOUCHED:
            shutil.copy(REPO / "solutions" / f"{exercise}.py", target / f"{exercise}.py")
    return target


def stub_functions(source: str, names: Iterable[str]) -> str:
    wanted = set(names)
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in wanted:
            node.body = [ast.Raise(exc=ast.Name("NotImplementedError", ast.Load()), cause=None)]
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


# ------------------------------------------------------------------ judging


def judge(fixture: Fixture, result: SubmissionResult) -> list[str]:
    """Everything wrong with `result` against the fixture's expected.json."""
    spec = fixture.spec
    problems: list[str] = []
    if spec.get("status") == "not_gradable":
        if result.status is not SubmissionStatus.NOT_GRADABLE:
            problems.append(f"expected not_gradable, got {result.status.value}")
        for words in spec.get("reason_contains", ()):
            if words not in (result.reason or ""):
                problems.append(f"reason {result.reason!r} lacks {words!r}")
        return problems
    if result.status is not SubmissionStatus.GRADED:
        return [f"expected graded, got {result.status.value}: {result.reason}"]
    graded = {check.exercise for check in result.checks}
    if graded != set(fixture.exercises):
        problems.append(f"graded exercises {sorted(graded)}, expected {fixture.exercises}")
    named: set[tuple[str, str]] = set()
    for entry in spec["expect"]:
        key = (fixture.exercises[0], entry["function"])
        named.add(key)
        checks = [c for c in result.checks if (c.exercise, c.function) == key]
        if not checks:
            problems.append(f"no checks ran for {key}")
        for check in checks:
            problems.extend(_judge_check(check, entry))
    if spec.get("others") == "passed":
        for check in result.checks:
            if (check.exercise, check.function) not in named and not check.passed:
                problems.append(f"{check.id} should pass: {check.status.value}: {check.message}")
    if result.score > spec["max_score"]:
        problems.append(f"score {result.score} above the bound {spec['max_score']}")
    if "min_score" in spec and result.score < spec["min_score"]:
        problems.append(f"score {result.score} below {spec['min_score']}")
    notes = "\n".join([*result.notes, *(n for o in result.outcomes for n in o.notes)])
    for words in spec.get("notes_contain", ()):
        if words not in notes:
            problems.append(f"notes lack {words!r}: {notes[:500]!r}")
    return problems


def _judge_check(check: CheckResult, entry: dict[str, Any]) -> list[str]:
    problems = []
    where = f"{check.id} ({check.status.value}: {check.message[:300]!r})"
    if check.status.value not in entry["status"]:
        problems.append(f"{where}: status not in {entry['status']}")
    status, pattern = REASONS[entry["reason"]]
    if check.status.value == status and pattern is not None:
        regex = pattern.replace("{function}", re.escape(entry["function"]))
        if not re.search(regex, check.message):
            problems.append(f"{where}: message does not match {entry['reason']} /{regex}/")
    for words in entry.get("message_contains", ()):
        if words not in check.message:
            problems.append(f"{where}: message lacks {words!r}")
    for group in entry.get("message_contains_any", ()):
        if not any(words in check.message for words in group):
            problems.append(f"{where}: message lacks all of {group}")
    for words in entry.get("message_excludes", ()):
        if words in check.message:
            problems.append(f"{where}: message contains {words!r}")
    if check.passed or check.points != 0:
        problems.append(f"{where}: a failing check kept {check.points} points")
    return problems


# ------------------------------------------------------------------ invariants


def processes_below(root: int) -> set[tuple[int, int, str]]:
    """(pid, start time, command) of every live process descending from `root`."""
    parent: dict[int, int] = {}
    info: dict[int, tuple[int, str, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text(errors="replace")
        except OSError:
            continue
        head, _, tail = raw.rpartition(")")
        fields = tail.split()
        pid = int(entry)
        parent[pid] = int(fields[1])
        info[pid] = (int(fields[19]), fields[0], head.partition("(")[2])
    found = set()
    for pid, (started, state, command) in info.items():
        if state in "ZX":
            continue
        ancestor = parent.get(pid)
        while ancestor is not None and ancestor != root and ancestor > 1:
            ancestor = parent.get(ancestor)
        if ancestor == root:
            found.add((pid, started, command))
    return found


def host_pid(host: SandboxHost) -> int:
    """The sandbox host's pid as seen from here (at L3 it is 1 inside its own namespace)."""
    process = host._state.process  # test-only peek: the host the template forked
    assert process is not None
    return process.pid


def cgroup_tasks(host: SandboxHost) -> set[int] | None:
    """Processes in the host's pids cgroup (None without one)."""
    cgroup = host._state.cgroup
    if cgroup is None:
        return None
    return {int(line) for line in (cgroup / "cgroup.procs").read_text().split()}


def scratch_entries(host: SandboxHost) -> list[str]:
    """What is left in the workers' scratch root (inside the host's mount namespace at L3)."""
    if "mountns" in host.isolation.layers:
        folder = Path(f"/proc/{host_pid(host)}/root/tmp/scratch")
    else:
        folder = host.scratch
    return sorted(os.listdir(folder))


_WATCHED = ("grader", "solutions", "tests/files")


def tree_digest() -> dict[str, str]:
    """A digest per file of the grader's trees, plus the venv's site-packages names."""
    digests: dict[str, str] = {}
    for top in _WATCHED:
        for folder, dirs, files in os.walk(REPO / top):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in [*files, *(d for d in dirs if os.path.islink(os.path.join(folder, d)))]:
                path = Path(folder, name)
                info = path.lstat()
                if stat.S_ISLNK(info.st_mode):
                    digest = "link:" + os.readlink(path)
                else:
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()
                digests[str(path.relative_to(REPO))] = f"{stat.S_IFMT(info.st_mode)}:{digest}"
    site = Path(sysconfig.get_paths()["purelib"])
    digests["<site-packages>"] = hashlib.sha256(
        "\n".join(sorted(os.listdir(site))).encode()
    ).hexdigest()
    return digests


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
