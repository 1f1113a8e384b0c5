"""The assignment contract in code: which exercises exist and what they define.

Mirrors ``shared/spec/assignment.md``. The intake uses it to recognise files,
the checks to name what they grade, and the release to know what is graded.
Reference solutions are loaded here, by path, in the trusted parent only.
"""

from __future__ import annotations

import importlib.util
import os
from functools import cache
from pathlib import Path
from types import ModuleType

EXERCISES: dict[str, tuple[str, ...]] = {
    "ex01_multiclass": (
        "build_multiclass_net",
        "predict_proba",
        "predict_classes",
        "as_row",
        "one_hot",
        "cross_entropy_manual",
    ),
    "ex02_regression_binary": (
        "build_regression_net",
        "mse_manual",
        "mae_manual",
        "predict_binary",
        "bce_manual",
        "bce_grad_manual",
    ),
    "ex03_forward_pass": ("linear_forward", "softmax_manual", "forward_manual"),
    "ex04_backward_pass": ("output_layer_grads", "sgd_update", "gradients_of"),
    "ex05_optimizer": ("train_step", "flip_prediction"),
    "ex06_data": ("load_salary_data", "make_dataset", "make_dataloader", "last_sample"),
    "ex07_training": ("build_salary_model", "train", "evaluate", "to_usd"),
    "ex08_activations": ("relu_grad", "leaky_relu_and_grad", "elu_manual", "sigmoid_grad"),
    "ex09_capacity": ("calculate_capacity", "build_four_layer_net"),
}


def course_root() -> Path:
    """The folder holding ``solutions/``, ``exercises/`` and ``datasets/``.

    ``GRADER_COURSE_ROOT`` overrides it (the Gradescope bundle and tests use
    this); otherwise it is the checkout that contains this package.
    """
    override = os.environ.get("GRADER_COURSE_ROOT")
    if override:
        return Path(override).resolve()
    return Path(__file__).resolve().parent.parent


def solutions_dir() -> Path:
    return course_root() / "solutions"


def checks_dir() -> Path:
    return Path(__file__).resolve().parent / "checks"


def released_stubs_dir() -> Path:
    """Where the untouched stubs students were given are (intake tells them from real work).

    In the course repository, ``exercises/``. In the student bundle that is
    the student's own working copy, so ``grader release`` keeps a pristine
    copy in ``grader/_released_stubs/``.
    """
    bundled = Path(__file__).resolve().parent / "_released_stubs"
    return bundled if bundled.is_dir() else course_root() / "exercises"


def exercise_for_filename(filename: str) -> str | None:
    """Which exercise a file is, from its name (``ex03_forward_pass.ipynb`` -> ex03...)."""
    stem = Path(filename).name.split(".", 1)[0]
    if stem in EXERCISES:
        return stem
    return None


@cache
def reference(exercise: str) -> ModuleType:
    """The reference solution module for ``exercise``, loaded by path (parent only)."""
    if exercise not in EXERCISES:
        raise KeyError(f"unknown exercise {exercise!r}")
    path = solutions_dir() / f"{exercise}.py"
    if not path.is_file():
        raise FileNotFoundError(
            f"reference solution {path} is missing; set GRADER_COURSE_ROOT to the course folder"
        )
    spec = importlib.util.spec_from_file_location(f"_reference_{exercise}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
