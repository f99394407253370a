"""``slimbench history DIR...``: each tier's speed across saved runs, per machine and dataset."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    history = sub.add_parser(
        "history",
        help="each tier's samples/s across saved runs, over time",
    )
    history.add_argument("paths", nargs="+", help="folders to search (and files)")
    history.add_argument(
        "--out", default=None, help="output folder (default: reports/<date>-<time>/history)"
    )
    history.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Collect the runs, write one plot per series and a CSV; print the table."""
    import re
    from pathlib import Path

    import pandas as pd
    from rich.markup import escape
    from rich.table import Table

    from ..formatting import human_rate
    from ..impls import SlimBenchError
    from ..output.console import wide_console
    from ..output.history import SKIPPED, collect, plot, table_rows
    from ..output.outdir import default_out_dir, prepare_out_dir
    from ..output.results import _atomic_write_text

    series = collect(args.paths)
    for line in SKIPPED:
        print(f"skipped {line}", file=sys.stderr)
    if not series:
        raise SlimBenchError(
            f"history: no slimbench results or pytest-benchmark JSON under {', '.join(args.paths)}."
        )
    out = prepare_out_dir(Path(args.out) if args.out else default_out_dir() / "history")
    console = wide_console()
    for k, s in enumerate(series, 1):
        slug = re.sub(r"[^A-Za-z0-9]+", "-", s.dataset).strip("-")[:40]
        path = plot(s, out / f"history-{k}-{slug}.png")
        console.print(f"{s.key}: {path}", highlight=False, markup=False)
    rows = table_rows(series)
    _atomic_write_text(out / "history.csv", pd.DataFrame(rows).to_csv(index=False))
    table = Table(title="slimbench history")
    for col in ("series", "tier", "runs", "first", "last", "last/first", "last commit"):
        table.add_column(
            col, justify="left" if col in ("series", "tier", "last commit") else "right"
        )
    for r in rows:
        table.add_row(  # "[tastes-2]" in a series name is text, not rich markup
            escape(r["series"]),
            escape(r["tier"]),
            str(r["runs"]),
            human_rate(r["first"]),
            human_rate(r["last"]),
            f"{r['last/first']:.2f}",
            escape(r["last commit"]),
        )
    console.print(table)
    return 0
