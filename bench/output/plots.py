"""The run's PNG plots (matplotlib, Agg): each readable on its own, without the report."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display needed, none assumed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator  # noqa: E402
from matplotlib.transforms import ScaledTranslation  # noqa: E402

from ..formatting import human_duration, human_rate, plural  # noqa: E402
from .summary_table import ratio_text  # noqa: E402

# ticks a person reads at a glance, a decade (or so) apart
NICE_DURATIONS = {
    1: "1 s",
    10: "10 s",
    60: "1 min",
    600: "10 min",
    3600: "1 hour",
    36000: "10 hours",
    360000: "4 days",
}
CLASS_COLORS = {
    "bitwise": "#2b6cb0",
    "replay": "#805ad5",
    "close": "#dd6b20",
    "floor": "#718096",
}
CLASS_LABELS = {
    "bitwise": "bitwise: S equal to the reference's",
    "replay": "replay: own sampler, loop checked on the reference's draws",
    "close": "close: within a stated tolerance (float32)",
    "floor": "floor: reads profiles only, trains nothing",
}


def measured(results: dict) -> list[dict]:
    """Tiers with a speed figure verified in this run, in the run's order."""
    return [
        t
        for t in results["tiers"]
        if t.get("samples_per_second")
        and t["status"] in ("measured", "interrupted")
        and (t.get("check") or {}).get("verdict") == "pass"
    ]


def _subtitle(results: dict) -> str:
    """Dataset and machine, shortened and wrapped so that no title clips."""
    ds, m = results["dataset"], results["machine"]
    name = ds["name"] if len(ds["name"]) <= 60 else ds["name"][:57] + "..."
    text = (
        f"{name} ({ds['train_nnz']:,} training interactions) - "
        f"{m.get('cpu_model')}, {plural(m.get('usable_cores') or 0, 'core')}"
    )
    return "\n".join(textwrap.wrap(text, 70))


def interval_label(sps: dict) -> str:
    """The interval of a median with the coverage it really has ("no interval": 1 round)."""
    if sps.get("n", 0) < 2:
        return "no interval"
    return f"{sps['confidence']:.1%} interval"


def _coverage_text(tiers: list[dict]) -> str:
    labels = sorted({interval_label(t["samples_per_second"]) for t in tiers})
    return labels[0] if len(labels) == 1 else "intervals of the coverage in the table"


#: width of the plots in inches: at 110 dpi about 700 px, so that a phone (about 400 px)
#: shows them at half size with 10-point text still legible
PLOT_WIDTH = 6.6
#: line styles and markers that tell apart series sharing one of the ten colours
_STYLES = (("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"))


def series_style(index: int) -> dict:
    """Colour, line style and marker of the ``index``-th series: no two alike up to 40.

    tab10's ten colours, then each again with another line style and marker (tab20's
    light/dark pairs read as one colour at a legend's size).
    """
    colours = matplotlib.colormaps["tab10"].colors
    linestyle, marker = _STYLES[(index // len(colours)) % len(_STYLES)]
    return {"color": colours[index % len(colours)], "linestyle": linestyle, "marker": marker}


def table_order(tiers: list[dict]) -> list[dict]:
    """The summary table's order: tiers that train, slowest first, then the floors."""
    ranked = sorted(tiers, key=lambda t: t["samples_per_second"]["median"])
    return [t for t in ranked if t["exactness"] != "floor"] + [
        t for t in ranked if t["exactness"] == "floor"
    ]


def _class_legend(ax, tiers: list[dict]) -> None:
    classes = list(dict.fromkeys(t["exactness"] for t in tiers))
    handles = [
        Patch(color=CLASS_COLORS.get(c, "#999"), label=CLASS_LABELS.get(c, c)) for c in classes
    ]
    # below the axes, never on a dot or its label, and not beside them: that would take
    # the width a phone does not have
    ax.legend(
        handles=handles, fontsize=8, loc="upper left", borderaxespad=0.0, frameon=False,
        **_below_axes(ax),
    )


def _below_axes(ax, inches: float = 0.6) -> dict:
    """Legend placement a fixed distance under the axes, clear of the ticks and the x
    label however tall the plot is (an axes fraction would shrink with the plot)."""
    shift = ScaledTranslation(0, -inches, ax.figure.dpi_scale_trans)
    return {"bbox_to_anchor": (0.0, 0.0), "bbox_transform": ax.transAxes + shift}


def _dot_rows(ax, tiers: list[dict], value, low, high, label) -> None:
    """One row per tier: a dot at its figure, whiskers to its interval, a label after it.

    Dots, not bars: on a log axis a bar's length depends on where the axis starts.
    """
    y = np.arange(len(tiers))
    med = np.array([value(t) for t in tiers], dtype=float)
    lo = np.array([low(t) for t in tiers], dtype=float)
    hi = np.array([high(t) for t in tiers], dtype=float)
    colors = [CLASS_COLORS.get(t["exactness"], "#999") for t in tiers]
    ax.hlines(y, lo, hi, colors=colors, linewidth=2)
    ax.scatter(med, y, c=colors, s=36, zorder=3)
    for yi, t, top in zip(y, tiers, hi, strict=True):
        ax.text(top * 1.08, yi, label(t), va="center", fontsize=9)
    ax.set_yticks(y, [t["name"] for t in tiers], fontsize=9)
    ax.invert_yaxis()
    ax.set_xscale("log")
    if len(med):  # room for the labels, no empty decade
        ax.set_xlim(lo.min() / 1.6, hi.max() * 4)
    ax.grid(axis="x", which="both", alpha=0.3)


def plot_speed(results: dict, path: Path) -> Path:
    """Samples/s per tier on a log axis, CI whiskers, speedup over python-naive beside it."""
    return _save(speed_figure(results), path)


def speed_figure(results: dict) -> plt.Figure:
    """The figure of :func:`plot_speed`, unsaved: tiers in the summary table's order."""
    tiers = table_order(measured(results))
    fig, ax = plt.subplots(figsize=(PLOT_WIDTH, 0.36 * len(tiers) + 2.6))

    def label(t: dict) -> str:
        s = t["speedup"].get("python-naive")
        naive = f" ({ratio_text(s)})" if s and t["name"] != "python-naive" else ""
        return human_rate(t["samples_per_second"]["median"]) + naive

    _dot_rows(
        ax,
        tiers,
        lambda t: t["samples_per_second"]["median"],
        lambda t: t["samples_per_second"]["ci_low"],
        lambda t: t["samples_per_second"]["ci_high"],
        label,
    )
    ax.set_xlabel(
        f"samples/s (median, {_coverage_text(tiers)}; log scale); (Nx): vs python-naive",
        fontsize=9,
    )
    _class_legend(ax, tiers)
    ax.set_title("SLIM MSE SGD speed per tier\n" + _subtitle(results), fontsize=9)
    return fig


def plot_training_time(results: dict, path: Path) -> Path:
    """Extrapolated full-training time per tier, log axis, labelled in human units."""
    tiers = table_order([t for t in measured(results) if t.get("training_time")])
    epochs = results["options"]["epochs"]
    fig, ax = plt.subplots(figsize=(PLOT_WIDTH, 0.36 * len(tiers) + 2.6))
    tt = "training_time"
    _dot_rows(
        ax,
        tiers,
        lambda t: t[tt]["seconds"],
        lambda t: t[tt].get("seconds_low") or t[tt]["seconds"],
        lambda t: t[tt].get("seconds_high") or t[tt]["seconds"],
        lambda t: human_duration(t[tt]["seconds"]),
    )
    ax.xaxis.set_major_locator(FixedLocator(list(NICE_DURATIONS)))
    ax.xaxis.set_minor_locator(FixedLocator([]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: NICE_DURATIONS.get(round(v), "")))
    ax.set_xlabel(
        f"{plural(epochs, 'epoch')} of the training split, setup included (log scale; whiskers: "
        "from the interval of samples/s)",
        fontsize=9,
    )
    _class_legend(ax, tiers)
    ax.set_title(
        f"Extrapolated training time ({plural(epochs, 'epoch')})\n" + _subtitle(results), fontsize=9
    )
    return _save(fig, path)


def _legend_below(ax, n: int) -> None:
    if n:  # a run that measured nothing has no lines to name
        ax.legend(
            fontsize=7, ncol=3, loc="upper left", borderaxespad=0.0, frameon=False,
            **_below_axes(ax),
        )


def plot_rounds(results: dict, path: Path) -> Path:
    """Each timed round's samples/s over the tier's median: how steady each tier was.

    On one linear axis around 100 %, every tier is readable whatever its speed (on samples/s
    itself, 8k and 8M share a log axis and each line is flat); the warm-up, not counted,
    is left out.
    """
    tiers = table_order(measured(results))
    fig, ax = plt.subplots(figsize=(PLOT_WIDTH, 4.2 + 0.1 * len(tiers)))
    for k, t in enumerate(tiers):
        median = t["samples_per_second"]["median"]
        speeds = [r["steps"] / r["seconds"] for r in t.get("rounds", []) if r["seconds"] > 0]
        ax.plot(
            np.arange(1, len(speeds) + 1),
            [100 * v / median for v in speeds],
            ms=4,
            label=t["name"],
            **series_style(k),
        )
    ax.axhline(100, color="0.5", linewidth=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("timed round (warm-up not shown, not counted)", fontsize=9)
    ax.set_ylabel("% of the tier's median samples/s", fontsize=9)
    ax.grid(alpha=0.3)
    _legend_below(ax, len(tiers))
    ax.set_title("Speed per round, relative to each tier's median\n" + _subtitle(results),
                 fontsize=9)
    return _save(fig, path)


def plot_mse(results: dict, path: Path) -> Path:
    """Mean squared error per round: the training is really happening (trainers only)."""
    tiers = [t for t in table_order(measured(results)) if t["exactness"] != "floor"]
    fig, ax = plt.subplots(figsize=(PLOT_WIDTH, 4.2 + 0.1 * len(tiers)))
    for k, t in enumerate(tiers):
        rounds = [*t.get("warmup", []), *t.get("rounds", [])]
        steps = np.cumsum([r["steps"] for r in rounds])
        mse = [
            r["loss"] / r["steps"] if r["steps"] and r.get("loss") is not None else np.nan
            for r in rounds
        ]
        ax.plot(steps, mse, ms=3, label=t["name"], **series_style(k))
    ax.set_xscale("log")
    ax.set_xlabel("steps done by the tier (the first points: warm-up)", fontsize=9)
    ax.set_ylabel("mean squared error of the round's steps", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    _legend_below(ax, len(tiers))
    ax.set_title(
        f"Training error per round (learning rate {results['options']['learning_rate']:g})"
        "\n" + _subtitle(results),
        fontsize=9,
    )
    return _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.savefig(path, dpi=110, bbox_inches="tight")  # the legends below the axes included
    plt.close(fig)
    return path


PLOTS = {
    "speed.png": plot_speed,
    "training_time.png": plot_training_time,
    "rounds.png": plot_rounds,
    "mse.png": plot_mse,
}


def write_plots(results: dict, out_dir: Path) -> dict[str, Path]:
    """Every plot into ``out_dir``; returns file name -> path (none where nothing measured)."""
    tiers = measured(results)
    if not tiers:
        return {}
    has_loss = any(r.get("loss") is not None for t in tiers for r in t["rounds"])
    return {
        name: fn(results, out_dir / name)
        for name, fn in PLOTS.items()
        if has_loss or name != "mse.png"
    }
