"""The run's PNG plots (matplotlib, Agg): each readable on its own, without the report."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display needed, none assumed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter  # noqa: E402

from ..measure.extrapolate import human_duration, human_rate  # noqa: E402

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
    "baseline": "#718096",
}
CLASS_LABELS = {
    "bitwise": "bitwise: S equal to the reference's",
    "replay": "replay: own sampler, loop checked on the reference's draws",
    "close": "close: within a stated tolerance (float32)",
    "baseline": "baseline: a floor, reads profiles only",
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
        f"{m.get('cpu_model')}, {m.get('usable_cores')} cores"
    )
    return "\n".join(textwrap.wrap(text, 90))


def interval_label(sps: dict) -> str:
    """The interval of a median with the coverage it really has ("no interval": 1 round)."""
    if sps.get("n", 0) < 2:
        return "no interval"
    return f"{sps['confidence']:.1%} interval"


def _coverage_text(tiers: list[dict]) -> str:
    labels = sorted({interval_label(t["samples_per_second"]) for t in tiers})
    return labels[0] if len(labels) == 1 else "intervals of the coverage in the table"


def _class_legend(ax, tiers: list[dict]) -> None:
    classes = list(dict.fromkeys(t["exactness"] for t in tiers))
    handles = [
        Patch(color=CLASS_COLORS.get(c, "#999"), label=textwrap.fill(CLASS_LABELS.get(c, c), 24))
        for c in classes
    ]
    # beside the axes, never on a bar or its label, however many tiers there are
    ax.legend(
        handles=handles, fontsize=8, title="class", title_fontsize=8,
        loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
    )


def plot_speed(results: dict, path: Path) -> Path:
    """Samples/s per tier on a log axis, CI whiskers, speedup over python-naive on each bar."""
    return _save(speed_figure(results), path)


def speed_figure(results: dict) -> plt.Figure:
    """The figure of :func:`plot_speed`, unsaved."""
    tiers = measured(results)
    fig, ax = plt.subplots(figsize=(10.5, 0.55 * len(tiers) + 1.6))
    y = np.arange(len(tiers))
    med = np.array([t["samples_per_second"]["median"] for t in tiers])
    lo = med - np.array([t["samples_per_second"]["ci_low"] for t in tiers])
    hi = np.array([t["samples_per_second"]["ci_high"] for t in tiers]) - med
    ax.barh(y, med, color=[CLASS_COLORS.get(t["exactness"], "#999") for t in tiers], height=0.6)
    ax.errorbar(med, y, xerr=[lo, hi], fmt="none", ecolor="#1a202c", elinewidth=1, capsize=3)
    for yi, t, m, top in zip(y, tiers, med, med + hi, strict=True):
        s = t["speedup"].get("python-naive")
        label = human_rate(m) + (
            f"  ({s:,.1f}x naive)" if s and t["name"] != "python-naive" else ""
        )
        ax.text(top * 1.12, yi, label, va="center", fontsize=9)
    ax.set_yticks(y, [t["name"] for t in tiers])
    ax.invert_yaxis()
    ax.set_xscale("log")
    if len(med):
        ax.set_xlim((med - lo).min() / 3, (med + hi).max() * 15)
    ax.set_xlabel(f"samples per second (median over rounds, {_coverage_text(tiers)}; log scale)")
    _class_legend(ax, tiers)
    ax.set_title("SLIM MSE SGD speed per tier\n" + _subtitle(results), fontsize=10)
    ax.grid(axis="x", which="both", alpha=0.3)
    return fig


def plot_training_time(results: dict, path: Path) -> Path:
    """Extrapolated full-training time per tier, log axis, labelled in human units."""
    tiers = [t for t in measured(results) if t.get("training_time")]
    epochs = results["options"]["epochs"]
    fig, ax = plt.subplots(figsize=(10.5, 0.55 * len(tiers) + 1.6))
    y = np.arange(len(tiers))
    sec = np.array([t["training_time"]["seconds"] for t in tiers])
    low = np.array(
        [t["training_time"].get("seconds_low") or s for t, s in zip(tiers, sec, strict=True)]
    )
    high = np.array(
        [t["training_time"].get("seconds_high") or s for t, s in zip(tiers, sec, strict=True)]
    )
    ax.barh(y, sec, color=[CLASS_COLORS.get(t["exactness"], "#999") for t in tiers], height=0.6)
    ax.errorbar(
        sec, y, xerr=[sec - low, high - sec], fmt="none", ecolor="#1a202c", elinewidth=1, capsize=3
    )
    for yi, s, top in zip(y, sec, high, strict=True):
        ax.text(top * 1.08, yi, human_duration(s), va="center", fontsize=9)
    ax.set_yticks(y, [t["name"] for t in tiers])
    ax.invert_yaxis()
    ax.set_xscale("log")
    if len(sec):
        ax.set_xlim(sec.min() / 2, sec.max() * 8)
    ax.xaxis.set_major_locator(FixedLocator(list(NICE_DURATIONS)))
    ax.xaxis.set_minor_locator(FixedLocator([]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: NICE_DURATIONS.get(round(v), "")))
    ax.set_xlabel(
        f"time for {epochs} epochs of the training split, setup included (log scale; bars: "
        "from the interval of samples/s)"
    )
    _class_legend(ax, tiers)
    ax.set_title(
        f"Extrapolated training time ({epochs} epochs)\n" + _subtitle(results), fontsize=10
    )
    ax.grid(axis="x", which="both", alpha=0.3)
    return _save(fig, path)


def _per_round(results: dict, value) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(11, 5))
    tiers = measured(results)
    # one distinct colour per tier (tab10 has 10, and runs have more tiers than that)
    palette = plt.get_cmap("tab20" if len(tiers) > 10 else "tab10")
    for k, t in enumerate(tiers):
        warm = t.get("warmup", [])
        rounds = t.get("rounds", [])
        steps = np.cumsum([r["steps"] for r in warm + rounds])
        vals = [value(r) for r in warm + rounds]
        (line,) = ax.plot(
            steps[len(warm) :],
            vals[len(warm) :],
            marker="o",
            ms=3,
            label=t["name"],
            color=palette(k % palette.N),
        )
        if warm:
            ax.plot(
                steps[: len(warm) + 1],
                vals[: len(warm) + 1],
                ls=":",
                alpha=0.5,
                color=line.get_color(),
            )
    ax.set_xscale("log")
    ax.set_xlabel("steps done by the tier (dotted: warm-up, not counted)")
    if tiers:  # a run that measured nothing has no lines to name
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))  # off the data
    ax.grid(alpha=0.3, which="both")
    return fig, ax


def plot_rounds(results: dict, path: Path) -> Path:
    """Samples/s of every round (the seed's 'every 5,000 iterations' view)."""
    fig, ax = _per_round(results, lambda r: r["steps"] / r["seconds"] if r["seconds"] else np.nan)
    ax.set_yscale("log")
    ax.set_ylabel("samples per second in the round")
    ax.set_title("Speed per round\n" + _subtitle(results), fontsize=10)
    return _save(fig, path)


def plot_mse(results: dict, path: Path) -> Path:
    """Mean squared error per round: the training is really happening (trainers only)."""
    trainers = {**results, "tiers": [t for t in results["tiers"] if t["exactness"] != "baseline"]}
    fig, ax = _per_round(
        trainers,
        lambda r: r["loss"] / r["steps"] if r["steps"] and r.get("loss") is not None else np.nan,
    )
    ax.set_ylabel("mean squared error of the round's steps")
    ax.set_title(
        f"Training error per round (learning rate {results['options']['learning_rate']:g})"
        "\n" + _subtitle(results),
        fontsize=10,
    )
    return _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
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
