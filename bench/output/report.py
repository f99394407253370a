"""The self-contained HTML report (jinja2 template, images embedded as data URIs)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ..figures.noise_record import grouped_warnings
from .plots import NARROW_SUFFIX, narrow_path, write_plots
from .results import _atomic_write_text
from .summary_table import first_columns, headline_lines, is_floor_row, summary_rows

PLOT_CAPTIONS = {
    "speed.png": "Samples per second per tier (dots on a log scale, whiskers: the interval), "
    "in the table's order, with the speedup over python-naive.",
    "training_time.png": "Extrapolated time of a full training, in human units.",
    "rounds.png": "Each timed round's samples/s as a share of the tier's median: how steady "
    "each tier ran (the warm-up is not counted and not shown).",
    "mse.png": "Mean squared error of each round's steps: the model really trains.",
}


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def plot_entries(images: Mapping[str, Path], captions: Mapping[str, str]) -> list[dict]:
    """The report's figures: each plot's wide render and, where written, its narrow one
    (NAME-narrow.png, slimbench.output.plots.NARROW), which a phone is served instead."""
    entries = []
    for name, path in images.items():
        if Path(name).stem.endswith(NARROW_SUFFIX):
            continue
        narrow = images.get(narrow_path(Path(name)).name)
        entries.append(
            {
                "uri": _data_uri(path),
                "narrow_uri": _data_uri(narrow) if narrow else None,
                "caption": captions.get(name, name),
                "name": name,
            }
        )
    return entries


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


_CALL = re.compile(r"^(?P<head>.*?)(?P<name>\w+)\((?P<args>.*)\)$")

#: the synthetic generator's parameters as a reader knows them (bench/data/synthetic.py):
#: targets and bounds the data was drawn to, not what it came out as (the table below)
GENERATOR_LABELS = {
    "n_users": "users",
    "n_items": "items",
    "nnz": "interactions",
    "min_len": "shortest profile allowed (every user's length is clipped up to it)",
    "median_len": "median profile length aimed at",
    "max_len": "longest profile allowed (a cap; the longest drawn is the table's "
    '"longest user profile", at most this)',
    "loc": "shift of the profile-length lognormal",
    "epl": "expected profile length aimed at (sum len^2 / sum len; none: no taper)",
    "item_sigma": "spread of item popularity (lognormal shape)",
    "item_zmin": "item popularity quantile, clipped below at",
    "item_zmax": "item popularity quantile, clipped above at",
    "structure": "item choice (tastes: latent tastes; none: popularity only)",
    "n_tastes": "tastes",
    "taste_alpha": "taste concentration per user (Dirichlet alpha)",
    "taste_share": "share of a user's choices led by taste",
    "rating_taste": "weight of taste affinity in the ratings",
    "popularity_power": "popularity sharpening (share ** power)",
    "seed": "generator seed",
}

#: the dataset statistics (bench/data/stats.py) as a reader knows them: what the data is
STAT_LABELS = {
    "n_users": "users",
    "n_items": "items",
    "nnz": "interactions",
    "rating_min": "lowest rating",
    "rating_max": "highest rating",
    "rating_mean": "mean rating",
    "density": "density (interactions / users x items)",
    "user_min": "shortest user profile",
    "user_mean": "mean user profile length",
    "user_median": "median user profile length",
    "user_max": "longest user profile",
    "item_min": "ratings of the least-rated item",
    "item_mean": "mean ratings per item",
    "item_max": "ratings of the most-rated item",
    "items_without_ratings": "items without ratings",
    "users_without_ratings": "users without ratings",
    "gini_users": "Gini index of user activity (the seed's)",
    "gini_items": "Gini index of item popularity",
    "expected_profile_length": "expected profile length of a step (sum len^2 / sum len)",
}


def _parameter_text(value: str) -> str:
    """A parameter's repr as a person reads it: 69878 -> 69,878; 'tastes' -> tastes."""
    value = value.strip()
    if re.fullmatch(r"-?\d+", value):
        return f"{int(value):,}"
    if value == "None":
        return "none"
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def source_items(source: str) -> tuple[str, list[tuple[str, str]]]:
    """A dataset's source as words and labelled key-value pairs: "synthetic generator,
    SyntheticParams(n_users=69878, max_len=7359, ...)" -> ("synthetic generator",
    [("users", "69,878"), ("longest profile allowed (a cap; ...)", "7,359"), ...]). Text
    without such a call stays as it is, with no pairs."""
    match = _CALL.match(str(source))
    if not match:
        return str(source), []
    pairs = []
    for part in re.split(r",\s*(?=\w+=)", match["args"]):
        key, sep, value = part.partition("=")
        if not sep:
            return str(source), []
        key = key.strip()
        label = GENERATOR_LABELS.get(key, key.replace("_", " "))
        pairs.append((label, _parameter_text(value)))
    return match["head"].rstrip(" ,:") or match["name"], pairs


def stat_items(dataset: Mapping) -> list[tuple[str, object]]:
    """The whole dataset's statistics as (label, value), and the training split's expected
    profile length after them (the one a step of this run reads: lengths shrink with the
    split)."""
    stats = dataset.get("stats") or {}
    items = [(STAT_LABELS.get(k, k.replace("_", " ")), v) for k, v in stats.items()]
    train_epl = dataset.get("train_expected_profile_length")
    if train_epl is not None:
        items.append(("expected profile length of a step, training split", train_epl))
    return items


def machine_items(machine: Mapping) -> list[tuple[str, str]]:
    """The machine record as (key, text) pairs a person reads, nested records in one line."""
    items = []
    for key, value in machine.items():
        if value is None or value == {} or value == []:
            continue
        if key.endswith("_bytes") and isinstance(value, (int, float)):
            text = _fmt_bytes(value)
        elif isinstance(value, Mapping):
            text = ", ".join(f"{k} {v}" for k, v in value.items())
        elif isinstance(value, list):
            text = "; ".join(
                ", ".join(f"{k} {v}" for k, v in x.items()) if isinstance(x, Mapping) else str(x)
                for x in value
            )
        else:
            text = str(value)
        items.append((key.replace("_", " "), text))
    return items


def annotation_links(out_dir: Path, names: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Per tier, its ``cython -a`` pages under ``annotate/`` as (label, relative link)."""
    links = {}
    for name in names:
        folder = out_dir / "annotate" / name
        pages = sorted(folder.glob("*.html")) if folder.is_dir() else []
        if pages:
            links[name] = [(p.stem, p.relative_to(out_dir).as_posix()) for p in pages]
    return links


def report_caveats(results: Mapping) -> list[str]:
    """The caveats with the noise warnings one line per kind (a file written before they
    were grouped had one line per noisy tier)."""
    caveats = [c for c in results.get("caveats", []) if not c.startswith("Noise: ")]
    noise = results.get("noise")
    if noise:
        caveats += [f"Noise: {w}." for w in grouped_warnings(noise)]
    return caveats


def render_report(
    results: dict, images: dict[str, Path], annotations: dict | None = None
) -> str:
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
    plots = plot_entries(images, PLOT_CAPTIONS)
    rows = summary_rows(results)
    source, source_pairs = source_items(results["dataset"].get("source", ""))
    return template.render(
        r=results,
        rows=rows,
        first=first_columns(results),
        floor_rows=[r for r in rows if is_floor_row(r)],
        trainer_rows=[r for r in rows if not is_floor_row(r)],
        headline=headline_lines(results),
        caveats=report_caveats(results),
        plots=plots,
        stats=stat_items(results["dataset"]),
        source=source,
        source_pairs=source_pairs,
        machine=machine_items(results.get("machine", {})),
        machine_json=json.dumps(results.get("machine", {}), indent=2),
        annotations=annotations or {},
    )


def write_report(results: dict, out_dir: Path) -> Path:
    """Write the PNG plots and ``report.html`` into ``out_dir``; return the report's path."""
    out_dir = Path(out_dir)
    images = write_plots(results, out_dir)
    links = annotation_links(out_dir, [t["name"] for t in results["tiers"]])
    path = out_dir / "report.html"
    _atomic_write_text(path, render_report(results, images, links))
    return path
