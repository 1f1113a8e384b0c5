"""The mutation engine without the sandbox: operators, equivalence screen, content files."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

from grader.assignment import AssignmentError, load
from grader.mutation import content
from grader.mutation.equivalence import first_difference, load_module
from grader.mutation.operators import generate
from grader.mutation.run import DIFFERS, EQUIVALENT, plan, screen

REPO = Path(__file__).resolve().parents[2]
BASICS = REPO / "examples" / "assignments" / "tensor_basics"

SOURCE = '''
import torch

def norm(x, eps=1e-5, seed=None):
    """Row-normalise."""
    if seed is not None:
        torch.manual_seed(seed)
    total = x.sum(dim=-1, keepdim=True)
    return x / (total + eps)
'''


def test_each_variant_changes_one_place_and_ids_are_unique() -> None:
    variants = generate(SOURCE, "norm")
    operators = {v.operator for v in variants}
    assert {"drop-dim", "swap-dim", "drop-keepdim", "mean-sum", "truthiness", "flip-sign",
            "drop-term", "change-constant", "ignore-parameter",
            "return-input"} <= operators  # fmt: skip
    assert len({v.id for v in variants}) == len(variants)
    reference = ast.unparse(ast.parse(SOURCE))
    for variant in variants:
        assert variant.source != reference
        ast.parse(variant.source)  # every variant is valid Python
    truth = next(v for v in variants if v.operator == "truthiness")
    assert "if seed:" in truth.source
    assert "docstring" not in " ".join(v.description for v in variants)


def test_the_screen_tells_a_wrong_dim_apart_and_drops_an_equivalent() -> None:
    reference = load_module(SOURCE, "ref").norm
    inputs = lambda case: [((case.randn(case.batch + 1, 3),), {})]  # noqa: E731
    by_id = {v.operator + v.description: v for v in generate(SOURCE, "norm")}
    swap = next(v for k, v in by_id.items() if k.startswith("swap-dim"))
    found = first_difference(reference, load_module(swap.source, "v").norm, inputs, count=4)
    assert found is not None and "batch=" in found.case and "tensor(" in found.reference
    # an equivalent rewrite: the same values whatever the case
    same = load_module(SOURCE.replace("x / (total + eps)", "x * (1 / (total + eps))"), "s")
    assert first_difference(reference, same.norm, inputs, count=6) is None


def test_side_effects_on_the_arguments_count_as_a_difference() -> None:
    def pure(x: torch.Tensor) -> torch.Tensor:
        return x * 2

    def in_place(x: torch.Tensor) -> torch.Tensor:
        return x.mul_(2)

    found = first_difference(pure, in_place, lambda case: [((case.randn(3),), {})], count=1)
    assert found is not None


def test_the_second_assignment_plans_catalogue_and_operator_variants() -> None:
    basics = load(BASICS)
    planned = plan(basics, ["masked_mean"])
    ids = [v.id for _, v in planned]
    assert "masked_mean:catalogue:divides_by_row_length" in ids
    assert any(":truthiness@" in i or ":off-by-one@" in i for i in ids)
    outcomes = screen(basics, planned, count=6)
    catalogue = next(o for o in outcomes if o.variant.operator == "catalogue")
    assert catalogue.status == DIFFERS and catalogue.difference is not None
    assert all(o.status in (DIFFERS, EQUIVALENT) for o in outcomes)
    assert basics.mutants is not None and basics.mutants.folder in basics.secrets


def test_bad_content_is_refused_naming_the_file(tmp_path: Path) -> None:
    for item in BASICS.iterdir():
        target = tmp_path / item.name
        if item.is_dir():
            target.symlink_to(item)
        else:
            target.write_bytes(item.read_bytes())
    (tmp_path / "mutants").unlink()
    (tmp_path / "mutants").mkdir()
    bad = "def flatten_rows_oops(x):\n    return x\n"
    (tmp_path / "mutants" / "tb01_shapes.py").write_text(bad)
    (tmp_path / "mutants" / "accepted.toml").write_text('[[accepted]]\nid = "x"\n')
    assignment = load(tmp_path)
    with pytest.raises(AssignmentError, match=r"tb01_shapes.py:1: flatten_rows_oops"):
        content.catalogue(assignment, "tb01_shapes", "def flatten_rows(x):\n    return x\n")
    with pytest.raises(AssignmentError, match=r"accepted.toml.*needs an id and a reason"):
        content.accepted(assignment)
    toml = tmp_path / "assignment.toml"
    toml.write_text(toml.read_text().replace("threshold = 0.98", "threshold = 98"))
    from grader import assignment as module

    module._LOADED.clear()
    with pytest.raises(AssignmentError, match=r"\[mutants\] threshold"):
        load(tmp_path)
    module._LOADED.clear()
