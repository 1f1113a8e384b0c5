"""The student bundle's README: how to work, how to run ``grader check``, what is graded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["student_readme"]

_INTRO = """\
# Your exercises: @TITLE@

This folder is everything you need to work on the course's exercises and to
check them on your own machine before you hand them in.

| folder | what |
|---|---|
| `exercises/` | the exercises, one `.py` module each (@RANGE@) |
| `exercises/notebooks/` | the same exercises as Jupyter notebooks |
@DATA_ROW@| `grader/` | the checker behind `grader check` (public checks only) |

## Set up once

With Python 3.11 or newer, in this folder, make a virtual environment and
install this folder into it. That installs the course's pinned versions of
torch and the rest, and the `grader` command (the checker in `grader/`).

On Linux, take torch's CPU-only build from PyTorch's CPU wheel index, as the
grader does: the default Linux build pulls in about 19 NVIDIA CUDA packages
(gigabytes) that the course never uses.

```sh
python3 -m venv .venv
# Linux:
.venv/bin/pip install -e . --extra-index-url https://download.pytorch.org/whl/cpu
# macOS:
.venv/bin/pip install -e .
# Windows:
.venv\\Scripts\\pip install -e .
```

Then `.venv/bin/grader --version` (Windows: `.venv\\Scripts\\grader --version`)
says it is installed; activate the environment (`source .venv/bin/activate`,
Windows: `.venv\\Scripts\\activate`) to type just `grader`. Without installing
it, `python -m grader check` works from this folder too.

## How to work

- Work in either the `.py` file or the notebook of an exercise. Fill in every
  `# TODO`: replace the `raise NotImplementedError` with your code.
- Keep function names and signatures exactly as given: the grader calls them.
@DATA_HINT@- Notebooks are graded as a module run top to bottom: shell escapes
  (`!pip ...`) and `%%bash` cells are **not** run.

## Check your work

```sh
grader check                        # every exercise
grader check @EXAMPLE@      # one exercise (`@SHORT@` is enough)
grader check --path my_folder/      # another folder of exercise files
```

From a notebook cell (save the notebook first: the check reads the files on disk):

```python
from grader import check
check("@EXAMPLE@")
```

You may leave that cell in: when your notebook is graded, it does nothing.

`grader check` runs the **public checks** on your code and prints, per
exercise, how many pass, then what each failing check found. It exits with 0
when every public check passes and 1 otherwise.

**Public checks only — your grade comes from hidden checks on other inputs.**
Passing every public check does not mean full marks: the hidden checks call
your functions on inputs you have not seen, check that "by hand" functions do
not use the built-in shortcut, and look for the lesson's classic mistakes.

Your code runs in the same Python process as the checker, which is fine for
your own code and works on Linux, macOS and Windows. On Linux,
`grader check --sandbox` runs it the way the real grader does, in a separate
sandboxed process with time and memory limits.
"""

_GRADED = """\
## What is graded

Each exercise's functions are called by hidden checks in a trusted process;
your code runs in a sandbox and only sends values back. A function that
prints the lesson's numbers earns nothing; one that is right in general earns
full marks however you wrote it.

| exercise | graded functions | points | of which public checks |
|---|---|---:|---:|
{rows}

## What to hand in

For each exercise, either `exercises/<exercise>.py` or
`exercises/notebooks/<exercise>.ipynb`, with its name unchanged. If you hand
in both, the `.py` file is graded, unless it is still the untouched stub.
"""


def _points(value: float) -> str:
    return f"{value:g}"


def student_readme(
    exercises: Mapping[str, Sequence[str]],
    points: Mapping[str, float],
    public_points: Mapping[str, float],
    *,
    title: str = "",
    data_files: Sequence[str] = (),
) -> str:
    """The README text: the guide, with the assignment's names, and what each exercise earns.

    ``data_files`` are paths relative to the bundle (``datasets/table.csv``).
    """
    names = list(exercises)
    first, last = (names[0], names[-1]) if names else ("", "")
    example = names[min(2, len(names) - 1)] if names else "ex01"
    shown = ", ".join(f"`{path}`" for path in data_files)
    folders = sorted({path.split("/", 1)[0] for path in data_files if "/" in path})
    data_row = "".join(f"| `{folder}/` | the course's data ({shown}) |\n" for folder in folders)
    data_hint = f"- Run your code from this folder, so that {shown} is found.\n" if shown else ""
    span = f"`{first}.py` … `{last}.py`" if len(names) > 1 else f"`{first}.py`"
    intro = (
        _INTRO.replace("@TITLE@", title or "the course")
        .replace("@RANGE@", span)
        .replace("@DATA_ROW@", data_row)
        .replace("@DATA_HINT@", data_hint)
        .replace("@EXAMPLE@", example)
        .replace("@SHORT@", example.split("_", 1)[0])
    )
    rows = "\n".join(
        f"| `{name}` | {', '.join(f'`{f}`' for f in functions)} "
        f"| {_points(points.get(name, 0))} | {_points(public_points.get(name, 0))} |"
        for name, functions in exercises.items()
    )
    return intro + "\n" + _GRADED.format(rows=rows)
