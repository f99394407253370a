"""CLI handlers: ``slimbench datasets`` and ``slimbench stats DATASET``."""

from __future__ import annotations

import argparse
import json
import sys
import time

from slimbench.impls import SlimBenchError

from .datasets import list_datasets, load_dataset
from .movielens import write_dat
from .stats import dataset_stats, format_stats


def add_dataset_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``datasets`` and ``stats`` subcommands on an argparse subparsers object."""
    listing = subparsers.add_parser("datasets", help="list dataset specs and file formats")
    listing.set_defaults(func=cmd_datasets)
    stats = subparsers.add_parser("stats", help="print a dataset's statistics")
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
    stats.set_defaults(func=cmd_stats)


def cmd_datasets(args: argparse.Namespace) -> int:
    """Print every dataset spec pattern with its description."""
    rows = list_datasets()
    width = max(len(spec) for spec, _ in rows if len(spec) < 40)
    for spec, description in rows:
        if len(spec) > width:
            print(spec)
            print(" " * (width + 2) + description)
        else:
            print(f"{spec:<{width}}  {description}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """Load ``args.dataset`` and print its statistics (or JSON); 2 on a bad dataset."""
    start = time.perf_counter()
    try:
        dataset = load_dataset(args.dataset)
    except SlimBenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    loaded = time.perf_counter() - start
    stats = dataset_stats(dataset.urm)
    if getattr(args, "json", False):
        print(json.dumps({"name": dataset.name, "load_seconds": loaded, **stats}, indent=2))
    else:
        print(format_stats(stats, dataset.name), end="")
        print(f"\tSource: {dataset.source}")
        for note in dataset.notes:
            print(f"\tNote: {note}")
        print(f"\tLoaded in {loaded:.2f} s")
    if getattr(args, "write_dat", None):
        start = time.perf_counter()
        write_dat(dataset.urm, args.write_dat)
        print(f"\tWrote {args.write_dat} in {time.perf_counter() - start:.2f} s")
    return 0
