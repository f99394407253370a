"""The self-contained HTML report (jinja2 template, images embedded as data URIs)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from .console import table_rows
from .plots import write_plots
from .results import _atomic_write_text

PLOT_CAPTIONS = {
    "speed.png": "Samples per second per tier (log scale), with the speedup over python-naive.",
    "training_time.png": "Extrapolated time of a full training, in human units.",
    "rounds.png": "Samples per second of every round; dotted lines are the uncounted warm-up.",
    "mse.png": "Mean squared error of each round's steps: the model really trains.",
}


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _fmt_bytes(n: float | None) -> str:
    if n is None:
        return ""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1024
    return str(n)


def _fmt_number(value: object) -> object:
    """A statistic as a person reads it: 69,878 / 143.1 / 0.5731 / 1.34e-02."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    v = float(value)
    if v.is_integer():
        return f"{int(v):,}"
    if abs(v) >= 100:
        return f"{v:,.1f}"
    return f"{v:.4g}" if abs(v) >= 0.01 else f"{v:.3e}"


def render_report(results: dict, images: dict[str, Path]) -> str:
    """The report's HTML text for ``results`` and the plot files in ``images``."""
    env = Environment(
        loader=PackageLoader("slimbench", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["bytes"] = _fmt_bytes
    env.filters["number"] = _fmt_number
    template = env.get_template("report.html")
    plots = [
        {"uri": _data_uri(p), "caption": PLOT_CAPTIONS.get(name, name), "name": name}
        for name, p in images.items()
    ]
    return template.render(
        r=results,
        rows=table_rows(results),
        plots=plots,
        stats=results["dataset"].get("stats", {}),
        machine_json=json.dumps(results.get("machine", {}), indent=2),
    )


def write_report(results: dict, out_dir: Path) -> Path:
    """Write the PNG plots and ``report.html`` into ``out_dir``; return the report's path."""
    out_dir = Path(out_dir)
    images = write_plots(results, out_dir)
    path = out_dir / "report.html"
    _atomic_write_text(path, render_report(results, images))
    return path
