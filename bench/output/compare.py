"""``slimbench compare OLD NEW``: per tier, did the speed change between two runs?

Each tier measured in both runs gets two verdicts:

* raw (slimbench.figures.verdict): Mann-Whitney U, two-sided, p < 0.05, on its per-round
  samples/s, with the ratio of medians new/old as the size of the change;
* controlled (slimbench.figures.controlled): the same test on its per-pass ratio to a
  control tier that shares none of its kernel code, Holm-corrected across the tiers; a
  machine that drifted between the runs moves the raw verdicts, not these.

Where the runs have no paired passes (sequential runs, pytest-benchmark files) or share no
control, the raw verdict stands and the output says so. Each side's noise record
(slimbench.measure.noise) is shown beside the verdicts it may have moved.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..figures.controlled import control_slowed, controlled_verdicts, drift
from ..figures.noise_record import run_noise, tier_noise
from ..figures.paired import pass_speeds
from ..figures.verdict import compare_rounds
from ..formatting import human_rate, plural
from .dataset_identity import dataset_identity
from .summary_table import choose_columns, table_width


def _noise(old: dict, new: dict, name: str) -> str | None:
    """Each noisy side's note for this tier ("old: others used 85% of the machine")."""
    notes = []
    for label, doc in (("old", old), ("new", new)):
        parts = [p for p in (run_noise(doc), tier_noise(doc, name)) if p]
        if parts:
            notes.append(f"{label}: {'; '.join(parts)}")
    return ", ".join(notes) or None


def _own_noise(old: dict, new: dict, name: str) -> str | None:
    """This tier's own noisy rounds on each side ("old: IQR 11%"), without the run-wide
    noise that every tier shares (named once, not once per tier)."""
    notes = [
        f"{label}: {note}"
        for label, doc in (("old", old), ("new", new))
        if (note := tier_noise(doc, name))
    ]
    return ", ".join(notes) or None


#: a control slower than the machine's drift by more than this is named under the table
CONTROL_WARNING_PERCENT = 5.0


def _short(verdict: str) -> str:
    return "no change" if verdict == "no detectable change" else verdict


def compare_results(old: dict, new: dict, control: str | None = None) -> list[dict]:
    """One row per tier present in either run.

    Keys: tier, old, new (medians), ratio, p_value, verdict, verdict_detail (the raw
    verdict), controlled (slimbench.figures.controlled.Controlled or None), noise (a note
    where either side was noisy, else None).
    """
    old_t = {t["name"]: t for t in old["tiers"]}
    new_t = {t["name"]: t for t in new["tiers"]}
    controlled, _ = controlled_verdicts(old, new, control)
    rows = []
    for name in list(dict.fromkeys([*old_t, *new_t])):
        a = (old_t.get(name) or {}).get("samples_per_second")
        b = (new_t.get(name) or {}).get("samples_per_second")
        row = {
            "tier": name,
            "old": a and a["median"],
            "new": b and b["median"],
            "ratio": None,
            "p_value": None,
            "verdict_detail": None,
            "controlled": controlled.get(name),
            "noise": None,
        }
        if a and b:
            v = compare_rounds(pass_speeds(old_t[name]), pass_speeds(new_t[name]))
            row.update(ratio=v.ratio, p_value=v.p_value, verdict=v.verdict, verdict_detail=v)
            row["noise"] = _noise(old, new, name)
        else:
            row["verdict"] = "only in " + ("new" if b else "old") if (a or b) else "not measured"
        rows.append(row)
    return rows


def slower_tiers(
    rows: list[dict], percent: float, *, strict: bool = False
) -> tuple[list[str], list[str]]:
    """Tiers that fail ``--fail-slower PCT``, and those spared because a side was noisy.

    A tier fails on its controlled verdict where it has one (a drifting machine slows
    every tier alike), else on its raw one; a control fails where it slowed by more than
    PCT % beyond the machine's drift. A noisy side spares a tier unless ``strict``.
    """
    raw = {r["tier"]: r["verdict_detail"] for r in rows if r["verdict_detail"] is not None}
    controls = {r["controlled"].control for r in rows if r["controlled"] is not None}
    failed, spared = [], []
    for r in rows:
        if r["verdict_detail"] is None:
            continue
        c = r["controlled"]
        slow = (
            c.slower_by_more_than(percent)
            if c is not None
            else r["verdict_detail"].slower_by_more_than(percent)
        )
        if r["tier"] in controls and control_slowed(r["tier"], raw, percent) is not None:
            slow = True  # a control's own slowdown hides every change it controls
        if not slow:
            continue
        (spared if r["noise"] and not strict else failed).append(r["tier"])
    return failed, spared


#: the comparison's columns: the first three always show, the others while they fit
COMPARE_COLUMNS = ("tier", "new/old", "verdict", "raw", "old", "new", "vs control", "control")
#: the order the columns are shown in, whichever of them fit
_SHOWN_ORDER = ("tier", "old", "new", "new/old", "raw", "control", "vs control", "verdict")
_LEFT = ("tier", "raw", "control", "verdict")


def comparison_cells(old: dict, new: dict, rows: list[dict]) -> tuple[list[dict], dict]:
    """Each row's display strings by column, and the noisy-rounds notes by their mark."""
    cells, notes = [], {}
    for r in rows:
        c = r["controlled"]
        mark = ""
        own = _own_noise(old, new, r["tier"]) if r["noise"] else None
        if own:  # a whole noisy side is named once, above and below the table
            mark = notes.setdefault(own, "*" * (len(notes) + 1))
        if c is not None:
            verdict = (
                c.verdict
                if c.verdict == "no detectable change"
                else f"{c.verdict} p={c.p_value:.3f}"
            )
        else:
            verdict = "(raw) " + _short(r["verdict"])
        cells.append(
            {
                "tier": r["tier"],
                "old": human_rate(r["old"]) if r["old"] else "-",
                "new": human_rate(r["new"]) if r["new"] else "-",
                "new/old": f"{r['ratio']:.2f}" if r["ratio"] else "-",
                "raw": f"{_short(r['verdict'])} p={r['p_value']:.3f}"
                if r["p_value"] is not None
                else r["verdict"],
                "control": c.control if c else "-",
                "vs control": f"{c.ratio:.2f}" if c else "-",
                "verdict": verdict + (f" {mark}" if mark else ""),
            }
        )
    return cells, {mark: note for note, mark in notes.items()}


def print_comparison(
    old: dict, new: dict, console: Console | None = None, control: str | None = None
) -> list[dict]:
    """Print the comparison table and what it rests on; return its rows.

    Laid out in the summary's width (slimbench.output.console.summary_width: $COLUMNS, the
    terminal's, or 100 when piped): the tier, new/old and the verdict always show, the
    raw verdict, the medians and the control while they fit; the columns left out are named.
    """
    from .console import summary_width

    console = console or Console()
    width = summary_width(console)

    def say(text: str, **kw) -> None:
        console.print(text, width=width, highlight=False, **kw)

    rows = compare_results(old, new, control)
    _, why_raw = controlled_verdicts(old, new, control)
    for label, doc in (("old", old), ("new", new)):
        noisy = run_noise(doc)
        say(
            f"{label}: {doc['dataset']['name']}, {doc['created']}, "
            f"{doc['machine'].get('cpu_model')}" + (f" (noisy: {noisy})" if noisy else ""),
            markup=False,
        )
    old_data, new_data = dataset_identity(old["dataset"]), dataset_identity(new["dataset"])
    if old_data != new_data:
        say(
            f"[yellow]the two runs used different datasets ({escape(old_data)} vs "
            f"{escape(new_data)}): ratios mix workloads[/]"
        )
    cells, marks = comparison_cells(old, new, rows)
    chosen = choose_columns(cells, COMPARE_COLUMNS[:3], width, rest=COMPARE_COLUMNS[3:])
    columns = [c for c in _SHOWN_ORDER if c in chosen]
    table = Table()
    for col in columns:  # names, figures and verdicts whole: the columns are chosen to fit
        table.add_column(col, justify="left" if col in _LEFT else "right", no_wrap=True)
    for r, cell in zip(rows, cells, strict=True):
        shown = r["controlled"].verdict if r["controlled"] is not None else r["verdict"]
        style = {"faster": "green", "slower": "red"}.get(shown, "")
        table.add_row(*(escape(cell[col]) for col in columns), style=style)
    console.print(table, width=width)
    hidden = [c for c in COMPARE_COLUMNS if c not in columns]
    if hidden:
        needed = table_width(cells, COMPARE_COLUMNS)
        say(
            f"left out at a width of {width}: {', '.join(hidden)} (COLUMNS={needed} shows them)",
            markup=False,
            style="dim",
        )
    for mark, note in marks.items():
        say(f"{mark} noisy rounds: {note}", markup=False)
    noisy_sides = [label for label, doc in (("old", old), ("new", new)) if run_noise(doc)]
    if noisy_sides:
        say(
            f"{' and '.join(noisy_sides)} ran on a busy machine (above): every verdict may "
            "have been moved by it; --fail-slower fails none of them unless --strict",
            markup=False,
        )
    raw = {r["tier"]: r["verdict_detail"] for r in rows if r["verdict_detail"] is not None}
    d = drift(raw)
    for name in sorted({r["controlled"].control for r in rows if r["controlled"]}):
        if control_slowed(name, raw, CONTROL_WARNING_PERCENT) is not None:
            say(
                f"[yellow]control {escape(name)} itself slowed beyond the machine's drift: the "
                "tiers it controls look faster than they are[/]"
            )
    if why_raw:
        say(f"controlled verdicts: none, {why_raw}.", markup=False)
    elif d is not None:
        controlled_count = sum(r["controlled"] is not None for r in rows)
        say(
            f"controlled: each tier's per-pass ratio to its control, new against old "
            f"(Mann-Whitney, Holm over {plural(controlled_count, 'tier')}); the machine "
            f"drifted {d - 1:+.0%} (median raw new/old).",
            markup=False,
        )
    return rows
