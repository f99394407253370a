"""``slimbench compare``: per-tier ratios between two saved runs."""

from __future__ import annotations

import argparse

from .arguments import positive_float


def add_parser(sub: argparse._SubParsersAction) -> None:
    compare = sub.add_parser(
        "compare", help="did each tier get faster or slower between two saved runs?"
    )
    compare.add_argument("old", help="results.json of the earlier run")
    compare.add_argument("new", help="results.json of the later run")
    compare.add_argument(
        "--fail-slower",
        type=positive_float,
        metavar="PCT",
        default=None,
        help="exit 1 when a tier is slower by more than PCT %% with significance (a CI gate)",
    )
    compare.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Per-tier ratios between two saved runs."""
    from ..measure.runner import wide_console
    from ..output.compare import print_comparison, slower_tiers
    from ..output.results import load_results

    rows = print_comparison(load_results(args.old), load_results(args.new), wide_console())
    if args.fail_slower is not None:
        slower = slower_tiers(rows, args.fail_slower)
        if slower:
            print(f"slower by more than {args.fail_slower:g}%: {', '.join(slower)}")
            return 1
        print(f"no tier is slower by more than {args.fail_slower:g}% (p < 0.05)")
    return 0
