"""``slimbench check``: cross-check tiers against python-naive on the built-in dataset."""

from __future__ import annotations

import argparse

from ..check import CHECK_LEARNING_RATE
from ..impls import tier_names
from .arguments import epoch_count, positive_float, seed_value, thread_count, tier_list


def add_parser(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check", help="cross-check every tier against python-naive")
    check.add_argument(
        "--tiers",
        type=tier_list,
        default=None,
        help=f"comma-separated tiers (default all: {', '.join(tier_names())})",
    )
    check.add_argument("--seed", type=seed_value, default=0)
    check.add_argument("--epochs", type=epoch_count, default=3)
    check.add_argument("--learning-rate", type=positive_float, default=CHECK_LEARNING_RATE)
    check.add_argument(
        "--threads",
        type=thread_count,
        default=None,
        help="threads for the tiers that take them (default: all cores)",
    )
    check.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Cross-check tiers against python-naive on the built-in check dataset."""
    from ..check import check_dataset, check_tiers
    from ..impls import accepts_option

    data = check_dataset()
    names = list(tier_names() if args.tiers is None else args.tiers)
    threaded = [n for n in names if accepts_option(n.partition("@")[0], "threads")]
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
        from ..impls.cython_parallel import available_cores, openmp_enabled

        openmp = "on" if openmp_enabled() else "off (parallel tiers run on 1 thread)"
        print(f"OpenMP {openmp}; {available_cores()} cores available")
    failed = [r.tier for r in results if r.failed]
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    print(f"all {sum(r.passed for r in results)} available tiers pass")
    return 0
