"""``slimbench check``: cross-check tiers against python-naive on the built-in dataset."""

from __future__ import annotations

import argparse

from ..arg_types import epoch_count, l2_value, learning_rate_value, seed_value, thread_count
from ..formatting import plural
from ..measure.check import CHECK_LEARNING_RATE, name_width
from .arguments import (
    add_call_timeout_argument,
    add_dask_arguments,
    add_tier_arguments,
    dask_options,
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check", help="cross-check every tier against python-naive")
    add_tier_arguments(
        check,
        "comma-separated tier names, package.module:ClassName specs, or 'all' (default: every "
        "tier; with --tier-file, the user's tiers only: the reference always runs)",
    )
    check.add_argument("--seed", type=seed_value, default=0)
    check.add_argument("--epochs", type=epoch_count, default=3)
    check.add_argument("--learning-rate", type=learning_rate_value, default=CHECK_LEARNING_RATE)
    check.add_argument(
        "--threads",
        type=thread_count,
        default=None,
        help="threads for the tiers that take them (default: all cores)",
    )
    add_dask_arguments(check)
    add_call_timeout_argument(check)
    check.add_argument(
        "--no-diagonal", action="store_true", help="check under SLIM's S[i, i] = 0 constraint"
    )
    check.add_argument(
        "--l2",
        type=l2_value,
        default=None,
        metavar="LAMBDA",
        help="check under SLIM's L2 decay (default none); with either option the default "
        "tiers are those that implement them",
    )
    check.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Cross-check tiers against python-naive on the built-in check dataset."""
    from ..impls import accepts_option, get_tier
    from ..impls.slim import SlimOptions
    from ..measure.check import check_dataset, check_tiers
    from ..measure.tier_selection import select_tiers, split_width, tier_options

    data = check_dataset()
    slim = SlimOptions(no_diagonal=args.no_diagonal, l2=args.l2 or 0.0)
    names = select_tiers(args.tiers, args.tier_file, companions=False)
    if args.tiers is None and not args.tier_file and not slim.is_default:
        names = [n for n in names if get_tier(n).supports_slim_options]
    bases = [split_width(n)[0] for n in names]
    threaded = [b for b in bases if accepts_option(b, "threads")]
    options = {b: tier_options(b, args.threads, dask_options(args)) for b in bases}
    if args.tiers is None and not args.tier_file:
        # the same S at any thread or worker count: checked, not assumed
        widths = {
            "cython-parallel": (1, 2, 3),
            "cython-interleaved": (1, 2, 3),
            "cython-interleaved-simd": (1, 2, 3),
            "cython-interleaved-simd-f32": (1, 2, 3),
            "dask-bucketed": (1, 2),
        }
        for base, counts in widths.items():
            if base in names and get_tier(base).unavailable_reason() is None:
                names += [f"{base}@{n}" for n in counts]
    print(
        f"cross-check on the built-in dataset: {data.n_users} users x {data.n_items} items, "
        f"{data.nnz:,} interactions, {plural(args.epochs, 'epoch')}, seed {args.seed}, "
        f"learning rate {args.learning_rate:g}, {slim.describe()}; reference python-naive"
    )
    for name in names:  # where each tier from outside comes from, and what its build cost
        cls = get_tier(name.partition("@")[0])
        if cls.origin.get("kind") == "file" and cls.origin.get("language") == "cython":
            print(f"{name}: {cls.origin['path']}, {cls.build_summary()}")
    results = check_tiers(
        names,
        data=data,
        seed=args.seed,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        options=options,
        slim=slim.to_dict(),
        call_timeout=args.call_timeout,
    )
    width = name_width(results)
    for result in results:
        print(result.line(width))
    if threaded:
        from ..impls.cython_parallel import available_cores, openmp_enabled

        openmp = "on" if openmp_enabled() else "off (parallel tiers run on 1 thread)"
        print(f"OpenMP {openmp}; {plural(available_cores(), 'core')} available")
    failed = [r.tier for r in results if r.failed]
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    print(pass_line(results))
    return 0


def pass_line(results: list) -> str:
    """The closing line of a check with no failure: tiers counted once, whatever the thread
    or worker counts they were checked at (cython-parallel@1, @2 and @3 are one tier)."""
    passed = [r.tier for r in results if r.passed]
    bases = list(dict.fromkeys(name.partition("@")[0] for name in passed))
    if not bases:
        return "no tier was available to check"
    tiers = len(bases)
    line = f"{bases[0]} passes" if tiers == 1 else f"all {tiers} available tiers pass"
    if len(passed) > tiers:
        line += f" ({plural(len(passed), 'check')}, counting each thread or worker count apart)"
    return line
