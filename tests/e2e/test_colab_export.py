"""A correct notebook exported from Colab, scaffolding and all, gets full marks via `grader grade`.

Its cells mount Drive, pip-install, plot, show progress bars, run a long demo
loop and read a Drive file that is not there; only the graded functions count,
and the feedback lists each cell that failed or was cut once, saying it cost nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from course_files import COURSE

from grader.cli import main

SOLUTION = (COURSE.root / "solutions" / "ex08_activations.py").read_text()
CELLS = [
    "from google.colab import drive\ndrive.mount('/content/drive')\n",
    "!pip install -q seaborn\n%matplotlib inline\n",
    "import torch\nimport matplotlib.pyplot as plt\nfrom tqdm.auto import tqdm\n",
    SOLUTION,
    "xs = torch.linspace(-3, 3, 50)\nplt.plot(xs, [relu_grad(float(x)) for x in xs])\nplt.show()\n",
    "device = 'cuda'\nfor step in tqdm(range(10**12)):\n    torch.ones(2, device=device).sum()\n",
    "import pandas as pd\ndf = pd.read_csv('/content/drive/MyDrive/activations.csv')\n",
]


def test_a_colab_export_gets_full_marks_and_says_what_it_skipped(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "code", "metadata": {"id": f"c{i}"}, "source": c, "outputs": [],
         "execution_count": None}
        for i, c in enumerate(CELLS)
    ]  # fmt: skip
    nb = {"nbformat": 4, "nbformat_minor": 0, "cells": cells,
          "metadata": {"colab": {"provenance": []}, "kernelspec": {"name": "python3"}}}  # fmt: skip
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / "ex08_activations.ipynb").write_text(json.dumps(nb))
    out = tmp_path / "out"
    argv = ["grade", str(folder), "--out", str(out), "--exercise", "ex08_activations", "-q",
            "--limit", "cell_timeout=1"]  # fmt: skip
    assert main(argv) == 0
    (report_path,) = out.glob("*/report.json")
    report = json.loads(report_path.read_text())
    assert report["status"] == "graded"
    assert report["score"] == report["max_score"] > 0
    feedback = (report_path.parent / "feedback.md").read_text()
    for said in (
        "code cell 1: google.colab's drive.mount('/content/drive') did nothing",
        "code cell 6 was stopped after 1 s (the time limit for one cell); it defines nothing "
        "that is graded, so it cost no points",
        "code cell 6: CUDA was asked for",
        "code cell 7 failed: FileNotFoundError",
    ):
        assert feedback.count(said) == 1, (said, feedback)
