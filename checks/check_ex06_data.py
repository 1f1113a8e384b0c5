"""Hidden checks for ex06_data: the salary table, datasets and data loaders.

`load_salary_data` reads small CSV files with the lesson's columns but other
rows (and other sets of categories, so category codes are not the lesson's);
the probe writes each file into the worker's private scratch folder. Expected
values come from the reference solution run in the parent on the same text.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from grader.assignment import reference
from grader.checklib.cache import memo
from grader.checklib.inputs import seed_for
from grader.compare import CheckFailed, describe_type, expect_equal, expect_tensor

EXERCISE = "ex06_data"

_HEADER = (
    ",work_year,experience_level,employment_type,job_title,salary,salary_currency,"
    "salary_in_usd,employee_residence,remote_ratio,company_location,company_size"
)
_TITLES = ("Data Scientist", "ML Engineer", "Data Analyst", "Research Scientist")
_PLACES = ("US", "DE", "IN", "GB", "FR")
# Local currency per dollar: `salary` never equals `salary_in_usd`, so reading the
# wrong one of the two columns shows.
_CURRENCIES = (("EUR", 0.92), ("INR", 83.1), ("GBP", 0.79), ("CAD", 1.36))


@memo
def _csv(name: str, rows: int, levels: tuple[str, ...], kinds: tuple[str, ...]) -> str:
    """A salary table in the lesson's format: same columns, rows of our own.

    Every column a function reads differs from every other: the local salary is
    in another currency than the dollars, and the residence is not the company's
    location.
    """
    rng = random.Random(seed_for(name))
    lines = [_HEADER]
    for i in range(rows):
        usd = rng.randrange(15_000, 400_000)
        currency, rate = rng.choice(_CURRENCIES)
        home, place = rng.sample(_PLACES, 2)
        lines.append(
            f"{i},{rng.choice((2020, 2021, 2022))},{levels[i % len(levels)]},"
            f"{kinds[i % len(kinds)]},{rng.choice(_TITLES)},{round(usd * rate)},{currency},"
            f"{usd},{home},{rng.choice((0, 50, 100))},{place},{'SML'[rng.randrange(3)]}"
        )
    return "\r\n".join(lines)


_SMALL = (
    "ex06.salary.small",
    6,
    ("SE", "MI", "EN", "EX"),
    ("FT", "PT", "CT", "FL"),
)  # every lesson category
_HIDDEN = (
    "ex06.salary.hidden",
    13,
    ("MI", "SE", "EX"),
    ("FT", "CT"),
)  # fewer categories: other codes


@memo
def _expected_load(table: tuple[Any, ...]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "salaries.csv"
        path.write_text(_csv(*table), encoding="utf-8", newline="")
        features, target, scaler = reference(EXERCISE).load_salary_data(str(path))
    return {
        "features": np.array(features),
        "target": np.array(target),
        "scaler": {f: np.array(getattr(scaler, f)) for f in ("data_min_", "data_max_", "scale_")},
    }


def _load(student: Any, table: tuple[Any, ...]) -> dict[str, Any]:
    report = student.exercise(EXERCISE).probe("load_salary_data", _csv(*table))
    if report["length"] != 3:
        raise CheckFailed(
            "load_salary_data must return a tuple (features, target, scaler), "
            f"got {report['type']}"
            + (f" of {report['length']} items" if report["type"] in ("tuple", "list") else "")
        )
    return report


def _expect_array(got: Any, expected: np.ndarray, *, what: str, type_: str, **tol: float) -> None:
    """An ndarray with `expected`'s shape, dtype and values (type named as the probe saw it)."""
    if not isinstance(got, np.ndarray):
        raise CheckFailed(f"{what} must be a numpy.ndarray, got {type_}")
    if got.dtype != expected.dtype:
        raise CheckFailed(f"{what} has dtype {got.dtype} but expected {expected.dtype}")
    expect_tensor(torch.tensor(got), torch.tensor(expected), what=what, **tol)


class TestLoadSalaryData:
    """Checks of `load_salary_data`."""

    @pytest.mark.grade(exercise=EXERCISE, function="load_salary_data", points=1, public=True)
    def test_shapes_and_dtypes(self, student: Any) -> None:
        report = _load(student, _SMALL)
        rows = _SMALL[1]
        for name, shape in (("features", (rows, 4)), ("target", (rows, 1))):
            got = report[name]
            if not isinstance(got, np.ndarray):
                raise CheckFailed(
                    f"the {name} must be a numpy.ndarray, got {report[name + '_type']}"
                )
            if got.shape != shape or got.dtype != np.float32:
                raise CheckFailed(
                    f"on a {rows}-row table the {name} must be float32 of shape {shape}, "
                    f"got {got.dtype} of shape {got.shape}"
                )
        if report["scaler_type"] != "sklearn.MinMaxScaler":
            raise CheckFailed(
                f"the third value must be the fitted MinMaxScaler, got {report['scaler_type']}"
            )

    @pytest.mark.grade(exercise=EXERCISE, function="load_salary_data", points=2)
    def test_category_codes(self, student: Any) -> None:
        report = _load(student, _HIDDEN)
        expected = _expected_load(_HIDDEN)["features"]
        _expect_array(
            report["features"],
            expected,
            what="the features from load_salary_data",
            type_=report["features_type"],
        )

    @pytest.mark.grade(exercise=EXERCISE, function="load_salary_data", points=2)
    def test_scaled_target(self, student: Any) -> None:
        report = _load(student, _HIDDEN)
        expected = _expected_load(_HIDDEN)
        got = report["target"]
        raw = expected["target"] / expected["scaler"]["scale_"] + expected["scaler"]["data_min_"]
        if isinstance(got, np.ndarray) and got.shape == raw.shape and np.allclose(got, raw):
            raise CheckFailed(
                "the target from load_salary_data is salary_in_usd in dollars: scale it to [0, 1] "
                "with the MinMaxScaler (fit_transform) and return that scaler",
                mistake="target_not_scaled",
            )
        _expect_array(
            got,
            expected["target"],
            what="the scaled target from load_salary_data",
            type_=report["target_type"],
            atol=1e-6,
        )
        for field in ("data_min_", "data_max_"):
            value = report["scaler"][field]
            if not isinstance(value, np.ndarray):
                raise CheckFailed(
                    f"the scaler returned by load_salary_data has no fitted {field}: "
                    "return the MinMaxScaler you fitted on salary_in_usd"
                )
            expect_tensor(
                torch.tensor(value.astype(np.float64)),
                torch.tensor(expected["scaler"][field].astype(np.float64)),
                what=f"the scaler's {field}",
            )


_FEATURES = np.arange(15, dtype=np.float32).reshape(5, 3) / 4
_TARGET = np.array([[0.5], [1.5], [-2.0], [0.25], [3.0]], dtype=np.float32)


def _dataset(student: Any, features: np.ndarray, target: np.ndarray) -> dict[str, Any]:
    report = student.exercise(EXERCISE).probe("make_dataset", features, target)
    length = report["len"]
    if length != len(features):
        raise CheckFailed(
            f"make_dataset on {len(features)} samples gave a dataset of length {length!r}"
        )
    return report


class TestMakeDataset:
    """Checks of `make_dataset`."""

    @pytest.mark.grade(exercise=EXERCISE, function="make_dataset", points=1, public=True)
    def test_items(self, student: Any) -> None:
        report = _dataset(student, _FEATURES, _TARGET)
        for i, item in enumerate(report["items"]):
            if not isinstance(item, tuple | list) or len(item) != 2:
                raise CheckFailed(
                    f"dataset[{i}] must be a pair (features, target), got {report['item_types'][i]}"
                )
            expect_tensor(item[0], torch.tensor(_FEATURES[i]), what=f"dataset[{i}][0]")
            expect_tensor(item[1], torch.tensor(_TARGET[i]), what=f"dataset[{i}][1]")

    @pytest.mark.grade(exercise=EXERCISE, function="make_dataset", points=1)
    def test_keeps_dtypes(self, student: Any) -> None:
        gen = np.random.default_rng(seed_for("ex06.make_dataset.float64"))
        features = gen.normal(size=(7, 2))  # float64
        target = gen.integers(0, 3, size=7)  # int64, shape (n,)
        report = _dataset(student, features, target)
        for i, item in enumerate(report["items"]):
            if not isinstance(item, tuple | list) or len(item) != 2:
                raise CheckFailed(f"dataset[{i}] must be a pair (features, target)")
            expect_tensor(
                item[0], torch.tensor(features[i]), what=f"dataset[{i}][0] for float64 features"
            )
            expect_tensor(
                item[1],
                torch.tensor(target[i]),
                what=f"dataset[{i}][1] for an int64 target",
            )


def _passes(student: Any, n: int, **options: Any) -> tuple[dict[str, Any], list[list[list[int]]]]:
    """Probe make_dataloader over `n` numbered samples; each pass as lists of sample ids."""
    features = torch.stack([torch.arange(n, dtype=torch.float32), torch.ones(n)], dim=1)
    target = torch.arange(n, dtype=torch.float32).reshape(n, 1) * 10
    report = student.exercise(EXERCISE).probe("make_dataloader", features, target, **options)
    if not report["is_dataloader"]:
        raise CheckFailed(f"make_dataloader must return a DataLoader, got {report['type']}")
    passes = []
    for batches in report["passes"]:
        ids: list[list[int]] = []
        for batch in batches:
            if (
                not isinstance(batch, list | tuple)
                or len(batch) != 2
                or not all(isinstance(t, torch.Tensor) for t in batch)
                or batch[0].ndim != 2
                or batch[0].shape[1] != 2
                or not torch.equal(batch[1].reshape(-1), batch[0][:, 0] * 10)
            ):
                raise CheckFailed(
                    "each batch of the loader must be [features, target] for the same samples"
                )
            ids.append([int(v) for v in batch[0][:, 0]])
        if sorted(i for b in ids for i in b) != list(range(n)):
            raise CheckFailed(
                f"one pass over the loader must give each of the {n} samples exactly once"
            )
        passes.append(ids)
    return report, passes


def _sizes(batches: list[list[int]]) -> list[int]:
    return [len(b) for b in batches]


def _in_order(batches: list[list[int]]) -> bool:
    flat = [i for b in batches for i in b]
    return flat == sorted(flat)


class TestMakeDataloader:
    """Checks of `make_dataloader`."""

    @pytest.mark.grade(exercise=EXERCISE, function="make_dataloader", points=1, public=True)
    def test_defaults(self, student: Any) -> None:
        report, passes = _passes(student, 18)
        expect_equal(report["batch_size"], 4, what="the default batch_size of make_dataloader")
        expect_equal(_sizes(passes[0]), [4, 4, 4, 4, 2], what="the batch sizes over 18 samples")
        if all(_in_order(p) for p in passes):
            raise CheckFailed(
                "make_dataloader must shuffle by default (shuffle=True): "
                "two passes over 18 samples both came in order"
            )

    @pytest.mark.grade(exercise=EXERCISE, function="make_dataloader", points=1)
    def test_batch_size_and_shuffle(self, student: Any) -> None:
        report, passes = _passes(student, 11, batch_size=3, shuffle=False)
        expect_equal(
            report["batch_size"], 3, what="the batch_size of make_dataloader(..., batch_size=3)"
        )
        expected = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10]]
        if passes[0] != expected and not _in_order(passes[0]):
            raise CheckFailed(
                "make_dataloader(..., shuffle=False) must keep the samples in order; "
                "pass the shuffle argument to the DataLoader"
            )
        expect_equal(
            passes[0], expected, what="the batches of make_dataloader(batch_size=3, shuffle=False)"
        )
        _, passes = _passes(student, 11, batch_size=5, shuffle=True)
        expect_equal(_sizes(passes[0]), [5, 5, 1], what="the batch sizes with batch_size=5")
        if all(_in_order(p) for p in passes):
            raise CheckFailed("make_dataloader(..., shuffle=True) did not shuffle the samples")


def _last_sample_case() -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.default_rng(seed_for("ex06.last_sample"))
    return gen.normal(size=(6, 3)), gen.normal(size=(6,))


@memo
def _expected_last_sample() -> Any:
    return reference(EXERCISE).last_sample(*_last_sample_case())


class TestLastSample:
    """Checks of `last_sample`."""

    @pytest.mark.grade(exercise=EXERCISE, function="last_sample", points=1)
    def test_keeps_float64(self, student: Any) -> None:
        features, target = _last_sample_case()
        got = student.exercise(EXERCISE).call("last_sample", features, target)
        expected = _expected_last_sample()
        if not isinstance(got, tuple | list) or len(got) != 2:
            raise CheckFailed(
                f"last_sample must return a pair (features, target), got {describe_type(got)}"
            )
        expect_tensor(got[0], expected[0], what="the features returned by last_sample")
        expect_tensor(got[1], expected[1], what="the target returned by last_sample")
