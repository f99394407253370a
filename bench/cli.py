"""The ``slimbench`` command: one subcommand per job, each a thin layer over a module."""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Sequence

from . import __version__
from .impls import SlimBenchError, tier_names


def _tier_list(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of tier names")
    return names


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (value > 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text}")
    return value


def _takes_threads(cls: type) -> bool:
    return "threads" in inspect.signature(cls).parameters


def cmd_check(args: argparse.Namespace) -> int:
    """Cross-check tiers against python-naive on the built-in check dataset."""
    from .check import check_dataset, check_tiers
    from .impls import get_tier

    data = check_dataset()
    names = list(tier_names() if args.tiers is None else args.tiers)
    threaded = [n for n in names if _takes_threads(get_tier(n.partition("@")[0]))]
    options = {n: {"threads": args.threads} for n in threaded if args.threads is not None}
    if args.tiers is None and "cython-parallel" in threaded:
        # the same S at any thread count: checked, not assumed
        names += [f"cython-parallel@{t}" for t in (1, 2, 3)]
    print(
        f"cross-check on the built-in dataset: {data.n_users} users x {data.n_items} items, "
        f"{data.nnz:,} interactions, {args.epochs} epochs, seed {args.seed}, "
        f"learning rate {args.learning_rate:g}; reference python-naive"
    )
    results = check_tiers(
        names,
        data=data,
        seed=args.seed,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        options=options,
    )
    for result in results:
        print(result.line())
    if threaded:
        from .impls.cython_parallel import available_cores, openmp_enabled

        openmp = "on" if openmp_enabled() else "off (parallel tiers run on 1 thread)"
        print(f"OpenMP {openmp}; {available_cores()} cores available")
    failed = [r.tier for r in results if r.failed]
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    print(f"all {sum(r.passed for r in results)} available tiers pass")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="slimbench",
        description="Benchmark implementations of one SLIM MSE SGD epoch: check, then time.",
    )
    parser.add_argument("--version", action="version", version=f"slimbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from .check import CHECK_LEARNING_RATE

    check = sub.add_parser("check", help="cross-check every tier against python-naive")
    check.add_argument(
        "--tiers",
        type=_tier_list,
        default=None,
        help=f"comma-separated tiers (default all: {', '.join(tier_names())})",
    )
    check.add_argument("--seed", type=_non_negative_int, default=0)
    check.add_argument("--epochs", type=_positive_int, default=3)
    check.add_argument("--learning-rate", type=_positive_float, default=CHECK_LEARNING_RATE)
    check.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        help="threads for the tiers that take them (default: all cores)",
    )
    check.set_defaults(func=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``slimbench`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SlimBenchError as exc:
        print(f"slimbench {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"slimbench {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
