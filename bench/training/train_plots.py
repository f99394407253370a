"""The plots of a ``slimbench train``: loss per epoch, and metrics per epoch beside the
baselines (horizontal lines)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from ..output.plots import NARROW, WIDE, PlotStyle, _save, narrow_path  # noqa: E402
from ..quality.metrics import USER_METRICS  # noqa: E402


def plot_loss(doc: dict, path: Path, style: PlotStyle = WIDE) -> Path:
    """Loss per step (the seed's loss / steps) after every epoch, log scale."""
    epochs = doc["epochs"]
    fig, ax = plt.subplots(figsize=(7, 4) if not style.narrow else (style.width, 3.2))
    xs = [e["epoch"] for e in epochs]
    ys = [e["loss_per_step"] for e in epochs]
    ax.plot(xs, ys, "o-")
    if len(epochs) > 1 and min(ys) > 0:
        ax.set_yscale("log")
    else:  # one point: a log axis would label its minor ticks (1.900-2.100) and nothing else
        ax.set_xlim(xs[0] - 1, xs[0] + 1)
        ax.annotate(
            f"{ys[0]:.4g}", (xs[0], ys[0]), xytext=(6, 6), textcoords="offset points",
            fontsize=style.text,
        )
    ax.set_xlabel("epoch", fontsize=style.text)
    ax.set_ylabel("loss per step (squared error)", fontsize=style.text)
    ax.tick_params(labelsize=style.small)
    # the title on two lines: a long tier and dataset name must not clip the learning rate
    title = f"{doc['options']['tier']} on {doc['dataset']['name']}"
    rate = f"learning rate {doc['learning_rate']['value']:.3g}"
    wrap = 60 if not style.narrow else style.wrap
    ax.set_title("\n".join([*textwrap.wrap(title, wrap), rate]), fontsize=style.text + 1)
    ax.grid(alpha=0.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _save(fig, path, style)


def plot_metrics(doc: dict, path: Path, style: PlotStyle = WIDE) -> Path:
    """Each top-N metric of the SGD model per evaluated epoch; baselines as lines.

    Wide: a 2 x 2 grid; narrow (a phone): the four one above the other."""
    points = [e for e in doc["epochs"] if e.get("metrics")]
    baselines = [q for q in doc["quality"] if q["kind"] == "baseline"]
    if style.narrow:
        fig, axes = plt.subplots(4, 1, figsize=(style.width, 9.5), sharex=True)
        axes = axes.reshape(4, 1)
    else:
        fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), sharex=True)
    for ax, metric in zip(axes.ravel(), USER_METRICS, strict=True):
        ax.plot([e["epoch"] for e in points], [e["metrics"][metric] for e in points], "o-",
                label="SGD SLIM", color="black")
        for k, b in enumerate(baselines):
            ax.axhline(b["metrics"][metric], color=f"C{k}", ls="--", label=b["model"])
        ax.set_title(f"{metric}@{doc['options']['cutoff']}", fontsize=style.text + 1)
        ax.tick_params(labelsize=style.small)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        xs = [e["epoch"] for e in points]
        if xs and max(xs) - min(xs) < 2:  # one or two epochs: whole-epoch ticks, not 0.945
            ax.set_xlim(min(xs) - 1, max(xs) + 1)
    for ax in axes[-1]:
        ax.set_xlabel("epoch", fontsize=style.text)
    axes[0, 0].legend(fontsize=style.small)
    fig.tight_layout()
    return _save(fig, path, style)


def write_train_plots(doc: dict, out_dir: Path) -> dict[str, Path]:
    """The plots that the document has data for, wide and narrow; file name -> path."""
    plots = []
    if doc["epochs"]:
        plots.append(("loss.png", plot_loss))
    if any(e.get("metrics") for e in doc["epochs"]) or doc["quality"]:
        plots.append(("metrics.png", plot_metrics))
    out = {}
    for name, plot in plots:  # each also as NAME-narrow.png, a phone's render
        out[name] = plot(doc, out_dir / name)
        narrow = narrow_path(out_dir / name)
        out[narrow.name] = plot(doc, narrow, NARROW)
    return out
