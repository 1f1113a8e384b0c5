"""The documents agree with each other and with the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / ".github" / "workflows" / "grade-submission.yml.template"
COLLECT = ROOT / ".github" / "workflows" / "collect-class.yml.template"
STUDENT = ROOT / ".github" / "workflows" / "student-checks.yml.template"
DOCS = [ROOT / "README.md", ROOT / "deploy" / "README.md", TEMPLATE, COLLECT, STUDENT]


def test_every_document_names_the_workflow_copy_the_same() -> None:
    copies = {
        (doc.name, name)
        for doc in DOCS
        for name in re.findall(r"(?<![\w.-])([\w-]+\.yml)(?!\.template)\b", doc.read_text())
        if name != "ci.yml"
    }
    assert copies, "expected the documents to say what to copy the template to"
    templates = {path.name.removesuffix(".template") for path in (TEMPLATE, COLLECT, STUDENT)}
    assert {name for _, name in copies} == templates, copies
    for template in (TEMPLATE, COLLECT, STUDENT):  # each template names its own copy, no other
        own = {name for doc, name in copies if doc == template.name}
        assert own <= {template.name.removesuffix(".template")}, (template.name, own)
