"""``slimbench compare``: per-tier ratios between two saved runs."""

from __future__ import annotations

import argparse

from ..arg_types import positive_float


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
    compare.add_argument(
        "--control",
        metavar="TIER",
        default=None,
        help="the control tier of the controlled verdicts (default: chosen per tier)",
    )
    compare.add_argument(
        "--strict",
        action="store_true",
        help="with --fail-slower: fail also where a side's noise record says it was noisy",
    )
    compare.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Per-tier ratios between two saved runs."""
    from ..formatting import item_segments, wrap_segments
    from ..output.compare import print_comparison, slower_tiers
    from ..output.console import summary_width, wide_console
    from ..output.results import load_results

    console = wide_console()
    rows = print_comparison(
        load_results(args.old), load_results(args.new), console, control=args.control
    )

    def say(text: str) -> None:  # in the table's width, a tier's name never cut from a list
        for line in wrap_segments(item_segments(text), summary_width(console)):
            print(line)

    if args.fail_slower is not None:
        slower, spared = slower_tiers(rows, args.fail_slower, strict=args.strict)
        if spared:
            say(
                f"slower by more than {args.fail_slower:g}% on a noisy side, not failed "
                f"(--strict fails them): {', '.join(spared)}"
            )
        if slower:
            say(f"slower by more than {args.fail_slower:g}%: {', '.join(slower)}")
            return 1
        say(f"no tier is slower by more than {args.fail_slower:g}% (p < 0.05)")
    return 0
