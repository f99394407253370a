"""A dataset's identity in results: the spec plus the synthetic generator's version."""

from __future__ import annotations

import io

from rich.console import Console

from slimbench.data.datasets import load_dataset
from slimbench.data.synthetic import BANDED_GENERATOR, GENERATOR_VERSIONS
from slimbench.figures.summary import summarize
from slimbench.output.compare import print_comparison
from slimbench.output.dataset_identity import FIRST_GENERATOR, dataset_identity


def test_the_first_generator_is_the_one_results_before_the_field_came_from():
    assert FIRST_GENERATOR == GENERATOR_VERSIONS["none"]
    assert load_dataset("synthetic-tiny:structure=none").generator == FIRST_GENERATOR
    # the default deals the tastes by popularity (tastes-4); dealt at random, tastes-3
    assert load_dataset("synthetic-tiny").generator == BANDED_GENERATOR == "tastes-4"
    assert load_dataset("synthetic-tiny:taste_banding=0").generator == GENERATOR_VERSIONS["tastes"]
    assert load_dataset("synthetic-tiny").generator != FIRST_GENERATOR


def test_identity_names_the_generator_and_drops_the_option_that_selects_it():
    new = {"name": "synthetic-ml10m", "generator": "tastes-1"}
    first = {"name": "synthetic-ml10m:structure=none", "generator": "popularity-1"}
    before = {"name": "synthetic-ml10m"}  # written before results named the generator
    assert dataset_identity(new) == "synthetic-ml10m [tastes-1]"
    assert dataset_identity(first) == dataset_identity(before) == "synthetic-ml10m [popularity-1]"
    assert dataset_identity(new) != dataset_identity(before)
    scaled = {"name": "synthetic-ml10m:scale=0.1,structure=none,seed=2", "generator": "x"}
    assert dataset_identity(scaled) == "synthetic-ml10m:scale=0.1,seed=2 [x]"
    # files have no generator; their spec is kept whole, whatever it contains
    assert dataset_identity({"name": "movielens:a,structure=b.csv", "generator": None}) == (
        "movielens:a,structure=b.csv"
    )
    assert dataset_identity(None) == "?"


def _doc(dataset: dict) -> dict:
    values = [100.0, 101.0, 99.0, 100.5, 99.5]
    rounds = [{"steps": int(v * 1000), "seconds": 1000.0, "loss": 0.0} for v in values]
    speed = summarize(values).to_dict()
    tier = {"name": "cython-rand", "rounds": rounds, "samples_per_second": speed}
    return {"dataset": dataset, "created": "2026-12-01", "machine": {}, "tiers": [tier]}


def _printed(old: dict, new: dict) -> str:
    out = io.StringIO()
    print_comparison(_doc(old), _doc(new), Console(file=out, width=200))
    return out.getvalue()


def test_compare_warns_when_one_spec_came_from_two_generators():
    new = {"name": "synthetic-ml10m", "generator": "tastes-1"}
    text = _printed({"name": "synthetic-ml10m"}, new)
    assert "different datasets" in text and "popularity-1" in text and "tastes-1" in text
    assert "different datasets" not in _printed(new, dict(new))
    same_data = {"name": "synthetic-ml10m:structure=none", "generator": "popularity-1"}
    assert "different datasets" not in _printed({"name": "synthetic-ml10m"}, same_data)
