"""The HTML report (slimbench.output.report): self-contained, and rebuilt from saved results."""

from __future__ import annotations

import pytest

from slimbench.cli import main
from slimbench.output.compare import compare_results
from slimbench.output.results import load_results


def test_report_is_self_contained(tiny_run):
    _, out = tiny_run
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 4
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
