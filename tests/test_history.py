"""slimbench history: runs found under folders, kept apart by machine and dataset."""

from __future__ import annotations

import json

import pytest

from slimbench.cli import main
from slimbench.data.datasets import TINY
from slimbench.data.synthetic import SyntheticParams
from slimbench.output.history import MAX_COMMIT_LABELS, Point, Series, collect, commit_labels
from slimbench.output.plots import series_style

TASTES = SyntheticParams().generator  # the default data's generator: the runs made here
assert TINY.generator == TASTES  # synthetic-tiny shares it (the runs here are on tiny)


@pytest.fixture(scope="module")
def real_doc(tmp_path_factory) -> dict:
    """One real results document, the template of the runs below."""
    out = tmp_path_factory.mktemp("history-run")
    argv = ["run", "--dataset", "synthetic-tiny", "--tiers", "cython-rand,floor", "--budget"]
    assert main([*argv, "0.3", "--rounds", "2", "--no-bandwidth", "--out", str(out)]) == 0
    return json.loads((out / "results.json").read_text())


def _run(real, tmp_path, name, created, commit, cpu, dataset, speeds):
    doc = json.loads(json.dumps(real))
    doc.update(created=created)
    doc["machine"].update(cpu_model=cpu, usable_cores=2, git_commit=commit)
    doc["dataset"]["name"] = dataset
    doc["tiers"] = [t for t in doc["tiers"] if t["name"] in speeds]
    for t in doc["tiers"]:
        s = speeds[t["name"]]
        t["samples_per_second"].update(median=s, ci_low=0.9 * s, ci_high=1.1 * s)
    folder = tmp_path / name
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(doc))
    (folder / "other.json").write_text('{"not": "ours"}')  # ignored


def _pytest_benchmark(tmp_path, cpu):
    doc = {
        "datetime": "2026-11-03T10:00:00+00:00",
        "commit_info": {"id": "ddddddd444eeee", "dirty": False},
        "machine_info": {"cpu": {"brand_raw": cpu, "count": 2}},
        "benchmarks": [
            {
                "extra_info": {
                    "tier": "cython-rand",
                    "steps": 40000,
                    "train_nnz": 1000,
                    "epochs": 10,
                    "dataset": "synthetic-tiny",
                    "generator": TASTES,
                },
                "stats": {"median": 1.0, "data": [1.0, 1.0, 1.0]},
            }
        ],
    }
    (tmp_path / "bench.json").write_text(json.dumps(doc))


def test_history_groups_by_machine_and_dataset(real_doc, tmp_path, capsys):
    _run(
        real_doc,
        tmp_path,
        "a",
        "2026-11-01T10:00:00+00:00",
        "aaaaaaa111",
        "EPYC",
        "synthetic-tiny",
        {"cython-rand": 40000.0, "floor": 1e6},
    )
    _run(
        real_doc,
        tmp_path,
        "b/c",
        "2026-11-02T10:00:00+00:00",
        "bbbbbbb222",
        "EPYC",
        "synthetic-tiny",
        {"cython-rand": 44000.0},
    )
    _run(
        real_doc,
        tmp_path,
        "d",
        "2026-11-02T11:00:00+00:00",
        "ccccccc333",
        "Xeon",
        "synthetic-tiny",
        {"cython-rand": 90000.0},
    )
    _run(
        real_doc,
        tmp_path,
        "e",
        "2026-11-02T12:00:00+00:00",
        None,
        "EPYC",
        "synthetic-ml10m",
        {"cython-rand": 30000.0},
    )
    _pytest_benchmark(tmp_path, "EPYC")
    series = {s.key: s for s in collect([tmp_path])}
    assert set(series) == {
        f"synthetic-tiny [{TASTES}] on EPYC, 2 cores",
        f"synthetic-tiny [{TASTES}] on Xeon, 2 cores",
        f"synthetic-ml10m [{TASTES}] on EPYC, 2 cores",
    }
    rand = series[f"synthetic-tiny [{TASTES}] on EPYC, 2 cores"].tiers["cython-rand"]
    assert [p.median for p in rand] == [40000.0, 44000.0, 40000.0]  # time order; pytest last
    # pytest-benchmark rows carry the commit its file recorded
    assert [p.commit for p in rand] == ["aaaaaaa111", "bbbbbbb222", "ddddddd444"]
    out = tmp_path / "hist"
    assert main(["history", str(tmp_path), "--out", str(out)]) == 0
    assert len(list(out.glob("history-*.png"))) == 3
    csv = (out / "history.csv").read_text()
    assert f'"synthetic-tiny [{TASTES}] on Xeon, 2 cores",cython-rand,1,' in csv
    assert main(["history", str(tmp_path / "nothing-here")]) == 2


def test_nineteen_series_have_nineteen_looks():
    looks = [tuple(sorted((k, str(v)) for k, v in series_style(k).items())) for k in range(19)]
    assert len(set(looks)) == 19
    colours = [series_style(k)["color"] for k in range(19)]
    assert colours[0] != colours[1]  # neighbours differ in colour, not only in shade


def test_commit_labels_are_once_per_run_and_thinned():
    from datetime import datetime, timedelta, timezone

    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    series = Series("m", "d")
    for name in ("a", "b", "c"):  # three tiers per run: one label per run, not three
        series.tiers[name] = [
            Point(start + timedelta(hours=k), f"{k:07d}abc", 1.0, 0.9, 1.1, "x")
            for k in range(40)
        ]
    labels = commit_labels(series)
    assert len(labels) <= MAX_COMMIT_LABELS + 1
    assert len({t for t, _ in labels}) == len(labels)
    assert labels[-1][1] == "0000039"  # the latest run is always labelled

def test_history_keeps_the_generators_apart(real_doc, tmp_path):
    """One spec, two generators: two series; a run from before results named the generator
    (no `generator` field) joins today's runs of the first generator (structure=none)."""
    assert real_doc["dataset"]["generator"] == TASTES
    runs = [
        ("new", "synthetic-ml10m", "tastes-1", 50000.0),
        ("first-today", "synthetic-ml10m:structure=none", "popularity-1", 60000.0),
        ("before", "synthetic-ml10m", None, 61000.0),
    ]
    for k, (name, spec, generator, speed) in enumerate(runs):
        created = f"2026-11-0{k + 1}T10:00:00+00:00"
        _run(real_doc, tmp_path, name, created, None, "EPYC", spec, {"cython-rand": speed})
        path = tmp_path / name / "results.json"
        doc = json.loads(path.read_text())
        if generator is None:
            del doc["dataset"]["generator"]
        else:
            doc["dataset"]["generator"] = generator
        path.write_text(json.dumps(doc))
    series = {s.key: s for s in collect([tmp_path])}
    assert set(series) == {
        "synthetic-ml10m [tastes-1] on EPYC, 2 cores",
        "synthetic-ml10m [popularity-1] on EPYC, 2 cores",
    }
    first = series["synthetic-ml10m [popularity-1] on EPYC, 2 cores"].tiers["cython-rand"]
    assert [p.median for p in first] == [60000.0, 61000.0]


def test_the_table_shows_the_generator_of_each_series(real_doc, tmp_path, capsys):
    """The series' "[tastes-N]" is its generator, not rich markup: the table keeps it."""
    _run(real_doc, tmp_path, "a", "2026-11-01T10:00:00+00:00", "aaaaaaa111", "EPYC",
         "synthetic-tiny", {"cython-rand": 50000.0})
    assert main(["history", str(tmp_path), "--out", str(tmp_path / "h")]) == 0
    table = capsys.readouterr().out.split("slimbench history", 1)[1]
    assert f"synthetic-tiny [{TASTES}] on EPYC" in table
