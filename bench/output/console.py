"""The console summary of a run (rich): a table that fits the terminal, then the headline.

Rows, column choice and headline come from slimbench.output.summary_table, shared with the
report and the notebook; this module only lays them out for a terminal or a log.
"""

from __future__ import annotations

import os

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..figures.noise_record import grouped_warnings
from ..formatting import item_segments, wrap_segments
from .summary_table import (
    MIN_WIDTH,
    ORIGIN_MARKS,
    PIPED_WIDTH,
    choose_columns,
    first_columns,
    headline_segments,
    is_floor_row,
    ordered_tiers,
    summary_rows,
)

__all__ = [
    "ORIGIN_MARKS",
    "ordered_tiers",
    "print_noise",
    "print_table",
    "summary_width",
    "table_rows",
]

#: left-aligned columns (words); every other column holds figures
_WORD_COLUMNS = ("tier", "class", "check", "status")


def table_rows(results: dict, vs: str | None = None) -> list[dict]:
    """Display strings per tier, slowest first, every column (see summary_table)."""
    return summary_rows(results, vs)


def summary_width(console: Console) -> int:
    """The width to lay the summary out in: $COLUMNS where set, the terminal's, or a
    fixed PIPED_WIDTH when output is piped (a log is read in an editor, not a 200-column
    window); never below MIN_WIDTH."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        width = int(env)
    elif console.is_terminal:
        width = console.width
    else:
        width = PIPED_WIDTH
    return max(width, MIN_WIDTH)


def print_table(
    results: dict, console: Console | None = None, *, wide: bool = False, vs: str | None = None
) -> None:
    """Print the summary table, floors apart below a line, then the headline.

    The columns that matter first always show; the others follow while they fit the
    width (all of them with ``wide``). Tiers without a verified figure show their status.
    """
    console = console or Console()
    rows = table_rows(results, vs)
    if not rows:
        return
    width = summary_width(console)
    columns = choose_columns(rows, first_columns(results, vs), None if wide else width)
    ds = results["dataset"]
    table = Table(
        title=f"{escape(str(ds['name']))}: {ds['train_nnz']:,} training interactions, "
        f"seed {results['options']['seed']}",
        title_justify="left",
    )
    for col in columns:
        table.add_column(  # names and figures are never wrapped or cut
            col, justify="left" if col in _WORD_COLUMNS else "right", no_wrap=True
        )
    trainers = [r for r in rows if not is_floor_row(r)]
    floors = [r for r in rows if is_floor_row(r)]
    for group in (trainers, floors):
        if group and table.rows:
            table.add_section()  # the floors train nothing: never read as the fastest rows
        for row in group:
            # cells hold user text (tier names, statuses): shown as written, never as markup
            table.add_row(*(escape(row[c]) for c in columns))
    print_width = None if wide else width
    console.print(table, width=print_width)
    hidden = [c for c in rows[0] if c not in columns and any(r[c] for r in rows)]
    if hidden:
        console.print(  # the command first: a wrapped line never splits it
            f"`slimbench report RESULTS.json --wide` or report.html: {len(hidden)} more "
            f"columns ({', '.join(hidden)})",
            width=print_width,
            highlight=False,
            markup=False,
            style="dim",
        )
    for segments in headline_segments(results):  # a tier's name and figure on one line
        for line in wrap_segments(segments, print_width or console.width):
            console.print(line, width=print_width, highlight=False, markup=False, style="bold")


def print_noise(results: dict, console: Console, most: int = 3) -> None:
    """The run's noise warnings, one line per kind, the noisiest ``most`` tiers named;
    wrapped between items, never between a tier's name and its figure."""
    width = summary_width(console)
    for warning in grouped_warnings(results.get("noise") or {}, most=most):
        for line in wrap_segments(item_segments(f"noise: {warning}"), width):
            console.print(line, width=width, style="yellow", highlight=False, markup=False)


def wide_console() -> Console:
    """A rich console; when output is piped (make, CI logs) it is 200 columns, not 80."""
    console = Console()
    return console if console.is_terminal else Console(width=200)
