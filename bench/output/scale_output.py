"""``slimbench scale``'s files and console table: scale.json, one plot per sweep."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ..formatting import human_rate  # noqa: E402
from .results import _atomic_write_text, now_iso  # noqa: E402


@dataclass
class ScalePoint:
    """One tier on one dataset."""

    sweep: str
    dataset: str
    tier: str
    nnz: int
    n_items: int
    expected_profile_length: float
    samples_per_second: float | None
    ci: tuple[float, float] | None
    ns_per_entry: float | None
    status: str
    #: memory per process at its peak, less what the process held before the tier existed:
    #: for each Dask worker from its own peak; else the tier's worker's peak less its start
    memory_bytes: list[int] | None = None


#: what a scale.json's ``status`` can say (version 2 added it: version 1 could not tell a
#: finished sweep from one that was killed half-way)
SCALE_STATUSES = ("running", "complete", "interrupted", "failed")


def write_scale_json(
    points: list[ScalePoint], out_dir: Path, status: str = "running", reason: str | None = None
) -> None:
    """Write the points measured so far, with the sweep's status (and why it failed)."""
    if status not in SCALE_STATUSES:
        raise ValueError(f"unknown scale status {status!r}")
    doc = {
        "schema": "slimbench.measure.scale",
        "schema_version": 2,
        "status": status,
        "updated": now_iso(),
        "points": [vars(p) for p in points],
    }
    if reason is not None:
        doc["reason"] = reason
    _atomic_write_text(out_dir / "scale.json", json.dumps(doc, indent=2))


def plot_scale(points: list[ScalePoint], out_dir: Path) -> None:
    sweeps = list(dict.fromkeys(p.sweep for p in points))
    x_of = {
        "size": ("nnz", "interactions in the dataset"),
        "profile": (
            "expected_profile_length",
            "expected profile length of a sampled interaction, sum(len²)/sum(len)",
        ),
    }
    for sweep in sweeps:
        key, label = x_of.get(sweep, ("nnz", "interactions"))
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.6))
        for tier in dict.fromkeys(p.tier for p in points):
            pts = sorted(
                (p for p in points if p.sweep == sweep and p.tier == tier and p.samples_per_second),
                key=lambda p: getattr(p, key),
            )
            if not pts:
                continue
            xs = [getattr(p, key) for p in pts]
            ax1.plot(xs, [p.samples_per_second for p in pts], marker="o", label=tier)
            ax2.plot(xs, [p.ns_per_entry for p in pts], marker="o", label=tier)
        for ax in (ax1, ax2):
            ax.set_xscale("log")
            ax.set_xlabel(label)
            ax.grid(alpha=0.3, which="both")
        ax1.set_yscale("log")
        ax1.set_ylabel("samples per second (median)")
        ax2.set_ylabel("nanoseconds per profile entry read")
        ax2.set_ylim(bottom=0)
        ax1.legend(fontsize=8)
        fig.suptitle(f"Cost of a step as the data grows ({sweep} sweep)", fontsize=11)
        fig.tight_layout()
        fig.savefig(out_dir / f"scale_{sweep}.png", dpi=110)
        plt.close(fig)


def print_scale_table(points: list[ScalePoint], console: Console) -> None:
    table = Table(title="slimbench scale")
    for col in ("sweep", "dataset", "nnz", "profile", "tier", "samples/s", "ns/entry", "memory"):
        table.add_column(col, justify="left" if col in ("sweep", "dataset", "tier") else "right")
    for p in points:
        table.add_row(
            p.sweep,
            p.dataset,
            f"{p.nnz:,}",
            f"{p.expected_profile_length:.0f}",
            p.tier,
            human_rate(p.samples_per_second) if p.samples_per_second else p.status,
            f"{p.ns_per_entry:.2f}" if p.ns_per_entry else "",
            ", ".join(f"{m / 2**30:.2f} GiB" for m in p.memory_bytes or []),
        )
    console.print(table)
