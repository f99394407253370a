"""The self-contained HTML report of a ``slimbench train`` (as ``slimbench run``'s)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ..formatting import plural, seconds_pair
from ..output.report import machine_items, plot_entries, source_items
from ..output.results import _atomic_write_text
from ..quality.metrics import METRICS
from .train_plots import write_train_plots
from .train_results import QUALITY_SECONDS_NOTE

CAPTIONS = {
    "loss.png": "Loss per step after each epoch (log scale where there are several): the "
    "model really trains.",
    "metrics.png": "Top-N metrics of the SGD model per evaluated epoch; dashed: the baselines.",
}


def write_train_report(doc: dict, out_dir: Path) -> Path:
    """Write the plots and ``train.html`` into ``out_dir``; return the report's path."""
    out_dir = Path(out_dir)
    images = write_train_plots(doc, out_dir)
    env = Environment(
        loader=PackageLoader("slimbench", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["plural"] = plural
    plots = plot_entries(images, CAPTIONS)
    p = doc.get("prediction") or {}
    times = (None, None)
    if p.get("measured_seconds") is not None:  # as many decimals as tell them apart
        times = seconds_pair(p["predicted_seconds"], p["measured_seconds"])
    elif p:
        times = (f"{p['predicted_seconds']:.1f} s", None)
    source, source_pairs = source_items((doc.get("dataset") or {}).get("source", ""))
    html = env.get_template("train.html").render(
        d=doc,
        source=source,
        source_pairs=source_pairs,
        plots=plots,
        metrics=METRICS,
        predicted_text=times[0],
        measured_text=times[1],
        seconds_note=QUALITY_SECONDS_NOTE,
        options=machine_items(doc.get("options", {})),
        machine=machine_items(doc.get("machine", {})),
        split=machine_items((doc.get("dataset") or {}).get("split") or {}),
    )
    path = out_dir / "train.html"
    _atomic_write_text(path, html)
    return path
