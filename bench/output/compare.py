"""``slimbench compare OLD NEW``: per tier, did the speed change between two runs?

Each tier measured in both runs gets a verdict from its per-round samples/s
(slimbench.measure.verdict: Mann-Whitney U, two-sided, p < 0.05): "faster", "slower" or "no
detectable change", with the ratio of medians new/old as the size of the change.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..measure.extrapolate import human_rate
from ..measure.paired import pass_speeds
from ..measure.verdict import compare_rounds
from .dataset_identity import dataset_identity


def compare_results(old: dict, new: dict) -> list[dict]:
    """One row per tier present in either run: medians, ratio new/old, p-value, verdict."""
    old_t = {t["name"]: t for t in old["tiers"]}
    new_t = {t["name"]: t for t in new["tiers"]}
    rows = []
    for name in list(dict.fromkeys([*old_t, *new_t])):
        a = (old_t.get(name) or {}).get("samples_per_second")
        b = (new_t.get(name) or {}).get("samples_per_second")
        row = {
            "tier": name,
            "old": a and a["median"],
            "new": b and b["median"],
            "ratio": None,
            "p_value": None,
            "verdict_detail": None,
        }
        if a and b:
            v = compare_rounds(pass_speeds(old_t[name]), pass_speeds(new_t[name]))
            row.update(ratio=v.ratio, p_value=v.p_value, verdict=v.verdict, verdict_detail=v)
        else:
            row["verdict"] = "only in " + ("new" if b else "old") if (a or b) else "not measured"
        rows.append(row)
    return rows


def slower_tiers(rows: list[dict], percent: float) -> list[str]:
    """Tiers significantly slower by more than ``percent`` % (``--fail-slower``)."""
    return [
        r["tier"]
        for r in rows
        if r["verdict_detail"] is not None and r["verdict_detail"].slower_by_more_than(percent)
    ]


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
    old_data, new_data = dataset_identity(old["dataset"]), dataset_identity(new["dataset"])
    if old_data != new_data:
        console.print(
            f"[yellow]the two runs used different datasets ({escape(old_data)} vs "
            f"{escape(new_data)}): ratios mix workloads[/]"
        )
    table = Table()
    for col in ("tier", "old samples/s", "new samples/s", "new/old", "p", "verdict"):
        table.add_column(col, justify="left" if col in ("tier", "verdict") else "right")
    for r in rows:
        style = {"faster": "green", "slower": "red"}.get(r["verdict"], "")
        table.add_row(
            escape(r["tier"]),
            human_rate(r["old"]) if r["old"] else "-",
            human_rate(r["new"]) if r["new"] else "-",
            f"{r['ratio']:.2f}" if r["ratio"] else "-",
            f"{r['p_value']:.3f}" if r["p_value"] is not None else "-",
            r["verdict"],
            style=style,
        )
    console.print(table)
    return rows
