"""A run's summary: its rows, which columns show first, and the headline.

The console table, the report's summary and the notebook's results object all show these
rows and choose their columns the same way; only the rendering differs (rich, HTML,
DataFrame). Every cell is a display string, formatted here and nowhere else.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence

from ..formatting import human_rate, plural
from .results import comparison_tier

#: how a tier from outside the project is marked beside its name
ORIGIN_MARKS = {"file": " (user)", "class": " (user class)", "plugin": " (plugin)"}
#: the baselines of the fixed ratio columns, by column label
RATIO_COLUMNS = {"vs rand": "cython-rand", "vs naive": "python-naive"}
#: columns shown after the first ones where the width allows, in this order
SECONDARY_COLUMNS = (
    "vs rand",
    "vs naive",
    "interval (coverage)",
    "% floor (layout)",
    "class",
    "rounds",
    "status",
    "threads",
    "GB/s",
    "% bw",
    "yellow",
)
#: the width of piped output (a log, a CI job): a terminal's own width is used otherwise
PIPED_WIDTH = 100
#: the narrowest terminal the summary is laid out for
MIN_WIDTH = 80


def output_width() -> int:
    """The width to lay text out in, for commands that print without rich: $COLUMNS where
    set, the terminal's where there is one, PIPED_WIDTH when piped; never below MIN_WIDTH."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        width = int(env)
    elif sys.stdout.isatty():
        width = shutil.get_terminal_size((PIPED_WIDTH, 24)).columns
    else:
        width = PIPED_WIDTH
    return max(width, MIN_WIDTH)


#: statuses whose rounds give a figure
_FIGURE_STATUSES = ("measured", "interrupted")


def ratio_text(value: float | None) -> str:
    """A speed ratio as the table shows it: 1,234x / 21.0x / 0.63x."""
    if value is None:
        return ""
    if value >= 100:
        return f"{value:,.0f}x"
    return f"{value:.1f}x" if value >= 1 else f"{value:.2g}x"


def has_figure(tier: Mapping) -> bool:
    """True where a tier has a samples/s figure to show (it passed its check and ran)."""
    return bool(tier.get("samples_per_second")) and tier.get("status") in _FIGURE_STATUSES


def ordered_tiers(tiers: Sequence[Mapping]) -> list[Mapping]:
    """Measured tiers slowest first, then those without a figure, in the run's order."""

    def key(t: Mapping) -> tuple[int, float]:
        return (0, t["samples_per_second"]["median"]) if has_figure(t) else (1, 0.0)

    return sorted(tiers, key=key)


def epochs_column(results: Mapping) -> str:
    """The label of the extrapolated training time column, e.g. "10 epochs"."""
    return plural(results["options"]["epochs"], "epoch")


def chosen_ratio(results: Mapping, vs: str | None = None) -> tuple[str, str | None]:
    """The label and baseline of the ratio shown first: "vs TIER" where one is chosen.

    ``vs`` (``--vs``), else the run's own choice (slimbench.output.results.comparison_tier),
    else cython-rand, the seed's fastest tier.
    """
    tier = vs or comparison_tier(results["tiers"], (results.get("options") or {}).get("vs"))
    if tier is None or tier in RATIO_COLUMNS.values():
        tier = tier or "cython-rand"
        label = next(k for k, v in RATIO_COLUMNS.items() if v == tier)
        return label, tier
    return f"vs {tier}", tier


def first_columns(results: Mapping, vs: str | None = None) -> list[str]:
    """The columns that matter first: tier, check, samples/s, the chosen ratio, N epochs;
    and the status where a tier's figure is from an interrupted run (fewer rounds)."""
    first = ["tier", "check", "samples/s", chosen_ratio(results, vs)[0], epochs_column(results)]
    if any(t.get("status") == "interrupted" for t in results["tiers"]):
        first.append("status")
    return first


def summary_rows(results: Mapping, vs: str | None = None) -> list[dict[str, str]]:
    """Every column's display string per tier, slowest first (floors among them).

    A tier without a figure shows its status in the samples/s cell.
    """
    label, chosen = chosen_ratio(results, vs)
    rows = []
    for t in ordered_tiers(results["tiers"]):
        figure = has_figure(t)
        sps = t.get("samples_per_second") or {}
        speedup = t.get("speedup") or {}
        row = {
            "tier": t["name"] + ORIGIN_MARKS.get((t.get("origin") or {}).get("kind"), ""),
            "check": (t.get("check") or {}).get("verdict", ""),
            "samples/s": human_rate(sps["median"]) if figure else t.get("status", ""),
        }
        ratios = {label: ratio_text(speedup.get(chosen)) if figure else ""}
        for col, base in RATIO_COLUMNS.items():
            ratios.setdefault(col, ratio_text(speedup.get(base)) if figure else "")
        row[label] = ratios.pop(label)
        tt = t.get("training_time") or {}
        row[epochs_column(results)] = tt.get("human", "") if figure else ""
        row.update(ratios)
        row["interval (coverage)"] = _interval(sps) if figure else ""
        floor = t.get("percent_of_floor")
        row["% floor (layout)"] = (
            f"{floor:.0f}% ({t.get('profile_layout') or '12 B'})"
            if figure and floor is not None
            else ""
        )
        row["class"] = t.get("exactness", "")
        row["rounds"] = str(len(t.get("rounds", [])))
        row["status"] = t.get("status", "")
        row["threads"] = "" if t.get("threads") is None else str(t["threads"])
        traffic = t.get("bytes_per_second") if figure else None
        row["GB/s"] = "" if traffic is None else f"{traffic / 1e9:.1f}"
        share = t.get("percent_of_bandwidth") if figure else None
        row["% bw"] = "" if share is None else f"{share:.0f}%"
        row["yellow"] = "" if t.get("yellow_lines") is None else str(t["yellow_lines"])
        rows.append(row)
    return rows


def _interval(sps: Mapping) -> str:
    if sps.get("n", 0) < 2:
        return "no interval"
    return (
        f"{human_rate(sps['ci_low'])}-{human_rate(sps['ci_high'])} ({sps['confidence']:.1%})"
    )


def is_floor_row(row: Mapping[str, str]) -> bool:
    """A floor's row: it reads the profiles and trains nothing, so it is shown apart."""
    return row.get("class") == "floor"


def table_width(rows: Sequence[Mapping[str, str]], columns: Sequence[str]) -> int:
    """Characters a boxed table of ``columns`` takes (rich's default box, padding 1)."""
    widths = [max([len(c), *(len(r.get(c, "")) for r in rows)]) for c in columns]
    return sum(widths) + 3 * len(widths) + 1


def choose_columns(
    rows: Sequence[Mapping[str, str]],
    first: Sequence[str],
    width: int | None,
    *,
    wide: bool = False,
    rest: Sequence[str] = SECONDARY_COLUMNS,
) -> list[str]:
    """The first columns, then the others in ``rest`` order while they fit.

    ``width`` None or ``wide``: every column that holds a value somewhere. A column that is
    empty for every tier (no bandwidth measured, no Cython tier) is never shown.
    """
    filled = [c for c in rows[0] if any(r.get(c) for r in rows)] if rows else []
    columns = [c for c in first if c in filled or c in ("tier", "samples/s")]
    rest = [c for c in rest if c in filled and c not in columns]
    rest += [c for c in filled if c not in columns and c not in rest]
    for col in rest:
        if wide or width is None or table_width(rows, [*columns, col]) <= width:
            columns.append(col)
    return columns


def headline(results: Mapping) -> list[dict]:
    """Per exactness class, the fastest tier whose check passed; then each floor.

    Each item: ``class``, ``tier``, ``samples_per_second``, ``vs_rand`` (its ratio to
    cython-rand, None where cython-rand was not measured), ``training_time`` (human) and
    ``floor`` (True for a floor, which trains nothing).
    """
    best: dict[str, Mapping] = {}
    floors = []
    for t in results["tiers"]:
        if not has_figure(t) or (t.get("check") or {}).get("verdict") != "pass":
            continue
        if t.get("exactness") == "floor":
            floors.append(t)
            continue
        cls = t.get("exactness", "?")
        if cls not in best or (
            t["samples_per_second"]["median"] > best[cls]["samples_per_second"]["median"]
        ):
            best[cls] = t
    out = []
    for cls, t in sorted(best.items(), key=lambda kv: -kv[1]["samples_per_second"]["median"]):
        out.append(_headline_item(cls, t, floor=False))
    for t in sorted(floors, key=lambda t: t["samples_per_second"]["median"]):
        out.append(_headline_item("floor", t, floor=True))
    return out


def _headline_item(cls: str, t: Mapping, *, floor: bool) -> dict:
    return {
        "class": cls,
        "tier": t["name"],
        "samples_per_second": t["samples_per_second"]["median"],
        "vs_rand": (t.get("speedup") or {}).get("cython-rand"),
        "training_time": (t.get("training_time") or {}).get("human"),
        "floor": floor,
    }


def headline_segments(results: Mapping) -> list[list[str]]:
    """The headline's sentences, each cut where a line may break: a tier's name and its
    figure are one segment ("cython-rand, 137k samples/s,"), never split by a wrap."""
    items = headline(results)
    trainers = [h for h in items if not h["floor"]]
    epochs = results["options"]["epochs"]
    sentences = []
    for h in trainers:
        rate = human_rate(h["samples_per_second"])
        parts = [f"fastest {h['class']}:", f"{h['tier']}, {rate} samples/s"]
        if h["vs_rand"] is not None:
            parts.append(f"{ratio_text(h['vs_rand'])} cython-rand")
        if h["training_time"]:
            parts.append(f"{plural(epochs, 'epoch')} in {h['training_time']}")
        sentences.append([parts[0], *(p + "," for p in parts[1:-1]), parts[-1]])
    if not trainers:
        sentences.append(["no tier that trains passed its check and was measured"])
    floors = [h for h in items if h["floor"]]
    if floors:
        figures = [f"{h['tier']} {human_rate(h['samples_per_second'])}" for h in floors]
        sentences.append(
            ["floors (train nothing;", "each bounds its layout's tiers):"]
            + [f + "," for f in figures[:-1]]
            + figures[-1:]
        )
    return sentences


def headline_lines(results: Mapping) -> list[str]:
    """The headline as sentences: the fastest tier of each class, then the floors apart."""
    return [" ".join(segments) for segments in headline_segments(results)]
