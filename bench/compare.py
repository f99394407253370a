"""``slimbench compare OLD NEW``: per-tier ratios between two runs, flagging real changes.

A change is flagged where the two medians' confidence intervals do not overlap; within
overlapping intervals the ratio is shown but called noise.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .extrapolate import human_rate
from .summary import intervals_overlap


def compare_results(old: dict, new: dict) -> list[dict]:
    """One row per tier present in either run: medians, ratio new/old, verdict."""
    old_t = {t["name"]: t for t in old["tiers"]}
    new_t = {t["name"]: t for t in new["tiers"]}
    rows = []
    for name in list(dict.fromkeys([*old_t, *new_t])):
        a = (old_t.get(name) or {}).get("samples_per_second")
        b = (new_t.get(name) or {}).get("samples_per_second")
        row = {"tier": name, "old": a and a["median"], "new": b and b["median"], "ratio": None}
        if a and b:
            row["ratio"] = b["median"] / a["median"]
            same = intervals_overlap((a["ci_low"], a["ci_high"]), (b["ci_low"], b["ci_high"]))
            row["verdict"] = (
                "same (intervals overlap)" if same else ("faster" if row["ratio"] > 1 else "slower")
            )
        else:
            row["verdict"] = "only in " + ("new" if b else "old") if (a or b) else "not measured"
        rows.append(row)
    return rows


def print_comparison(old: dict, new: dict, console: Console | None = None) -> list[dict]:
    """Print the comparison table and return its rows."""
    console = console or Console()
    rows = compare_results(old, new)
    for label, doc in (("old", old), ("new", new)):
        console.print(
            f"{label}: {doc['dataset']['name']}, {doc['created']}, "
            f"{doc['machine'].get('cpu_model')}",
            highlight=False,
            markup=False,
        )
    if old["dataset"]["name"] != new["dataset"]["name"]:
        console.print("[yellow]the two runs used different datasets: ratios mix workloads[/]")
    table = Table()
    for col in ("tier", "old samples/s", "new samples/s", "new/old", "verdict"):
        table.add_column(col, justify="left" if col in ("tier", "verdict") else "right")
    for r in rows:
        style = {"faster": "green", "slower": "red"}.get(r["verdict"], "")
        table.add_row(
            escape(r["tier"]),
            human_rate(r["old"]) if r["old"] else "-",
            human_rate(r["new"]) if r["new"] else "-",
            f"{r['ratio']:.2f}" if r["ratio"] else "-",
            r["verdict"],
            style=style,
        )
    console.print(table)
    return rows
