"""Notebooks made in a test: code cells as a course's Jupyter or Colab file holds them."""

from __future__ import annotations

import json
from pathlib import Path


def write_notebook(folder: Path, cells: list[str], exercise: str = "ex08_activations") -> Path:
    """Write `folder/<exercise>.ipynb` (nbformat 4.5), one code cell per source; return `folder`."""
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
        for c in cells
    ]}  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{exercise}.ipynb").write_text(json.dumps(nb))
    return folder
