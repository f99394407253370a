"""``slimbench run``: check, then time the tiers; write results, plots and the report."""

from __future__ import annotations

import argparse
import sys

from .arguments import (
    epoch_count,
    positive_float,
    round_count,
    seed_value,
    share,
    thread_count,
    tier_list,
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run",
        help="check, then time every tier; write results, plots and an HTML report",
        description="Cross-check the tiers, then time them under the protocol in "
        "slimbench/timing.py, and write results.json, results.csv, PNG plots and "
        "report.html into the output folder (rewritten after every round).",
    )
    run.add_argument(
        "--dataset",
        default="synthetic-ml10m",
        help="dataset spec (default: synthetic-ml10m); see `slimbench datasets`",
    )
    run.add_argument(
        "--tiers",
        type=tier_list,
        default=None,
        help="comma-separated tiers (default: all available)",
    )
    run.add_argument(
        "--seed",
        type=seed_value,
        default=0,
        help="seed of the sample stream and the holdout split (default 0)",
    )
    run.add_argument(
        "--learning-rate",
        type=positive_float,
        default=1e-6,
        help="default 1e-6, the seed's value for its speed runs",
    )
    run.add_argument(
        "--budget",
        type=positive_float,
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
        type=positive_float,
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
    run.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Check, then time the tiers; write results, plots and the report."""
    from pathlib import Path

    from ..runner import Runner, RunOptions

    options = RunOptions(
        dataset=args.dataset,
        tiers=args.tiers,
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
        command=["slimbench", *sys.argv[1:]],
    )
    return Runner(options).execute()
