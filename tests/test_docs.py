"""The documents agree with each other and with the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / ".github" / "workflows" / "grade-submission.yml.template"
DOCS = [ROOT / "README.md", ROOT / "deploy" / "README.md", TEMPLATE]


def test_every_document_names_the_workflow_copy_the_same() -> None:
    copies = {
        (doc.name, name)
        for doc in DOCS
        for name in re.findall(r"(?<![\w.-])([\w-]+\.yml)(?!\.template)\b", doc.read_text())
        if name != "ci.yml"
    }
    assert copies, "expected the documents to say what to copy the template to"
    assert {name for _, name in copies} == {TEMPLATE.name.removesuffix(".template")}, copies
