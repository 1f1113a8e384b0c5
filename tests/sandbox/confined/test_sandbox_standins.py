"""What a course notebook expects to find in its kernel, through the real sandbox.

Each scaffolding habit below (Drive, uploads, input(), CUDA, plots, progress
bars, IPython's display) sits in a cell before or around a correct function;
the function grades, and the note says what the stand-in did.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from notebook_files import write_notebook

from grader.intake import load_submission
from grader.sandbox.trusted.client import Limits, SandboxHost
from grader.sandbox.trusted.units import unit_notes

LIMITS = Limits(import_timeout=20.0, cell_timeout=10.0, call_timeout=5.0)
RELU_GRAD = "import torch\n\ndef relu_grad(x):\n    return 1.0 if x > 0 else 0.0\n"


@pytest.fixture(scope="module")
def host() -> Iterator[SandboxHost]:
    with SandboxHost(LIMITS) as started:
        yield started


def _grade(host: SandboxHost, folder: Path, cells: list[str]) -> tuple[object, list[str]]:
    """Convert `cells` as a notebook, import it in a worker; relu_grad(2.0) and the notes."""
    write_notebook(folder, cells)
    src = load_submission(folder).exercises["ex08_activations"]
    with host.submission(
        {"ex08_activations": src.source},
        origins={"ex08_activations": src.origin},
        locate={"ex08_activations": src.describe},
        cells={"ex08_activations": src.cells},
    ) as student:
        value = student.exercise("ex08_activations").call("relu_grad", 2.0)
        notes = unit_notes(
            student.unit_failures("ex08_activations"),
            display=src.origin,
            locate=src.describe,
            graded=["relu_grad"],
        )
    return value, notes


def test_a_colab_notebook_mounts_drive_and_uploads_for_nothing(
    host: SandboxHost, tmp_path: Path
) -> None:
    value, notes = _grade(host, tmp_path, [
        "from google.colab import drive\ndrive.mount('/content/drive')\n",
        "from google.colab import files\nuploaded = files.upload()\nprint(len(uploaded))\n"
        "from google.colab import output\noutput.enable_custom_widget_manager()\n" + RELU_GRAD,
    ])  # fmt: skip
    assert value == 1.0
    assert notes == [
        "code cell 1: google.colab's drive.mount('/content/drive') did nothing: grading runs "
        "without Google Drive, so no file under it is there",
        "code cell 2: google.colab's files.upload() did nothing: no one can upload a file "
        "while grading",
        "code cell 2: google.colab's output.enable_custom_widget_manager() did nothing: "
        "grading does not run in Colab",
    ]


def test_input_returns_an_empty_string_with_a_note(host: SandboxHost, tmp_path: Path) -> None:
    value, notes = _grade(host, tmp_path, [
        "name = input('Your name? ')\nassert name == ''\n" + RELU_GRAD,
    ])  # fmt: skip
    assert value == 1.0
    assert notes == [
        "code cell 1: input('Your name? ') returned an empty string: no one can type while grading"
    ]


def test_cuda_requests_run_on_the_cpu_with_one_note(host: SandboxHost, tmp_path: Path) -> None:
    cuda = (
        "import torch\nassert not torch.cuda.is_available()\n"
        "x = torch.ones(2).cuda()\ny = torch.zeros(3, device='cuda')\n"
        "net = torch.nn.Linear(2, 2).to('cuda')\nnet.cuda()\n"
        "z = net(x.to(torch.device('cuda:0')))\nassert z.device.type == 'cpu'\n"
        "assert torch.ones(1).to(torch.float64).dtype == torch.float64\n"
    )
    value, notes = _grade(host, tmp_path, [cuda + RELU_GRAD])
    assert value == 1.0
    assert notes == [
        "code cell 1: CUDA was asked for (.cuda(), .to('cuda') or device='cuda'); the "
        "grader has no GPU, so it ran on the CPU"
    ]


def test_plots_progress_bars_and_display_run_quietly(host: SandboxHost, tmp_path: Path) -> None:
    value, notes = _grade(host, tmp_path, [
        "%matplotlib inline\nimport matplotlib.pyplot as plt\n"
        "plt.plot([1, 2], [3, 4])\nplt.savefig('curve.png')\nplt.show()\n",
        "from tqdm.notebook import tqdm, trange\nfrom tqdm.auto import tqdm as auto\n"
        "total = sum(i for i in tqdm(range(3))) + sum(trange(2)) + sum(auto(range(2)))\n"
        "assert total == 5\n",
        "from IPython.display import display, Markdown, HTML\n"
        "display(Markdown('**done**'), HTML('<b>done</b>'))\n" + RELU_GRAD,
    ])  # fmt: skip
    assert value == 1.0
    assert notes == []


def test_a_download_fails_fast_saying_grading_runs_offline(
    host: SandboxHost, tmp_path: Path
) -> None:
    value, notes = _grade(host, tmp_path, [
        "import socket\nsocket.create_connection(('192.0.2.1', 80), timeout=2)\n",
        RELU_GRAD,
    ])  # fmt: skip
    assert value == 1.0
    (note,) = notes
    assert note.startswith("code cell 1 failed: ")
    assert "(grading runs offline: there is no network)" in note
    assert note.endswith("it defines nothing that is graded, so it cost no points")


def test_a_worker_without_tqdm_installed_still_starts() -> None:
    # A venv not reinstalled since tqdm became a dependency, or a hand-made image:
    # the worker once died at start (exit code 70) and every exercise scored 0.
    code = (
        "import sys; sys.modules['tqdm'] = None; sys.modules['tqdm.std'] = None\n"
        "from grader.sandbox.confined import standins\n"
        "standins.install(); print('installed')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "installed" in done.stdout, done.stderr


def test_a_note_made_inside_a_graded_call_is_shown_once_in_its_feedback(
    host: SandboxHost, tmp_path: Path
) -> None:
    # input() and .cuda() inside the graded function, not at import: the note once went
    # nowhere. Every check of relu_grad calls it; the feedback says each note once.
    from grader.grading import grade_loaded
    from grader.reports.markdown import feedback_markdown

    solution = (Path(__file__).resolve().parents[3] / "solutions" / "ex08_activations.py")
    (tmp_path / "ex08_activations.py").write_text(solution.read_text() + (
        "\n_graded = relu_grad\n\n\ndef relu_grad(x):\n"
        "    input('continue? ')\n    torch.ones(1).cuda()\n    return _graded(x)\n"
    ))  # fmt: skip
    result = grade_loaded(load_submission(tmp_path), host, exercises=["ex08_activations"])
    assert result.score == result.max_score > 0, [c.message for c in result.checks]
    (outcome,) = result.outcomes
    assert outcome.notes == (
        "in relu_grad (called by the checks): input('continue? ') returned an empty string: "
        "no one can type while grading",
        "in relu_grad (called by the checks): CUDA was asked for (.cuda(), .to('cuda') or "
        "device='cuda'); the grader has no GPU, so it ran on the CPU",
    )
    feedback = feedback_markdown(result)
    assert feedback.count("no one can type while grading") == 1
    assert feedback.count("the grader has no GPU") == 1


def test_manual_seed_still_seeds_and_queues_accelerator_seeds_without_a_stack(
    host: SandboxHost,
) -> None:
    """torch.manual_seed in a worker: same numbers as torch's; the unused CUDA seed has no stack.

    Formatting a stack per call cost ~0.4 ms of every student's `torch.manual_seed`.
    """
    source = (
        "import torch\n\n"
        "def draws():\n"
        "    torch.manual_seed(7)\n"
        "    first = torch.rand(3).tolist()\n"
        "    torch.manual_seed(7)\n"
        "    calls = [c for c in torch.cuda._lazy_seed_tracker.get_calls() if c is not None]\n"
        "    return first, torch.rand(3).tolist(), [len(stack) for _, stack in calls]\n"
    )
    with host.submission({"ex08_activations": source}) as student:
        first, again, stacks = student.exercise("ex08_activations").call("draws")
    import torch

    expected = torch.Generator().manual_seed(7)
    assert first == again == torch.rand(3, generator=expected).tolist()
    assert stacks == [0]  # queued for a CUDA that never comes, with no stack trace


def test_get_ipython_imported_from_ipython_is_the_stand_in_shell(
    host: SandboxHost, tmp_path: Path
) -> None:
    # Outside a kernel IPython's own get_ipython() returns None, so a notebook that
    # imported it failed on its first magic, and so did the rest of that cell.
    value, notes = _grade(host, tmp_path / "nb", [
        "from IPython import get_ipython\n"
        "get_ipython().run_line_magic('matplotlib', 'inline')\n"
        "from IPython.core.getipython import get_ipython as shell\n"
        "shell().run_line_magic('load_ext', 'autoreload')\n" + RELU_GRAD,
    ])  # fmt: skip
    assert value == 1.0
    assert notes == []  # nothing failed: the magics' notes are intake's, below
    src = load_submission(tmp_path / "nb").exercises["ex08_activations"]
    assert "code cell 1, line 2: `%matplotlib inline` has no effect when grading" in src.notes


def test_a_script_that_imports_get_ipython_gets_the_stand_in_shell(
    host: SandboxHost, tmp_path: Path
) -> None:
    # A VS Code export that imports get_ipython itself: the stand-in goes in all the same.
    (tmp_path / "ex08_activations.py").write_text(
        "from IPython import get_ipython\n\n# %%\n"
        "get_ipython().run_line_magic('matplotlib', 'inline')\n\n# %%\n" + RELU_GRAD
    )
    src = load_submission(tmp_path).exercises["ex08_activations"]
    assert src.notes == ("line 4: `%matplotlib inline` has no effect when grading",)
    with host.submission({"ex08_activations": src.source}) as student:
        assert student.exercise("ex08_activations").call("relu_grad", 2.0) == 1.0
        assert student.unit_failures("ex08_activations") == []


def test_a_module_the_template_deferred_loads_in_the_worker_on_first_use(
    host: SandboxHost,
) -> None:
    """scipy.stats is left unloaded by the template; a student's use of it still works."""
    source = (
        "import sys\n\n"
        "def cdf():\n"
        "    from scipy import stats\n"
        "    return float(stats.norm.cdf(0.0))\n"
    )
    with host.submission({"ex08_activations": source}) as student:
        assert student.exercise("ex08_activations").call("cdf", timeout=30) == 0.5
