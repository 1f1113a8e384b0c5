"""``grader release OUT``: the folder students get.

```
OUT/
  README.md              how to work, how to run `grader check`, what is graded
  pyproject.toml         `pip install -e .` gives the `grader` command, with the course's pins
  exercises/             the stubs and notebooks generated from solutions/
  datasets/ ...          the assignment's data files, at their own paths
  grader/                what `grader check` needs and nothing more (see below)
    _released_stubs/     the untouched stubs, so intake can tell them from a student's work
    _assignment/         the assignment file as the course wrote it (nothing in it is
                         hidden), its probe files, and checks/: the public checks only,
                         cut out of the real ones
  .grader-release.json   what was released; also what lets --force replace an old release
```

``grader/`` is an allow-list, not a copy minus exclusions: the modules that
the check path imports (``grader.cli``, ``grader.student``, the sandbox, the
runner and plugin, intake, the modules the public checks import), followed
transitively. A verb module's lazy imports are not followed, so staff-only
code (batch grading, Gradescope, the release itself) stays out even as it
grows. The finished bundle is then compiled and scanned for every solution
line, every hidden-check line and the input secret (:mod:`grader.release.leaks`)
before it replaces ``OUT``; any failure leaves ``OUT`` as it was.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import tempfile
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import grader
from grader.assignment import ASSIGNMENT_FILE, BUNDLED, Assignment, current, load
from grader.checklib.inputs import PUBLIC_SECRET, secret
from grader.release.leaks import find_leaks, hidden_check_lines, solution_lines
from grader.release.public_checks import PublicChecks, ReleaseError, extract_public_checks
from grader.release.readme import student_readme

__all__ = ["MANIFEST", "Bundle", "bundle_modules", "release"]

MANIFEST = ".grader-release.json"
STUBS = "_released_stubs"
# Where the check path starts; everything else under grader/ must be imported from here.
# The sandbox goes whole: some of its modules are started as scripts, not imported.
ROOTS = ("grader", "grader.__main__", "grader.cli", "grader.student", "grader.commands.check")
WHOLE = ("sandbox",)
_LAZY_NOT_FOLLOWED = "grader.commands."  # a verb's run() imports its staff-only implementation


@dataclass(frozen=True)
class Bundle:
    """What ``release`` wrote."""

    out: Path
    files: tuple[str, ...]  # bundle-relative paths
    public_checks: int
    hidden_checks: int  # left out


def release(out: Path | str, *, course: Path | None = None, force: bool = False) -> Bundle:
    """Write the student bundle to ``out``; raise :class:`ReleaseError` if it cannot be safe.

    ``course`` is the assignment folder (default: the active assignment).
    ``out`` must be new, empty, or (with ``force``) an earlier release.
    """
    assignment = load(course) if course is not None else current()
    root = assignment.root
    target = Path(out).resolve()
    _check_target(target, assignment, force=force)
    _check_exercises(root)
    package = Path(grader.__file__).resolve().parent
    public = extract_public_checks(assignment.checks_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        files = _write(staging, assignment, package, public)
        _verify(staging, assignment, public)
        _install(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Bundle(target, tuple(files), len(public.public), len(public.hidden))


# --------------------------------------------------------------------- checks first


def _check_target(target: Path, assignment: Assignment, *, force: bool) -> None:
    root = assignment.root
    if root.is_relative_to(target):
        raise ReleaseError(f"{target} holds the course itself; release into a new folder")
    inside_of = (assignment.exercises_dir, assignment.solutions_dir, assignment.checks_dir,
                 *{path.parent for path in (*assignment.data_files, *assignment.probe_files)},
                 Path(grader.__file__).resolve().parent)  # fmt: skip
    for inside in inside_of:
        if target.is_relative_to(inside):
            raise ReleaseError(f"{target} is inside {inside}; release into a new folder")
    if not target.exists():
        return
    if not target.is_dir():
        raise ReleaseError(f"{target} exists and is not a folder")
    if not any(target.iterdir()):
        return
    if not (target / MANIFEST).is_file():
        raise ReleaseError(
            f"{target} is not empty and holds no earlier release; choose a new or empty folder"
        )
    if not force:
        raise ReleaseError(f"{target} holds an earlier release; add --force to replace it")


def _check_exercises(root: Path) -> None:
    from grader.authoring import check

    try:
        stale = check(root)
    except FileNotFoundError as error:
        raise ReleaseError(f"no solutions to release: {error}") from None
    if stale:
        listed = ", ".join(p.as_posix() for p in stale[:5])
        raise ReleaseError(
            f"exercises/ does not match solutions/ ({listed}); run `grader stubs` first"
        )


# --------------------------------------------------------------------- writing


def _write(staging: Path, assignment: Assignment, package: Path, public: PublicChecks) -> list[str]:
    from grader.authoring import generate

    root = assignment.root

    written: list[str] = []

    def put(relative: str, data: bytes) -> None:
        path = staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(relative)

    for relative in sorted(generate(root)):  # exactly the generated stubs and notebooks
        put(relative.as_posix(), (root / relative).read_bytes())
    inner = f"grader/{BUNDLED}"  # the assignment, inside the package: found wherever installed
    for path in sorted({*assignment.data_files, *assignment.probe_files}):
        if not path.is_file() or not path.is_relative_to(root):
            raise ReleaseError(f"{path} (named in {root / ASSIGNMENT_FILE}) is not a file in it")
        name = path.relative_to(root).as_posix()
        put(name if path in assignment.data_files else f"{inner}/{name}", path.read_bytes())
    put(f"{inner}/{ASSIGNMENT_FILE}", (root / ASSIGNMENT_FILE).read_bytes())
    for module in sorted(bundle_modules(package, public.files.values())):
        put(f"grader/{module}", (package / module).read_bytes())
    put("grader/py.typed", b"")
    checks = assignment.checks_dir.relative_to(root).as_posix()
    for name, text in sorted(public.files.items()):
        put(f"{inner}/{checks}/{name}", text.encode("utf-8"))
    for exercise in assignment.exercises:
        stub = assignment.exercises_dir / f"{exercise}.py"
        put(f"grader/{STUBS}/{exercise}.py", stub.read_bytes())
    put("README.md", _readme(public, assignment).encode("utf-8"))
    put("pyproject.toml", _pyproject(root).encode("utf-8"))
    manifest = {
        "grader_version": grader.__version__,
        "public_checks": len(public.public),
        "files": sorted(written),
    }
    put(MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return sorted(written)


def bundle_modules(package: Path, extra: Iterable[str] = ()) -> set[str]:
    """The package's modules the check path imports, as paths relative to ``package``.

    ``extra`` is more source text whose imports count (the generated checks).
    ``grader/checks/`` itself is never included: the bundle has its own.
    """
    name = package.name
    found: set[str] = set()
    todo = list(ROOTS)
    for folder in WHOLE:
        for path in sorted((package / folder).rglob("*.py")):
            dotted = path.relative_to(package).with_suffix("").as_posix().replace("/", ".")
            todo.append(f"{name}.{dotted.removesuffix('.__init__')}")
    for text in extra:
        todo += _imports(ast.parse(text), name, "", nested=True)
    while todo:
        module = todo.pop()
        relative = _module_file(package, module)
        if relative is None or relative in found or relative.startswith("checks/"):
            continue
        found.add(relative)
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages
        tree = ast.parse((package / relative).read_text(encoding="utf-8"))
        nested = not module.startswith(_LAZY_NOT_FOLLOWED)
        here = module if relative.endswith("__init__.py") else module.rpartition(".")[0]
        todo += _imports(tree, name, here, nested=nested)
    return found


def _module_file(package: Path, module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != package.name:
        return None
    base = Path(*parts[1:]) if len(parts) > 1 else Path()
    if (package / base / "__init__.py").is_file():
        return (base / "__init__.py").as_posix()
    if len(parts) > 1 and (package / base.with_suffix(".py")).is_file():
        return base.with_suffix(".py").as_posix()
    return None


def _imports(tree: ast.Module, top: str, here: str, *, nested: bool) -> list[str]:
    """Modules of package ``top`` that ``tree`` imports (``from a import b``: a and a.b)."""
    nodes = ast.walk(tree) if nested else iter(tree.body)
    found: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")[: len(here.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append(base)
            found += [f"{base}.{alias.name}" for alias in node.names]
    return [m for m in found if m == top or m.startswith(top + ".")]


def _readme(public: PublicChecks, assignment: Assignment) -> str:
    points: dict[str, float] = {}
    public_points: dict[str, float] = {}
    for check in (*public.public, *public.hidden):
        points[check.exercise] = points.get(check.exercise, 0) + check.points
        if check.public:
            public_points[check.exercise] = public_points.get(check.exercise, 0) + check.points
    data = [path.relative_to(assignment.root).as_posix() for path in assignment.data_files]
    return student_readme(
        assignment.contract, points, public_points, title=assignment.title, data_files=data
    )


def _pyproject(root: Path) -> str:
    """The bundle's pyproject: the course's own pinned dependencies, the ``grader`` command."""
    source = root / "pyproject.toml"
    if not source.is_file():
        source = Path(grader.__file__).resolve().parents[1] / "pyproject.toml"
    try:
        dependencies = tomllib.loads(source.read_text(encoding="utf-8"))["project"]["dependencies"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
        raise ReleaseError(f"cannot read the dependencies in {source}: {error}") from None
    pins = "".join(f"    {json.dumps(dep)},\n" for dep in dependencies)
    return (
        "# The student bundle of the course, written by `grader release`.\n"
        "[build-system]\n"
        'requires = ["setuptools>=68"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        "[project]\n"
        'name = "torch-course-exercises"\n'
        f'version = "{grader.__version__}"\n'
        'description = "Exercises of the PyTorch course, with `grader check` for the public '
        'checks."\n'
        'readme = "README.md"\n'
        'requires-python = ">=3.11"\n'
        f"dependencies = [\n{pins}]\n\n"
        "[project.scripts]\n"
        'grader = "grader.cli:main"\n\n'
        "[tool.setuptools.packages.find]\n"
        'include = ["grader*"]\n\n'
        "[tool.setuptools.package-data]\n"
        f'grader = ["py.typed", "{STUBS}/*.py", "{BUNDLED}/**/*"]\n'
    )


# --------------------------------------------------------------------- the gate


def _verify(staging: Path, assignment: Assignment, public: PublicChecks) -> None:
    for path in sorted(staging.rglob("*.py")):
        try:
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
        except SyntaxError as error:
            relative = path.relative_to(staging)
            raise ReleaseError(f"the bundle's {relative} does not compile: {error}") from None
    stubs = [p.read_text(encoding="utf-8") for p in sorted(assignment.exercises_dir.glob("*.py"))]
    needles = solution_lines(assignment.solutions_dir, stubs)
    hidden = [(c.file, c.cls, c.name) for c in public.hidden]
    # A line a hidden check shares with the engine's own code (grader/checklib/, say)
    # is the engine's, which is public code, not the check's.
    engine = [p.read_text(encoding="utf-8") for p in sorted((staging / "grader").rglob("*.py"))]
    shared = [*public.files.values(), *engine]
    needles.update(hidden_check_lines(assignment.checks_dir, hidden, shared))
    secrets = [*public.secrets, *((secret(),) if secret() != PUBLIC_SECRET else ())]
    leaks = find_leaks(staging, needles, secrets)
    if leaks:
        shown = "\n".join(f"  - {leak}" for leak in leaks[:20])
        more = f"\n  ... and {len(leaks) - 20} more" if len(leaks) > 20 else ""
        raise ReleaseError(f"the bundle would leak hidden material:\n{shown}{more}")


def _install(staging: Path, target: Path) -> None:
    """Put the finished bundle at ``target``, replacing an earlier release there."""
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)
