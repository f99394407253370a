"""A tier that raises a SlimBenchError while it is timed costs that tier only, not the run."""

from __future__ import annotations

import json

from slimbench.cli import main
from slimbench.impls import registry

from helpers import reference_loop

# Right on the check dataset (200 items); raises on any other, i.e. during the warm-up.
RAISES_WHEN_TIMED = reference_loop(
    "raises-when-timed",
    first="""\
    if S.shape[0] != 200:
        raise RuntimeError("only the check dataset is handled")
""",
)


def test_a_tier_raising_during_its_rounds_is_an_error_and_the_run_goes_on(tmp_path):
    path = tmp_path / "raises_when_timed.py"
    path.write_text(RAISES_WHEN_TIMED)
    before = set(registry._TIERS)
    try:
        code = main(
            [
                "run",
                "--dataset",
                "synthetic:n_users=80,n_items=60,nnz=2400,median_len=25",
                "--tiers",
                "python-indptr",
                "--tier-file",
                str(path),
                "--budget",
                "0.2",
                "--rounds",
                "2",
                "--out",
                str(tmp_path / "run"),
                "--no-annotate",
            ]
        )
    finally:
        for name in set(registry._TIERS) - before:
            registry._TIERS.pop(name)
    assert code == 1
    doc = json.loads((tmp_path / "run" / "results.json").read_text())
    assert doc["status"] == "complete"
    tiers = {t["name"]: t for t in doc["tiers"]}
    bad = tiers["raises-when-timed"]
    assert bad["status"] == "error" and bad["samples_per_second"] is None
    assert "only the check dataset is handled" in bad["error"]
    assert tiers["python-indptr"]["status"] == "measured"
