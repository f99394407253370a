"""``slimbench scale``: how the cost of a step grows with the data.

Chosen tiers run on a series of synthetic datasets, after the cross-check, each under the
same timing protocol as ``slimbench run`` (with a small budget). Two sweeps by default:

* size: the ``synthetic-ml10m`` preset at growing scale (users and interactions grow,
  items and profile lengths stay): the cost of a step should not change much;
* profile length: 20,000 users whose mean profile grows: the cost of a step should grow
  with the expected profile length sum(len^2)/sum(len), in proportion for the tiers whose
  step is bound by reading the profile.

The figure of merit besides samples/s is nanoseconds per profile entry:
1e9 / (samples/s x expected profile length), flat where a tier's cost is the work it does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ..data.datasets import load_dataset  # noqa: E402
from ..data.stats import dataset_stats  # noqa: E402
from ..impls import (  # noqa: E402
    InvalidInputError,
    SlimBenchError,
    TrainingDiverged,
    get_tier,
    prepare_urm,
)
from ..output.results import _atomic_write_text, now_iso  # noqa: E402
from .check import check_tiers  # noqa: E402
from .extrapolate import human_rate  # noqa: E402
from .summary import summarize  # noqa: E402
from .tier_process import RemoteTier, SharedData, WorkerFailure  # noqa: E402
from .timing import TierClock, TimingPlan  # noqa: E402

DEFAULT_TIERS = (
    "cython-rand",
    "cython-bucketed",
    "cython-parallel",
    "cython-interleaved",
    "floor",
    "floor-compact",
)
SIZE_SCALES = (0.05, 0.1, 0.25, 0.5, 1.0)
PROFILE_MEANS = (20, 50, 100, 200, 400)


def size_sweep(scales: Sequence[float] = SIZE_SCALES) -> list[str]:
    """Dataset specs of the size sweep."""
    return [f"synthetic-ml10m:scale={s:g}" for s in scales]


def profile_sweep(means: Sequence[int] = PROFILE_MEANS) -> list[str]:
    """Dataset specs of the profile-length sweep (20,000 users, 10,681 items)."""
    return [
        f"synthetic:n_users=20000,mean={m},median_len={2 * m // 3},min_len=5,loc=2" for m in means
    ]


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


def run_scale(
    tiers: Sequence[str],
    sweeps: dict[str, list[str]],
    out_dir: Path,
    *,
    budget_seconds: float = 4.0,
    rounds: int = 5,
    seed: int = 0,
    learning_rate: float = 1e-6,
    threads: int | None = None,
    console: Console | None = None,
) -> list[ScalePoint]:
    """Measure ``tiers`` on every dataset of ``sweeps``; write JSON and plots to ``out_dir``."""
    from .tier_selection import split_width, tier_options

    console = console or Console()
    verdicts = {
        r.tier: r
        for r in check_tiers(
            tiers,
            seed=seed,
            options={split_width(t)[0]: tier_options(split_width(t)[0], threads) for t in tiers},
        )
    }
    for r in verdicts.values():
        console.print("  " + r.line(), highlight=False, markup=False)
    usable = [t for t in tiers if verdicts[t].passed]
    if not usable:
        raise InvalidInputError("no selected tier passed the cross-check: nothing to measure.")
    plan = TimingPlan(budget_seconds, rounds)
    points: list[ScalePoint] = []
    for sweep, specs in sweeps.items():
        for spec in specs:
            urm = load_dataset(spec).urm
            stats = dataset_stats(urm)
            shared = SharedData(prepare_urm(urm))
            epl = float(stats["expected_profile_length"])
            for tier in usable:
                point = ScalePoint(
                    sweep, spec, tier, int(urm.nnz), urm.shape[1], epl, None, None, None, "measured"
                )
                live = None
                try:
                    base = split_width(tier)[0]
                    live = RemoteTier(
                        tier,
                        get_tier(base),
                        shared,
                        options={
                            "seed": seed,
                            "learning_rate": learning_rate,
                            **tier_options(tier, threads),
                        },
                    )
                    clock = TierClock(live, plan)
                    while clock.next_round() is not None:
                        pass
                    usage = live.memory_usage()  # the tier's worker: its own peak
                    point.memory_bytes = [usage["peak_bytes"] - usage["start_bytes"]]
                    workers = live.call("worker_memory")  # a Dask block's cost at its peak
                    if workers is not None:
                        point.memory_bytes = [w["peak_bytes"] - w["start_bytes"] for w in workers]
                    s = summarize([r.samples_per_second for r in clock.rounds])
                    point.samples_per_second, point.ci = s.median, (s.ci_low, s.ci_high)
                    point.ns_per_entry = 1e9 / (s.median * epl)
                except TrainingDiverged:
                    point.status = "diverged"
                except WorkerFailure as exc:
                    point.status = f"{exc.status}: {exc}"
                except (SlimBenchError, MemoryError) as exc:
                    point.status = f"error: {exc}"
                finally:
                    if live is not None:
                        live.close()
                    clock = live = None  # free S before the next tier allocates its own
                points.append(point)
                console.print(
                    f"  {sweep:<8} {spec:<62} {tier:<20} "
                    + (
                        f"{human_rate(point.samples_per_second):>7}/s "
                        f"{point.ns_per_entry:6.2f} ns/entry"
                        if point.samples_per_second
                        else point.status
                    ),
                    highlight=False,
                    markup=False,
                )
                _write(points, out_dir)
            shared.cleanup()
    _plot(points, out_dir)
    _table(points, console)
    return points


def _write(points: list[ScalePoint], out_dir: Path) -> None:
    doc = {
        "schema": "slimbench.measure.scale",
        "schema_version": 1,
        "updated": now_iso(),
        "points": [vars(p) for p in points],
    }
    _atomic_write_text(out_dir / "scale.json", json.dumps(doc, indent=2))


def _plot(points: list[ScalePoint], out_dir: Path) -> None:
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


def _table(points: list[ScalePoint], console: Console) -> None:
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
