"""Turn a saved pytest-benchmark JSON into a results document the report understands.

The benchmarks in tests/benchmarks/ time one ``run`` of ``extra_info["steps"]`` steps per
round on a fresh tier; their ``extra_info`` carries the tier's name, class, steps, the
dataset's training interactions and the epochs to extrapolate to.
"""

from __future__ import annotations

import json
from pathlib import Path

from .results import (
    SCHEMA,
    SCHEMA_VERSION,
    ResultsFileError,
    derive_ratios,
    new_tier_entry,
    now_iso,
    summarize_entry,
)


def results_from_pytest_benchmark(path: str | Path) -> dict:
    """Build a ``slimbench.results`` document from pytest-benchmark's JSON file."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsFileError(f"pytest-benchmark file {str(p)!r} does not exist.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsFileError(f"{str(p)!r} is not valid JSON ({exc}).") from None
    benches = [b for b in doc.get("benchmarks", []) if "tier" in b.get("extra_info", {})]
    if not isinstance(doc, dict) or not benches:
        raise ResultsFileError(
            f"{str(p)!r} holds no slimbench tier benchmark (expected pytest-benchmark JSON from "
            "`pytest tests/benchmarks --benchmark-only --benchmark-json FILE`)."
        )
    first = benches[0]["extra_info"]
    tiers = []
    for b in benches:
        info = b["extra_info"]
        entry = new_tier_entry(
            info["tier"], info.get("exactness", "?"), info.get("description", "")
        )
        steps = int(info["steps"])
        # per-round times where saved (--benchmark-save-data), else only the median exists
        times = b["stats"].get("data") or [b["stats"]["median"]]
        entry["rounds"] = [{"steps": steps, "seconds": float(t), "loss": None} for t in times]
        entry["status"] = "measured"
        entry["check"] = {"verdict": info.get("check")}
        entry["setup_seconds"] = info.get("setup_seconds")
        summarize_entry(entry, int(info["train_nnz"]), int(info["epochs"]))
        tiers.append(entry)
    derive_ratios(tiers, paired=False)  # pytest-benchmark times one tier after another
    machine = doc.get("machine_info", {})
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "slimbench_version": first.get("slimbench_version", "?"),
        "status": "complete",
        "created": doc.get("datetime", now_iso()),
        "updated": now_iso(),
        "command": ["pytest-benchmark", str(p)],
        "dataset": {
            "name": first.get("dataset", "?"),
            "source": "pytest-benchmark run",
            "notes": [],
            "stats": {},
            "train_nnz": int(first["train_nnz"]),
            "test_nnz": 0,
            "train_share": 1.0,
            "split_seed": None,
        },
        "options": {
            "seed": first.get("seed"),
            "learning_rate": first.get("learning_rate"),
            "epochs": int(first["epochs"]),
            "scheduling": "pytest-benchmark",
            "rounds": max(len(t["rounds"]) for t in tiers),
            "threads": None,
            "tiers": [t["name"] for t in tiers],
        },
        "protocol": "pytest-benchmark pedantic mode: a fresh tier per round (setup not timed), "
        "warm-up rounds excluded; each round times one run of "
        f"{first['steps']:,} steps."
        if "steps" in first
        else "pytest-benchmark",
        "machine": {
            "cpu_model": machine.get("cpu", {}).get("brand_raw"),
            "usable_cores": machine.get("cpu", {}).get("count"),
            "python": machine.get("python_version"),
            "pytest_benchmark": machine,
        },
        "check": [],
        "tiers": tiers,
        "caveats": [
            "Figures from pytest-benchmark: each round is a single run call on a fresh "
            "tier; the tiers' cross-check ran in the same pytest session."
        ],
    }
