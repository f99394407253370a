"""The console table of a run (rich), the same figures as results.csv and the report."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..measure.extrapolate import human_rate

#: how a tier from outside the project is marked beside its name
ORIGIN_MARKS = {"file": " (user)", "class": " (user class)", "plugin": " (plugin)"}


def _ratio(value: float | None) -> str:
    if value is None:
        return ""
    if value >= 100:
        return f"{value:,.0f}x"
    return f"{value:.1f}x" if value >= 1 else f"{value:.2g}x"


def ordered_tiers(tiers: list[dict]) -> list[dict]:
    """Measured tiers slowest first, then those without a figure, in the run's order."""

    def key(t: dict) -> tuple[int, float]:
        sps = t.get("samples_per_second")
        return (
            (0, sps["median"])
            if sps and t.get("status") in ("measured", "interrupted")
            else (1, 0.0)
        )

    return sorted(tiers, key=key)


def table_rows(results: dict) -> list[dict]:
    """Display strings per tier, slowest first: the one place that formats the table's cells."""
    epochs = results["options"]["epochs"]
    rows = []
    for t in ordered_tiers(results["tiers"]):
        sps = t.get("samples_per_second")
        check = (t.get("check") or {}).get("verdict", "")
        speed = ci = naive = rand = floor = train = traffic = share = ""
        if sps and t["status"] in ("measured", "interrupted"):
            speed = human_rate(sps["median"])
            ci = (
                "no interval"
                if sps.get("n", 0) < 2
                else f"{human_rate(sps['ci_low'])}-{human_rate(sps['ci_high'])} "
                f"({sps['confidence']:.1%})"
            )
            naive = _ratio(t["speedup"].get("python-naive"))
            rand = _ratio(t["speedup"].get("cython-rand"))
            if t.get("percent_of_floor") is not None:
                layout = t.get("profile_layout") or "12 B"
                floor = f"{t['percent_of_floor']:.0f}% ({layout})"
            train = t["training_time"]["human"] if t.get("training_time") else ""
            if t.get("bytes_per_second") is not None:
                traffic = f"{t['bytes_per_second'] / 1e9:.1f}"
                share = f"{t['percent_of_bandwidth']:.0f}%"
        kind = (t.get("origin") or {}).get("kind", "built-in")
        rows.append(
            {
                "tier": t["name"] + ORIGIN_MARKS.get(kind, ""),
                "class": t["exactness"],
                "check": check,
                "status": t["status"],
                "samples/s": speed,
                "interval (coverage)": ci,
                "rounds": str(len(t.get("rounds", []))),
                "vs naive": naive,
                "vs rand": rand,
                "% floor (layout)": floor,
                "GB/s": traffic,
                "% bw": share,
                f"{epochs} epochs": train,
                "threads": "" if t.get("threads") is None else str(t["threads"]),
                "yellow": "" if t.get("yellow_lines") is None else str(t["yellow_lines"]),
            }
        )
    return rows


def print_table(results: dict, console: Console | None = None) -> None:
    """Print the summary table; tiers without a verified figure show their status."""
    console = console or Console()
    rows = table_rows(results)
    if not rows:
        return
    ds = results["dataset"]
    table = Table(
        title=f"{escape(str(ds['name']))}: {ds['train_nnz']:,} training interactions, "
        f"seed {results['options']['seed']}",
        title_justify="left",
    )
    for col in rows[0]:
        table.add_column(  # names and figures are never wrapped or cut
            col,
            justify="left" if col in ("tier", "class", "check", "status") else "right",
            no_wrap=True,
        )
    for row in rows:
        # cells hold user text (tier names, statuses): shown as written, never as markup
        table.add_row(*(escape(v) if isinstance(v, str) else v for v in row.values()))
    console.print(table)
