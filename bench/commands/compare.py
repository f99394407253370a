"""``slimbench compare``: per-tier ratios between two saved runs."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    compare = sub.add_parser("compare", help="per-tier ratios between two saved runs")
    compare.add_argument("old", help="results.json of the earlier run")
    compare.add_argument("new", help="results.json of the later run")
    compare.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Per-tier ratios between two saved runs."""
    from ..compare import print_comparison
    from ..results import load_results
    from ..runner import wide_console

    print_comparison(load_results(args.old), load_results(args.new), wide_console())
    return 0
