"""``slimbench history``: each tier's speed across saved runs, as asv shows a benchmark.

Every results.json (``slimbench run``) and pytest-benchmark JSON under the given folders
is read; runs are grouped into series by machine (CPU model and usable cores) and dataset
(its spec and, for synthetic data, the generator's version: ``dataset_identity``), so that
a run on another machine or dataset never joins a line it does not belong to. In
each series a tier's median samples/s is plotted with its interval against the run's time,
labelled by the git commit where the run recorded one; a table gives first, last and the
change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from ..bounded_json import NotJSONError, read_json  # noqa: E402
from ..formatting import plural  # noqa: E402
from ..impls import SlimBenchError  # noqa: E402
from .dataset_identity import dataset_identity  # noqa: E402
from .plots import series_style  # noqa: E402
from .pytest_benchmark_import import results_from_pytest_benchmark  # noqa: E402
from .results import SCHEMA, check_results  # noqa: E402


@dataclass
class Point:
    """One tier in one run."""

    time: datetime
    commit: str | None
    median: float
    ci_low: float
    ci_high: float
    source: str


@dataclass
class Series:
    """The runs of one machine on one dataset."""

    machine: str
    dataset: str
    tiers: dict[str, list[Point]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.dataset} on {self.machine}"


#: files that looked like ours but were refused at load: "path: why", for the command to print
SKIPPED: list[str] = []


def _documents(paths: Sequence[str | Path]) -> Iterable[tuple[Path, dict]]:
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            try:
                files.extend(sorted(path.rglob("*.json")))
            except OSError as exc:  # a folder that vanished or cannot be listed mid-scan
                SKIPPED.append(f"part of {path}: {exc.strerror or exc}")
        elif path.is_file():
            files.append(path)
        else:
            raise SlimBenchError(f"history: {str(path)!r} is neither a folder nor a file.")
    for f in files:
        # read once, within bounds (slimbench.bounded_json): a FIFO, a file that vanished
        # since the scan, or a hostile one is skipped with a note; the others go on
        try:
            head = read_json(f)
            if isinstance(head, dict) and head.get("schema") == SCHEMA:
                yield f, check_results(head, f)
            elif isinstance(head, dict) and "benchmarks" in head:
                yield f, results_from_pytest_benchmark(f)
        except NotJSONError:
            continue  # not ours: a folder of reports holds other JSON too
        except SlimBenchError as exc:  # another schema version, a damaged or vanished file
            SKIPPED.append(f"{f}: {exc}")


def _time(text: str | None) -> datetime:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return datetime.fromtimestamp(0).astimezone()


def collect(paths: Sequence[str | Path]) -> list[Series]:
    """Every measured tier of every run found, grouped into series."""
    series: dict[tuple[str, str], Series] = {}
    SKIPPED.clear()  # the notes of this collection only
    for path, doc in _documents(paths):
        machine = doc.get("machine") or {}
        machine_key = f"{machine.get('cpu_model') or '?'}, " + (
            plural(cores, "core") if (cores := machine.get("usable_cores")) else "? cores"
        )
        dataset = dataset_identity(doc.get("dataset"))  # the spec and its generator
        s = series.setdefault((machine_key, dataset), Series(machine_key, dataset))
        commit = machine.get("git_commit")
        for t in doc.get("tiers", []):
            sps = t.get("samples_per_second")
            if not sps or t.get("status") not in ("measured", "interrupted"):
                continue
            s.tiers.setdefault(t["name"], []).append(
                Point(
                    _time(doc.get("created")),
                    commit[:10] if commit else None,
                    sps["median"],
                    sps["ci_low"],
                    sps["ci_high"],
                    str(path),
                )
            )
    for s in series.values():
        for points in s.tiers.values():
            points.sort(key=lambda p: p.time)
    return sorted(series.values(), key=lambda s: s.key)


#: at most this many commit labels along the top of a plot; the others are thinned out
MAX_COMMIT_LABELS = 12


def commit_labels(series: Series) -> list[tuple[datetime, str]]:
    """(time, commit) of each run with a commit, once per run, thinned to MAX_COMMIT_LABELS."""
    runs = sorted({(p.time, p.commit) for ps in series.tiers.values() for p in ps if p.commit})
    if len(runs) <= MAX_COMMIT_LABELS:
        return [(t, c[:7]) for t, c in runs]
    step = -(-len(runs) // MAX_COMMIT_LABELS)  # ceil: every step-th, always the last
    keep = runs[::step] if runs[::step][-1] == runs[-1] else [*runs[::step], runs[-1]]
    return [(t, c[:7]) for t, c in keep]


def plot(series: Series, path: Path) -> Path:
    """One figure per series: median samples/s with interval bars, per tier, over time.

    Each tier has its own colour and line style; each run's commit is written once, rotated,
    along the top (thinned where there are many), not beside every point.
    """
    fig, ax = plt.subplots(figsize=(10, 5.5))
    for k, (name, points) in enumerate(series.tiers.items()):
        xs = [p.time for p in points]
        ys = [p.median for p in points]
        err = [[p.median - p.ci_low for p in points], [p.ci_high - p.median for p in points]]
        ax.errorbar(xs, ys, yerr=err, capsize=3, label=name, markersize=4, **series_style(k))
    for time, commit in commit_labels(series):
        ax.axvline(time, color="0.85", linewidth=0.8, zorder=0)
        ax.annotate(
            commit,
            (time, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 3),
            textcoords="offset points",
            rotation=45,
            fontsize=7,
            ha="left",
            va="bottom",
            family="monospace",
        )
    ax.set_yscale("log")
    ax.set_ylabel("samples per second (median, interval)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    title = series.key if len(series.key) < 90 else series.key[:87] + "..."
    ax.set_title(title, fontsize=10, pad=40)  # room for the commit labels above the axes
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def table_rows(all_series: Sequence[Series]) -> list[dict]:
    """Per series and tier: runs, first and last median, last/first."""
    rows = []
    for s in all_series:
        for name, points in s.tiers.items():
            first, last = points[0], points[-1]
            rows.append(
                {
                    "series": s.key,
                    "tier": name,
                    "runs": len(points),
                    "first": first.median,
                    "last": last.median,
                    "last/first": last.median / first.median,
                    "last commit": last.commit or "",
                }
            )
    return rows
