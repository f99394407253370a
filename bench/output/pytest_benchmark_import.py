"""Turn a saved pytest-benchmark JSON into a results document the report understands.

The benchmarks in tests/benchmarks/ time one ``run`` of ``extra_info["steps"]`` steps per
round on a fresh tier; their ``extra_info`` carries the tier's name, class, steps, the
dataset's training interactions and the epochs to extrapolate to.
"""

from __future__ import annotations

from pathlib import Path

from ..bounded_json import JSONFileError, read_json
from ..impls import UnknownTierError, get_tier
from ..impls.registry import floor_by_layout
from .results import (
    SCHEMA,
    SCHEMA_VERSION,
    ResultsFileError,
    derive_ratios,
    new_tier_entry,
    now_iso,
    rename_old_exactness,
    summarize_entry,
)


def results_from_pytest_benchmark(path: str | Path) -> dict:
    """Build a ``slimbench.output.results`` document from pytest-benchmark's JSON file."""
    p = Path(path)
    try:
        doc = read_json(p)
    except JSONFileError as exc:
        raise ResultsFileError(f"pytest-benchmark file {exc}") from None
    benches = [
        b
        for b in (doc.get("benchmarks") if isinstance(doc, dict) else None) or []
        if isinstance(b, dict) and "tier" in (b.get("extra_info") or {})
    ]
    if not benches:
        raise ResultsFileError(
            f"{str(p)!r} holds no slimbench tier benchmark (expected pytest-benchmark JSON from "
            "`pytest tests/benchmarks --benchmark-only --benchmark-json FILE`)."
        )
    rename_old_exactness(benches)  # sessions before the rename saved the floors as "baseline"
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
        losses = info.get("round_losses") or []
        if len(losses) != len(times):
            losses = [None] * len(times)  # no loss is better than a loss of another round
        entry["rounds"] = [
            {"steps": steps, "seconds": float(t), "loss": loss}
            for t, loss in zip(times, losses, strict=True)
        ]
        entry["status"] = "measured"
        entry["check"] = _check_record(info)
        entry["setup_seconds"] = info.get("setup_seconds")
        entry["threads"] = info.get("threads")
        entry["memory_bytes"] = info.get("memory_bytes")
        entry["notes"].append(f"{steps:,} steps per round ({b.get('group') or 'no group'})")
        entry.update(_layout(info))
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
            "generator": first.get("generator"),
            "notes": [] if "train_share" in first else ["split not recorded in this file"],
            "stats": first.get("dataset_stats") or {},
            "train_nnz": int(first["train_nnz"]),
            "test_nnz": first.get("test_nnz"),
            "train_share": first.get("train_share"),
            "split_seed": first.get("seed"),
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
            "os": " ".join(filter(None, (machine.get("system"), machine.get("release")))),
            "node": machine.get("node"),
            # pytest-benchmark records the commit it ran at (its commit_info)
            "git_commit": (doc.get("commit_info") or {}).get("id"),
        },
        "check": [t["check"] for t in tiers if t["check"].get("verdict") != "not recorded"],
        "tiers": tiers,
        "caveats": [
            "Figures from pytest-benchmark: each round is a single run call on a fresh "
            "tier; the tiers' cross-check ran in the same pytest session."
        ],
    }


def _layout(info: dict) -> dict:
    """The tier's profile layout, its floor and bytes an entry, as a run derives them.

    The session's own record where it has one (the layout the tier chose on that data),
    else the registry's: the floor reading the tier's layout (slimbench.impls.registry),
    so no tier is measured against another layout's floor. A tier this slimbench does not
    know keeps no floor rather than a guessed one.
    """
    name = str(info["tier"]).split("@")[0]  # dask-bucketed@2: the tier, not its width
    try:
        cls = get_tier(name)
    except UnknownTierError:
        cls = None
    return {
        "profile_layout": info.get(
            "profile_layout", cls.profile_layout_name if cls is not None else None
        ),
        "floor": info.get("floor", floor_by_layout(name) if cls is not None else None),
        "bytes_per_entry": info.get(
            "bytes_per_entry", cls.bytes_per_entry if cls is not None else None
        ),
    }


def _check_record(info: dict) -> dict:
    """The tier's cross-check in that session, as results.json holds it, or "not recorded"."""
    check = info.get("check")
    if isinstance(check, dict):
        return check
    record = {
        "tier": info["tier"],
        "exactness": info.get("exactness"),
        "max_abs_diff": None,
        "loss_rel_diff": None,
        "seconds": None,
        "first_difference": None,
    }
    if isinstance(check, str):  # files written before the full verdict was stored
        return {**record, "verdict": check, "detail": "only the verdict was recorded"}
    return {
        **record,
        "verdict": "not recorded",
        "detail": "this pytest-benchmark file holds no cross-check",
    }
