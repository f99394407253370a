"""``slimbench run``: check, then time the tiers; write results, plots and the report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..arg_types import (
    budget_value,
    epoch_count,
    learning_rate_value,
    positive_int,
    round_count,
    seed_value,
    share,
    thread_count,
    warmup_value,
)
from .arguments import (
    add_call_timeout_argument,
    add_dask_arguments,
    add_tier_arguments,
    dask_options,
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run",
        help="check, then time every tier; write results, plots and an HTML report",
        description="Cross-check the tiers, then time them under the protocol in "
        "slimbench/measure/timing.py, and write results.json, results.csv, PNG plots and "
        "report.html into the output folder (rewritten after every round).",
    )
    run.add_argument(
        "--dataset",
        default="synthetic-ml10m",
        help="dataset spec (default: synthetic-ml10m); see `slimbench datasets`",
    )
    add_tier_arguments(run)
    run.add_argument(
        "--seed",
        type=seed_value,
        default=0,
        help="seed of the sample stream and the holdout split (default 0)",
    )
    run.add_argument(
        "--learning-rate",
        type=learning_rate_value,
        default=1e-6,
        help="default 1e-6, the seed's value for its speed runs",
    )
    run.add_argument(
        "--budget",
        type=budget_value,
        default=20.0,
        help="seconds per tier for warm-up and rounds (default 20)",
    )
    run.add_argument(
        "--rounds",
        type=round_count,
        default=7,
        help="timed rounds per tier where the budget allows (default 7)",
    )
    run.add_argument(
        "--warmup",
        type=warmup_value,
        default=None,
        help="warm-up seconds per tier (default 10%% of the budget, 0.2-3 s)",
    )
    run.add_argument(
        "--epochs",
        type=epoch_count,
        default=10,
        help="epochs to extrapolate the training time to (default 10)",
    )
    run.add_argument(
        "--threads",
        type=thread_count,
        default=None,
        help="threads for the parallel tiers (default: all usable cores)",
    )
    run.add_argument(
        "--train-share",
        type=share,
        default=0.8,
        help="share of interactions in the training split (default 0.8)",
    )
    run.add_argument("--out", default=None, help="output folder (default: reports/<date>-<time>)")
    run.add_argument(
        "--force",
        action="store_true",
        help="write into an --out folder that already holds a run's results (replacing them)",
    )
    run.add_argument(
        "--no-annotate", action="store_true", help="skip `cython -a` (its yellow-line counts)"
    )
    run.add_argument(
        "--no-bandwidth",
        action="store_true",
        help="skip measuring the machine's memory bandwidth before timing",
    )
    run.add_argument(
        "--no-rewarm",
        action="store_true",
        help="do not run an untimed chunk (5%% of a round) before each round after the first",
    )
    run.add_argument(
        "--repeat",
        type=positive_int,
        default=1,
        help="run the whole protocol N times (fresh tiers each time) and report how much "
        "each tier's samples/s and speedups move across repeats (default 1)",
    )
    run.add_argument(
        "--vs",
        metavar="TIER",
        default=None,
        help="add a paired 'vs TIER' ratio column (default: the first --tier-file tier)",
    )
    add_dask_arguments(run)
    add_call_timeout_argument(run)
    run.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Check, then time the tiers; write results, plots and the report (N times: --repeat)."""
    from ..interrupts import terminations_as_interrupt
    from ..measure.tier_selection import select_tiers
    from ..sessions.run import RunOptions

    tiers = select_tiers(args.tiers, args.tier_file)
    check_vs(args.vs, tiers)
    options = RunOptions(
        dataset=args.dataset,
        tiers=tiers,
        vs=args.vs,
        seed=args.seed,
        learning_rate=args.learning_rate,
        budget_seconds=args.budget,
        rounds=args.rounds,
        warmup_seconds=args.warmup,
        epochs=args.epochs,
        threads=args.threads,
        train_share=args.train_share,
        out_dir=Path(args.out) if args.out else None,
        force=args.force,
        annotate=not args.no_annotate,
        dask=dask_options(args),
        rewarm=not args.no_rewarm,
        bandwidth=not args.no_bandwidth,
        call_timeout=args.call_timeout,
        command=["slimbench", *sys.argv[1:]],
    )
    with terminations_as_interrupt():  # kill or a closed terminal: the path of Ctrl-C
        return _execute(options, args.repeat)


def _execute(options, repeats: int) -> int:
    from dataclasses import replace

    from ..output.outdir import default_out_dir
    from ..sessions.run import RunSession

    if repeats == 1:
        return RunSession(options).execute()
    base = options.out_dir or default_out_dir()
    runners = []
    for k in range(1, repeats + 1):
        print(f"repeat {k} of {repeats}")
        runner = RunSession(replace(options, out_dir=base / f"repeat-{k}"))
        runner.code = runner.execute()
        runners.append(runner)
    _report_stability([r.results for r in runners], base)
    return max(r.code for r in runners)


def check_vs(vs: str | None, tiers: list[str] | None) -> None:
    """Refuse a ``--vs`` tier the run does not time: its column would stay empty."""
    from ..impls import InvalidInputError, tier_names

    names = list(tiers) if tiers else tier_names()
    if vs is not None and vs not in names:
        raise InvalidInputError(
            f"--vs {vs!r}: not a tier of this run (its tiers: {', '.join(names)})."
        )


def _report_stability(runs: list[dict], out: Path) -> None:
    import json

    from rich.table import Table

    from ..figures.stability import RATIOS, stability
    from ..output.console import wide_console
    from ..output.results import _atomic_write_text

    rows = stability(runs)
    _atomic_write_text(
        out / "stability.json", json.dumps({"repeats": len(runs), "tiers": rows}, indent=2)
    )
    table = Table(title=f"stability across {len(runs)} repeats: max/min - 1")
    columns = ["samples/s", *(label for label, _ in RATIOS), "% floor"]
    keys = ["samples_per_second_spread", *(f"{label} spread" for label, _ in RATIOS)]
    keys.append("% floor spread")
    table.add_column("tier")
    for col in columns:
        table.add_column(col, justify="right")
    for row in rows:
        cells = [f"{row[k]:.1%}" if row.get(k) is not None else "" for k in keys]
        table.add_row(row["tier"], *cells)
    wide_console().print(table)
    print(f"stability.json and the repeats' reports in {out}")
