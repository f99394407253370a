"""``slimbench stats DATASET``: a dataset's statistics, as the seed prints them."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    stats = sub.add_parser("stats", help="print a dataset's statistics")
    stats.add_argument(
        "dataset",
        nargs="?",
        default="synthetic-ml10m",
        help="dataset spec (default synthetic-ml10m); see `slimbench datasets`",
    )
    stats.add_argument("--json", action="store_true", help="print the figures as JSON")
    stats.add_argument(
        "--write-dat",
        metavar="PATH",
        help="also write the ratings as a MovieLens ratings.dat ('::') file",
    )
    stats.add_argument(
        "--force", action="store_true", help="with --write-dat: replace an existing file"
    )
    stats.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Load ``args.dataset`` and print its statistics (or JSON); 2 on a bad dataset."""
    from ..data.datasets import input_paths, load_dataset
    from ..data.movielens import write_dat
    from ..data.stats import dataset_stats, format_stats
    from ..overwrite import refuse_overwrite
    from ..training.learning_rate import SEED_RATES, overshoot_share, step_bound

    if getattr(args, "write_dat", None):  # refused before the (maybe long) loading
        refuse_overwrite(
            Path(args.write_dat),
            force=getattr(args, "force", False),
            inputs=input_paths(args.dataset),
            option="--write-dat",
        )
    start = time.perf_counter()
    dataset = load_dataset(args.dataset)  # a bad dataset: one line from the CLI's guard
    loaded = time.perf_counter() - start
    stats = dataset_stats(dataset.urm)
    bound = step_bound(dataset.urm)
    shares = {f"{lr:g}": overshoot_share(dataset.urm, lr) for lr in SEED_RATES}
    if getattr(args, "json", False):
        stats["step_bound"] = {**bound.to_dict(), "overshoot_share": shares}
        print(json.dumps({"name": dataset.name, "load_seconds": loaded, **stats}, indent=2))
    else:
        print(format_stats(stats, dataset.name), end="")
        if bound.auto_rate is None:
            print("\tEvery rating is zero: no step changes S, at any learning rate")
        else:
            print(
                f"\tLargest sum of squared ratings of a profile: {bound.max_square_sum:,.1f}; "
                f"a step overshoots above lr = 2 / that = {bound.overshoot_above:.3g} "
                f"(--learning-rate auto: {bound.auto_rate:.3g})"
            )
        for rate, share in shares.items():
            print(f"\tSteps that overshoot at lr {rate}: {share:.2%}")
        print(f"\tSource: {dataset.source}")
        for note in dataset.notes:
            print(f"\tNote: {note}")
        print(f"\tLoaded in {loaded:.2f} s")
    if getattr(args, "write_dat", None):
        start = time.perf_counter()
        write_dat(dataset.urm, args.write_dat)
        print(f"\tWrote {args.write_dat} in {time.perf_counter() - start:.2f} s")
    return 0
