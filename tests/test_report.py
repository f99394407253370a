"""The HTML report (slimbench.output.report): self-contained, and rebuilt from saved results."""

from __future__ import annotations

import json

import pytest

from slimbench.cli import main
from slimbench.output.compare import compare_results
from slimbench.output.results import load_results


def test_report_is_self_contained(tiny_run):
    _, out = tiny_run
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 8  # each plot wide and narrow (a phone)
    assert "http://" not in html and "https://" not in html
    for needle in ("Cross-check", "Timing protocol", "Caveats", "RAND_MAX", "cython-typed"):
        assert needle in html


def test_report_and_compare_from_saved_results(tiny_run, tmp_path, capsys):
    _, out = tiny_run
    assert main(["report", str(out / "results.json"), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "report.html").exists()
    doc = load_results(out / "results.json")
    assert main(["compare", str(out / "results.json"), str(out / "results.json")]) == 0
    rows = compare_results(doc, doc)
    assert all(r["ratio"] == pytest.approx(1.0) for r in rows)
    assert all(r["verdict"] == "no detectable change" for r in rows)


def _as_version_1_with_a_floor(doc: dict) -> dict:
    """``doc`` as slimbench wrote it before version 2: with a floor, its class "baseline"."""
    old = json.loads(json.dumps(doc))
    old["schema_version"] = 1
    floor = json.loads(json.dumps(next(t for t in old["tiers"] if t["name"] == "cython-rand")))
    floor.update(name="floor", exactness="baseline", floor=None, description="the floor")
    floor["check"]["exactness"] = "baseline"
    old["tiers"].append(floor)
    old["check"].append({**floor["check"], "tier": "floor"})
    return old


def test_a_version_1_file_shows_the_floors_class_as_floor_in_report_and_compare(
    tiny_run, tmp_path, capsys
):
    _, out = tiny_run
    old = tmp_path / "old" / "results.json"
    old.parent.mkdir()
    old.write_text(json.dumps(_as_version_1_with_a_floor(load_results(out / "results.json"))))
    doc = load_results(old)
    assert doc["schema_version"] == 2
    floor = next(t for t in doc["tiers"] if t["name"] == "floor")
    assert floor["exactness"] == floor["check"]["exactness"] == "floor"
    assert [c["exactness"] for c in doc["check"] if c["tier"] == "floor"] == ["floor"]
    assert any("schema version 1" in c for c in doc["caveats"])

    capsys.readouterr()
    assert main(["report", str(old), "--out", str(tmp_path / "report")]) == 0
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if line.startswith("│ floor "))
    assert [c.strip() for c in row.split("│")].count("floor") == 2, row  # tier and class
    assert "baseline" not in printed
    html = (tmp_path / "report" / "report.html").read_text()
    assert '<td class="l">floor</td>' in html and '<td class="l">baseline</td>' not in html

    # an old file against a new one: both read, one name for the class
    assert main(["compare", str(old), str(out / "results.json")]) == 0
    assert "baseline" not in capsys.readouterr().out


def test_the_dataset_section_labels_what_was_asked_apart_from_what_came_out(tiny_run):
    """synthetic-ml10m:scale=0.1 asks for profiles of at most 7,359 (a cap) and draws a
    longest one of 6,891: both shown, labelled as what they are, thousands separated."""
    from slimbench.data.synthetic import SyntheticParams
    from slimbench.output.report import render_report

    doc = load_results(tiny_run[1] / "results.json")
    params = SyntheticParams().scaled(0.1)
    doc["dataset"]["source"] = f"synthetic generator tastes-2, {params!r}"
    doc["dataset"]["stats"].update(nnz=1_000_034, user_max=6_891)
    page = render_report(doc, {})
    assert "<dt>interactions</dt><dd>1,000,034</dd>" in page
    assert "<dt>longest profile allowed (a cap;" in page and "<dd>7,359</dd>" in page
    assert '<td class="l">longest user profile</td><td>6,891</td>' in page
    assert '<td class="l">interactions</td><td>1,000,034</td>' in page
    assert "before the holdout split" in page
    assert "training split</td>" in page  # the expected length a step of this run reads
    for raw in ("<dt>nnz</dt>", "<dt>max len</dt>", ">user max<", "1000034", "'tastes'"):
        assert raw not in page, raw
