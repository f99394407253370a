"""Rerun stability: how much each figure moves between repeats of the whole protocol.

``slimbench run --repeat N`` runs the protocol N times in one invocation, each repeat with
a fresh set of tiers. For each tier: the spread of its median samples/s and of each of its
speedups across the repeats, as max/min - 1 (0.10 = the largest repeat is 10 % above the
smallest).
"""

from __future__ import annotations

from collections.abc import Sequence

#: the figures whose spread is reported, by their key in a tier entry
RATIOS = (("vs python-naive", "python-naive"), ("vs cython-rand", "cython-rand"))


def spread(values: Sequence[float]) -> float | None:
    """max/min - 1 of positive values; None for fewer than two."""
    v = [x for x in values if x is not None and x > 0]
    return max(v) / min(v) - 1.0 if len(v) >= 2 else None


def stability(runs: Sequence[dict]) -> list[dict]:
    """One row per tier measured in every repeat: its figures per repeat and their spread."""
    names = [t["name"] for t in runs[0]["tiers"]]
    rows = []
    for name in names:
        entries = [next((t for t in r["tiers"] if t["name"] == name), None) for r in runs]
        if any(e is None or not e.get("samples_per_second") for e in entries):
            continue
        row = {
            "tier": name,
            "samples_per_second": [e["samples_per_second"]["median"] for e in entries],
        }
        row["samples_per_second_spread"] = spread(row["samples_per_second"])
        for label, base in RATIOS:
            values = [(e.get("speedup") or {}).get(base) for e in entries]
            if name != base and all(v is not None for v in values):
                row[label] = values
                row[f"{label} spread"] = spread(values)
        floor = [e.get("percent_of_floor") for e in entries]
        if all(v is not None for v in floor):
            row["% floor"] = floor
            row["% floor spread"] = spread(floor)
        rows.append(row)
    return rows
