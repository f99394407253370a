"""``slimbench datasets``: the dataset specs and file formats."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    listing = sub.add_parser("datasets", help="list dataset specs and file formats")
    listing.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Print every dataset spec pattern with its description."""
    from ..data.datasets import list_datasets

    rows = list_datasets()
    width = max(len(spec) for spec, _ in rows if len(spec) < 40)
    for spec, description in rows:
        if len(spec) > width:
            print(spec)
            print(" " * (width + 2) + description)
        else:
            print(f"{spec:<{width}}  {description}")
    return 0
