"""The summary table of a run as the notebook shows it: text and HTML, same cells.

Columns: tier, check, samples/s, the ratio against the slowest baseline that was timed
(python-naive, else cython-rand), the extrapolated training time, then class, status,
interval, rounds and yellow lines. The cells come from the console table's formatting
(:func:`slimbench.output.console.table_rows`), so the figures are the console's and the
report's.
"""

from __future__ import annotations

import html

from ..output.console import table_rows
from ..output.summary_table import epochs_column

#: the ratios in the order they are preferred: against the reference, else the seed's best
RATIO_COLUMNS = ("vs naive", "vs rand")
TRAILING_COLUMNS = ("class", "status", "interval (coverage)", "rounds", "yellow")


def summary_rows(results: dict) -> list[dict[str, str]]:
    """One dict of display strings per tier, slowest first, in the notebook's column order."""
    rows = table_rows(results)
    if not rows:
        return []
    epochs = epochs_column(results)
    ratio = next((c for c in RATIO_COLUMNS if any(r[c] for r in rows)), RATIO_COLUMNS[0])
    order = ("tier", "check", "samples/s", ratio, epochs, *TRAILING_COLUMNS)
    return [{column: row[column] for column in order} for row in rows]


def not_measured(results: dict) -> list[tuple[str, str]]:
    """(tier, why) for each tier that got no figure and says why."""
    return [
        (t["name"], t["error"])
        for t in results.get("tiers", [])
        if t.get("error") and t.get("status") != "measured"
    ]


def summary_text(results: dict) -> str:
    """The summary as aligned plain text (the object's repr)."""
    rows = summary_rows(results)
    if not rows:
        return "no tiers"
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns).rstrip()]
    lines += ["  ".join(r[c].ljust(widths[c]) for c in columns).rstrip() for r in rows]
    lines += [f"{name}: {why}" for name, why in not_measured(results)]
    return "\n".join(lines)


def summary_html(results: dict) -> str:
    """The summary as an HTML table, with a caption naming the dataset."""
    rows = summary_rows(results)
    ds = results.get("dataset", {})
    caption = (
        f"{ds.get('name', '')}: {ds.get('train_nnz', 0):,} training interactions, "
        f"seed {results.get('options', {}).get('seed', 0)}, run {results.get('status', '')}"
    )
    if not rows:
        return f"<p>{html.escape(caption)}: no tiers</p>"
    columns = list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(r[c])}</td>" for c in columns) + "</tr>" for r in rows
    )
    notes = "".join(
        f"<li><b>{html.escape(name)}</b>: {html.escape(why)}</li>"
        for name, why in not_measured(results)
    )
    return (
        f'<table class="slimbench-summary"><caption style="text-align:left">'
        f"{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>" + (f"<ul>{notes}</ul>" if notes else "")
    )
