"""Small hand-built results shared by the report tests (no conftest: it is shared)."""

from __future__ import annotations

from grader.model import CheckResult, CheckStatus, Isolation, SubmissionResult, SubmissionStatus

ISOLATION = Isolation("L2", ("namespaces", "rlimits"))


def check(
    exercise: str,
    function: str,
    name: str,
    points: float,
    max_points: float,
    status: str = "passed",
    message: str = "",
    *,
    public: bool = False,
    mistake: str | None = None,
    duration: float = 0.0,
) -> CheckResult:
    return CheckResult(
        id=f"{exercise}.{function}.{name.replace(' ', '_')}",
        exercise=exercise,
        function=function,
        name=name,
        points=points,
        max_points=max_points,
        status=CheckStatus(status),
        message=message,
        visibility="public" if public else "hidden",
        mistake=mistake,
        duration=duration,
    )


def graded(name: str = "alice", *checks: CheckResult, **kwargs: object) -> SubmissionResult:
    """A graded submission; with no checks given, a mix of every interesting outcome.

    The default scores 12.5 / 20: ex01 6/6, ex03 6.5/10 (a wrong value with a
    lesson mistake, a timeout, a shortcut), ex05 0/4 (an error and a grader error).
    """
    if not checks:
        checks = (
            check("ex01_multiclass", "one_hot", "values", 4, 4, public=True, duration=0.25),
            check("ex01_multiclass", "predict_proba", "rows sum to one", 2, 2),
            check("ex03_forward_pass", "linear_forward", "output shape", 2, 2, public=True),
            check("ex03_forward_pass", "linear_forward", "values", 4.5, 4.5),
            check(
                "ex03_forward_pass",
                "softmax_manual",
                "rows sum to one",
                0,
                1.5,
                "failed",
                "rows sum to 0.7311 but should sum to 1",
                mistake="softmax_twice",
            ),
            check(
                "ex03_forward_pass",
                "softmax_manual",
                "large inputs",
                0,
                1,
                "timeout",
                "softmax_manual did not return within 5 s",
            ),
            check(
                "ex03_forward_pass",
                "forward_manual",
                "by hand",
                0,
                1,
                "failed",
                "forward_manual must be written by hand but calls F.softmax (line 12)",
                mistake="shortcut_used:F.softmax",
            ),
            check(
                "ex05_optimizer",
                "train_step",
                "returns loss",
                0,
                2,
                "error",
                "train_step raised ValueError: bad shape (ex05_optimizer.py, line 7)",
            ),
            check(
                "ex05_optimizer",
                "flip_prediction",
                "seed 2",
                0,
                2,
                "grader_error",
                "KeyError: 'expected' in grader/checks/test_ex05_optimizer.py",
            ),
        )
    defaults: dict[str, object] = {
        "isolation": ISOLATION,
        "grader_version": "0.1.0",
        "torch_version": "2.13.0",
        "fingerprint": "sha256:abc",
        "duration": 1.5,
        "notes": ("ex03_forward_pass.ipynb: cell 4: shell escape `!pip install x` not run",),
    }
    defaults.update(kwargs)
    return SubmissionResult(name, SubmissionStatus.GRADED, checks=tuple(checks), **defaults)  # type: ignore[arg-type]


def not_gradable(
    name: str = "bob", reason: str = "The zip file is damaged and cannot be opened."
) -> SubmissionResult:
    return SubmissionResult(
        name,
        SubmissionStatus.NOT_GRADABLE,
        reason=reason,
        isolation=ISOLATION,
        grader_version="0.1.0",
        torch_version="2.13.0",
    )
