"""``slimbench annotate``: ``cython -a`` per Cython tier, and the yellow lines of its loop."""

from __future__ import annotations

import argparse

from .arguments import add_tier_arguments


def add_parser(sub: argparse._SubParsersAction) -> None:
    annotate = sub.add_parser("annotate", help="`cython -a` per Cython tier; count yellow lines")
    add_tier_arguments(
        annotate,
        "comma-separated tier names or package.module:ClassName specs (default: every Cython "
        "tier; with --tier-file, the user's files only)",
    )
    annotate.add_argument(
        "--out", default=None, help="output folder (default: reports/<date>-<time>/annotate)"
    )
    annotate.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """`cython -a` for every Cython tier, and the count of yellow lines in its step loop."""
    from pathlib import Path

    from ..measure.annotate import annotate_tiers
    from ..measure.tier_selection import select_tiers
    from ..output.outdir import default_out_dir, prepare_out_dir

    names = select_tiers(args.tiers, args.tier_file, companions=False)
    out = prepare_out_dir(Path(args.out) if args.out else default_out_dir() / "annotate")
    counts = annotate_tiers(names, out)
    print(f"{'tier':<22} {'yellow lines':>12} {'of loop':>8} {'score':>6}  annotation")
    for name, info in counts.items():
        print(
            f"{name:<22} {info['yellow_lines']:>12} {info['loop_lines']:>8} "
            f"{info['yellow_score']:>6}  {info['html']}"
        )
    return 0
