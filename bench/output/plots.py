"""The run's PNG plots (matplotlib, Agg): each readable on its own, without the report."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display needed, none assumed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator  # noqa: E402
from matplotlib.transforms import ScaledTranslation, blended_transform_factory  # noqa: E402

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


@dataclass(frozen=True)
class PlotStyle:
    """How big a plot is drawn, and its type: one for a wide screen, one for a phone.

    A PNG shown narrower than it was drawn scales its type down with it: the report shows
    the WIDE render where the page is wider than 700 CSS px (at its own size, 1 PNG pixel a
    CSS pixel) and the NARROW one on a phone, drawn at a phone's width for a 2x screen.
    ``css_px(pt)`` is how tall a ``pt``-point text is in CSS pixels at the render's own size.
    """

    width: float  # inches
    dpi: int
    text: float  # points: titles and axis labels
    small: float  # points: ticks, legends, the figures beside the dots (the smallest type)
    wrap: int  # characters of a title or axis label line
    narrow: bool
    density: int = 1  # PNG pixels per CSS pixel: 2 for a phone's screen

    def css_px(self, points: float) -> float:
        return points * self.dpi / 72 / self.density


#: at 110 dpi about 730 px wide (more where a legend is wider), shown at its own size on
#: a wide screen: 9-point labels are 13.8 CSS px, the smallest (8-point) type 12.2 px
WIDE = PlotStyle(width=6.6, dpi=110, text=9, small=8, wrap=70, narrow=False)
#: 3.8 in at 200 dpi for a 2x phone screen: 380 CSS px, within a 420 px phone's page;
#: 10-point labels are 13.9 CSS px, the smallest (9-point) type 12.5 px
NARROW = PlotStyle(width=3.8, dpi=200, text=10, small=9, wrap=44, narrow=True, density=2)
#: the wide render's width in inches
PLOT_WIDTH = WIDE.width
#: the narrow render of NAME.png is NAME-narrow.png
NARROW_SUFFIX = "-narrow"


def _wrap(text: str, style: PlotStyle) -> str:
    return "\n".join(textwrap.wrap(text, style.wrap))


def _subtitle(results: dict, style: PlotStyle = WIDE) -> str:
    """Dataset and machine, shortened and wrapped so that no title clips."""
    ds, m = results["dataset"], results["machine"]
    name = ds["name"] if len(ds["name"]) <= 60 else ds["name"][:57] + "..."
    text = (
        f"{name} ({ds['train_nnz']:,} training interactions) - "
        f"{m.get('cpu_model')}, {plural(m.get('usable_cores') or 0, 'core')}"
    )
    return _wrap(text, style)


def interval_label(sps: dict) -> str:
    """The interval of a median with the coverage it really has ("no interval": 1 round)."""
    if sps.get("n", 0) < 2:
        return "no interval"
    return f"{sps['confidence']:.1%} interval"


def _coverage_text(tiers: list[dict]) -> str:
    labels = sorted({interval_label(t["samples_per_second"]) for t in tiers})
    return labels[0] if len(labels) == 1 else "intervals of the coverage in the table"


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


def _class_legend(ax, tiers: list[dict], style: PlotStyle = WIDE) -> None:
    classes = list(dict.fromkeys(t["exactness"] for t in tiers))
    handles = [
        Patch(color=CLASS_COLORS.get(c, "#999"), label=_wrap(CLASS_LABELS.get(c, c), style))
        for c in classes
    ]
    # below the axes, never on a dot or its label, and not beside them: that would take
    # the width a phone does not have
    ax.legend(
        handles=handles, fontsize=style.small, loc="upper left", borderaxespad=0.0,
        frameon=False, **_below_axes(ax, _under_xlabel(ax), from_edge=style.narrow),
    )


def _under_xlabel(ax) -> float:
    """Inches from the axes' bottom to below its ticks and x label (one 0.6, each further
    line of the label 0.18 more)."""
    return 0.42 + 0.18 * (ax.get_xlabel().count("\n") + 1)


def _below_axes(ax, inches: float = 0.6, *, from_edge: bool = False) -> dict:
    """Legend placement a fixed distance under the axes, clear of the ticks and the x
    label however tall the plot is (an axes fraction would shrink with the plot);
    ``from_edge``: starting at the figure's left edge, not the axes' (a narrow legend
    takes the y label's width too)."""
    left = ax.get_position().x0 * ax.figure.get_figwidth() - 0.05 if from_edge else 0.0
    shift = ScaledTranslation(-left, -inches, ax.figure.dpi_scale_trans)
    return {"bbox_to_anchor": (0.0, 0.0), "bbox_transform": ax.transAxes + shift}


def _dot_rows(ax, tiers: list[dict], value, low, high, label, style: PlotStyle = WIDE) -> None:
    """One row per tier: a dot at its figure, whiskers to its interval, a label after it.

    Dots, not bars: on a log axis a bar's length depends on where the axis starts. In the
    narrow render each row's name and figure sit on a line above its dot (names beside the
    axis would leave it no width on a phone).
    """
    y = np.arange(len(tiers))
    med = np.array([value(t) for t in tiers], dtype=float)
    lo = np.array([low(t) for t in tiers], dtype=float)
    hi = np.array([high(t) for t in tiers], dtype=float)
    colors = [CLASS_COLORS.get(t["exactness"], "#999") for t in tiers]
    ax.hlines(y, lo, hi, colors=colors, linewidth=2)
    ax.scatter(med, y, c=colors, s=36, zorder=3)
    ax.tick_params(labelsize=style.small)
    if style.narrow:
        row = blended_transform_factory(ax.transAxes, ax.transData)
        for yi, t in zip(y, tiers, strict=True):
            ax.text(0.01, yi - 0.22, t["name"], transform=row, va="bottom", ha="left",
                    fontsize=style.small)
            ax.text(0.99, yi - 0.22, label(t), transform=row, va="bottom", ha="right",
                    fontsize=style.small)
        ax.set_yticks(y, [""] * len(tiers))
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(len(tiers) - 0.5, -1.0)  # room above the first row for its name
        if len(med):
            ax.set_xlim(lo.min() / 1.6, hi.max() * 1.6)
    else:
        for yi, t, top in zip(y, tiers, hi, strict=True):
            ax.text(top * 1.08, yi, label(t), va="center", fontsize=style.small + 1)
        ax.set_yticks(y, [t["name"] for t in tiers], fontsize=style.small + 1)
        ax.invert_yaxis()
        if len(med):  # room for the labels, no empty decade
            ax.set_xlim(lo.min() / 1.6, hi.max() * 4)
    ax.set_xscale("log")
    ax.grid(axis="x", which="both", alpha=0.3)


def _figsize(style: PlotStyle, rows: int, per_row: float, base: float) -> tuple[float, float]:
    """Width and height in inches: the narrow render's rows are taller (a line of text
    above each dot)."""
    if style.narrow:
        return style.width, 0.5 * rows + base + 1.2
    return style.width, per_row * rows + base


def plot_speed(results: dict, path: Path, style: PlotStyle = WIDE) -> Path:
    """Samples/s per tier on a log axis, CI whiskers, speedup over python-naive beside it."""
    return _save(speed_figure(results, style), path, style)


def speed_figure(results: dict, style: PlotStyle = WIDE) -> plt.Figure:
    """The figure of :func:`plot_speed`, unsaved: tiers in the summary table's order."""
    tiers = table_order(measured(results))
    fig, ax = plt.subplots(figsize=_figsize(style, len(tiers), 0.36, 2.6))

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
        style,
    )
    ax.set_xlabel(
        _wrap(f"samples/s (median, {_coverage_text(tiers)}; log scale); (Nx): vs python-naive",
              style),
        fontsize=style.text,
    )
    _class_legend(ax, tiers, style)
    ax.set_title("SLIM MSE SGD speed per tier\n" + _subtitle(results, style), fontsize=style.text)
    return fig


def plot_training_time(results: dict, path: Path, style: PlotStyle = WIDE) -> Path:
    """Extrapolated full-training time per tier, log axis, labelled in human units."""
    tiers = table_order([t for t in measured(results) if t.get("training_time")])
    epochs = results["options"]["epochs"]
    fig, ax = plt.subplots(figsize=_figsize(style, len(tiers), 0.36, 2.6))
    tt = "training_time"
    _dot_rows(
        ax,
        tiers,
        lambda t: t[tt]["seconds"],
        lambda t: t[tt].get("seconds_low") or t[tt]["seconds"],
        lambda t: t[tt].get("seconds_high") or t[tt]["seconds"],
        lambda t: human_duration(t[tt]["seconds"]),
        style,
    )
    ax.xaxis.set_major_locator(FixedLocator(list(NICE_DURATIONS)))
    ax.xaxis.set_minor_locator(FixedLocator([]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: NICE_DURATIONS.get(round(v), "")))
    ax.set_xlabel(
        _wrap(
            f"{plural(epochs, 'epoch')} of the training split, setup included (log scale; "
            "whiskers: from the interval of samples/s)",
            style,
        ),
        fontsize=style.text,
    )
    _class_legend(ax, tiers, style)
    ax.set_title(
        f"Extrapolated training time ({plural(epochs, 'epoch')})\n" + _subtitle(results, style),
        fontsize=style.text,
    )
    return _save(fig, path, style)


def _legend_below(ax, n: int, style: PlotStyle = WIDE) -> None:
    if n:  # a run that measured nothing has no lines to name
        tight = {"handlelength": 1.6, "handletextpad": 0.4, "columnspacing": 0.8}
        ax.legend(
            fontsize=style.small, ncol=2 if style.narrow else 3, loc="upper left",
            borderaxespad=0.0, frameon=False, **(tight if style.narrow else {}),
            **_below_axes(ax, _under_xlabel(ax), from_edge=style.narrow),
        )


def plot_rounds(results: dict, path: Path, style: PlotStyle = WIDE) -> Path:
    """Each timed round's samples/s over the tier's median: how steady each tier was.

    On one linear axis around 100 %, every tier is readable whatever its speed (on samples/s
    itself, 8k and 8M share a log axis and each line is flat); the warm-up, not counted,
    is left out.
    """
    tiers = table_order(measured(results))
    fig, ax = plt.subplots(figsize=_line_figsize(style, len(tiers)))
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
    ax.tick_params(labelsize=style.small)
    ax.set_xlabel(_wrap("timed round (warm-up not shown, not counted)", style),
                  fontsize=style.text)
    ax.set_ylabel("% of the tier's median samples/s", fontsize=style.text)
    ax.grid(alpha=0.3)
    _legend_below(ax, len(tiers), style)
    ax.set_title("Speed per round, relative to each tier's median\n" + _subtitle(results, style),
                 fontsize=style.text)
    return _save(fig, path, style)


def _line_figsize(style: PlotStyle, n: int) -> tuple[float, float]:
    """A line plot with a legend below: the narrow one about square above its legend."""
    if style.narrow:
        return style.width, 3.6
    return style.width, 4.2 + 0.1 * n


def plot_mse(results: dict, path: Path, style: PlotStyle = WIDE) -> Path:
    """Mean squared error per round: the training is really happening (trainers only)."""
    tiers = [t for t in table_order(measured(results)) if t["exactness"] != "floor"]
    fig, ax = plt.subplots(figsize=_line_figsize(style, len(tiers)))
    for k, t in enumerate(tiers):
        rounds = [*t.get("warmup", []), *t.get("rounds", [])]
        steps = np.cumsum([r["steps"] for r in rounds])
        mse = [
            r["loss"] / r["steps"] if r["steps"] and r.get("loss") is not None else np.nan
            for r in rounds
        ]
        ax.plot(steps, mse, ms=3, label=t["name"], **series_style(k))
    ax.set_xscale("log")
    ax.tick_params(labelsize=style.small)
    ax.set_xlabel(_wrap("steps done by the tier (the first points: warm-up)", style),
                  fontsize=style.text)
    ax.set_ylabel(_wrap("mean squared error of the round's steps", style), fontsize=style.text)
    ax.grid(alpha=0.3, which="both")
    _legend_below(ax, len(tiers), style)
    ax.set_title(
        f"Training error per round (learning rate {results['options']['learning_rate']:g})"
        "\n" + _subtitle(results, style),
        fontsize=style.text,
    )
    return _save(fig, path, style)


def _save(fig: plt.Figure, path: Path, style: PlotStyle = WIDE) -> Path:
    fig.savefig(path, dpi=style.dpi, bbox_inches="tight")  # the legends below the axes too
    plt.close(fig)
    return path


def narrow_path(path: Path) -> Path:
    """Where the narrow render of the plot at ``path`` is written: NAME-narrow.png."""
    return path.with_name(path.stem + NARROW_SUFFIX + path.suffix)


PLOTS = {
    "speed.png": plot_speed,
    "training_time.png": plot_training_time,
    "rounds.png": plot_rounds,
    "mse.png": plot_mse,
}


def write_plots(results: dict, out_dir: Path) -> dict[str, Path]:
    """Every plot into ``out_dir``, each also as NAME-narrow.png (a phone's render); returns
    file name -> path, the narrow ones among them (none where nothing measured)."""
    tiers = measured(results)
    if not tiers:
        return {}
    has_loss = any(r.get("loss") is not None for t in tiers for r in t["rounds"])
    out = {}
    for name, fn in PLOTS.items():
        if has_loss or name != "mse.png":
            out[name] = fn(results, out_dir / name)
            narrow = narrow_path(out_dir / name)
            out[narrow.name] = fn(results, narrow, NARROW)
    return out
