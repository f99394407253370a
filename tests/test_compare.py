"""Two runs compared (slimbench.output.compare): verdicts from the rounds, --fail-slower."""

from __future__ import annotations

import json

import pytest

from slimbench.cli import main
from slimbench.figures.summary import summarize
from slimbench.output.compare import compare_results, slower_tiers
from slimbench.output.results import load_results


def _scaled(doc: dict, factors: dict[str, float]) -> dict:
    """A copy of a run whose tiers' rounds ran ``factor`` times as fast (a test double)."""
    other = json.loads(json.dumps(doc))
    for t in other["tiers"]:
        f = factors.get(t["name"], 1.0)
        for r in t["rounds"]:
            r["seconds"] /= f
        for key in ("median", "ci_low", "ci_high"):
            t["samples_per_second"][key] *= f
    return other


def test_compare_gives_verdicts_from_the_rounds(tiny_run):
    doc = load_results(tiny_run[1] / "results.json")
    rows = compare_results(doc, _scaled(doc, {t["name"]: 10.0 for t in doc["tiers"]}))
    assert all(r["verdict"] == "faster" and r["ratio"] == pytest.approx(10) for r in rows)
    assert all(r["p_value"] < 0.05 for r in rows)


def _doc_with_rounds(speeds: dict[str, list[float]]) -> dict:
    """A minimal results document whose tiers ran rounds of the given samples/s."""
    tiers = []
    for name, values in speeds.items():
        rounds = [{"steps": int(v * 1000), "seconds": 1000.0, "loss": 0.0} for v in values]
        tiers.append(
            {"name": name, "rounds": rounds, "samples_per_second": summarize(values).to_dict()}
        )
    return {"schema": "slimbench.output.results", "schema_version": 1, "tiers": tiers}


def test_compare_fail_slower_gates_a_slowed_tier(tiny_run, tmp_path, capsys):
    steady = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2, 99.8]
    old = _doc_with_rounds({"cython-rand": steady, "floor": steady})
    slowed = _doc_with_rounds({"cython-rand": [0.9 * v for v in steady], "floor": steady})
    rows = {r["tier"]: r for r in compare_results(old, slowed)}
    assert rows["cython-rand"]["verdict"] == "slower" and rows["cython-rand"]["p_value"] < 0.01
    assert rows["floor"]["verdict"] == "no detectable change"
    # documents without passes (no scheduling recorded): the raw verdict decides
    assert slower_tiers(list(rows.values()), 5) == (["cython-rand"], [])
    assert slower_tiers(list(rows.values()), 20) == ([], [])  # 10% slower: no 20% failure
    # noise as large as the change, in both directions: not called a change
    noisy = _doc_with_rounds(
        {"cython-rand": [v * (1.1 if k % 2 else 0.9) for k, v in enumerate(steady)]}
    )
    assert compare_results(old, noisy)[0]["verdict"] == "no detectable change"
    # and through the CLI, on real results files whose cython-rand rounds are controlled
    real = load_results(tiny_run[1] / "results.json")
    for name, factor in (("old", 1.0), ("new", 0.9)):
        doc = json.loads(json.dumps(real))
        doc.pop("noise", None)  # this machine's load during the fixture's run is not tested
        rand = next(t for t in doc["tiers"] if t["name"] == "cython-rand")
        rand["rounds"] = [
            {"steps": int(v * factor * 1000), "seconds": 1.0, "loss": 0.0} for v in steady
        ]
        rand["samples_per_second"] = summarize([factor * v * 1000 for v in steady]).to_dict()
        (tmp_path / f"{name}.json").write_text(json.dumps(doc))
    files = [str(tmp_path / "old.json"), str(tmp_path / "new.json")]
    assert main(["compare", *files, "--fail-slower", "5"]) == 1
    assert "slower by more than 5%: cython-rand" in capsys.readouterr().out
    assert main(["compare", *files, "--fail-slower", "20"]) == 0


@pytest.mark.parametrize("width", [80, 100, None])
def test_compare_fits_the_terminal_and_cuts_no_cell(tiny_run, tmp_path, capsys, monkeypatch, width):
    """COLUMNS=80 and 100 (and piped: 100), as the run's summary: no line wider, every tier
    and verdict whole, the columns left out named."""
    doc = load_results(tiny_run[1] / "results.json")
    slowed = _scaled(doc, {doc["tiers"][0]["name"]: 0.5})
    for name, d in (("old", doc), ("new", slowed)):
        d["noise"] = {"other_cpu_share": 0.85, "noisy_tiers": {doc["tiers"][1]["name"]: 0.2}}
        (tmp_path / f"{name}.json").write_text(json.dumps(d))
    if width is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", str(width))
    main(["compare", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--fail-slower", "5"])
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= (width or 100), max(lines, key=len)
    assert "…" not in out
    for t in doc["tiers"]:
        row = next(line for line in lines if line.startswith(f"│ {t['name']} "))
        assert "verdict" in out and row.rstrip().endswith("│")
    if width == 80:
        assert "left out at a width of 80: " in out
