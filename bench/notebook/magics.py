"""``%load_ext slimbench``: the cell and line magics of the notebook path.

- ``%%slimbench_tier NAME [--py] [--close TOL] [--annotate]``: the cell is a loop in the
  ``train_steps`` contract; it is written to a tier file (:mod:`.session_files`), compiled
  and registered as ``--tier-file`` does (a cell run again replaces its tier), checked
  against python-naive, and its verdict shown.
- ``%slimbench_run NAME... [--budget S] [--dataset SPEC] [--tiers A,B] [--rounds N]
  [--out DIR]``: times the tiers beside the seed's (as ``run --tier-file`` does), shows the
  summary table and the speed plot and returns the results.
- ``%slimbench_annotate NAME``: ``cython -a`` of a Cython tier, inline, with its yellow lines.

This module is the only one that imports IPython on import, and only ``load_ipython_extension``
loads it (the results objects import its display inside the method IPython calls).
"""

from __future__ import annotations

import argparse
import re
import shlex
import tempfile
from pathlib import Path

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.display import HTML, display

from ..arg_types import budget_value, positive_float, round_count, tier_list
from ..formatting import plural
from ..impls import SlimBenchError, get_tier
from ..impls.registry import drop_session_tier
from ..impls.user_tier import load_tier_file
from ..measure.check import CheckResult
from . import api
from .results_view import CheckResults
from .session_files import write_cell_file


class MagicArgumentError(SlimBenchError, ValueError):
    """A magic's line cannot be parsed (the message is argparse's, on one line)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # a one-line error, not SystemExit
        # argparse's usage starts with "usage: " and wraps at the terminal's width
        usage = " ".join(self.format_usage().split()).removeprefix("usage: ")
        raise MagicArgumentError(f"{self.prog}: {message} (usage: {usage})")


def _tier_parser() -> _Parser:
    p = _Parser(prog="%%slimbench_tier", add_help=False)
    p.add_argument("name")
    p.add_argument("--py", action="store_true", help="the cell is Python, not Cython")
    p.add_argument("--close", type=positive_float, default=None, metavar="TOL")
    p.add_argument("--annotate", action="store_true")
    return p


def _run_parser() -> _Parser:
    p = _Parser(prog="%slimbench_run", add_help=False)
    p.add_argument("names", nargs="*")
    p.add_argument("--budget", type=budget_value, default=20.0)
    p.add_argument("--dataset", default="synthetic-ml10m")
    p.add_argument("--tiers", type=tier_list, default=None)
    p.add_argument("--rounds", type=round_count, default=7)
    p.add_argument("--out", default=None)
    return p


def in_cell_terms(text: str, path: Path, name: str) -> str:
    """A message about the cell's file, in terms of the cell: ``cell NAME, line L``."""
    where = re.escape(str(path))
    text = re.sub(where + r":(\d+):(\d+):", r"line \1, column \2:", text)
    text = re.sub(where + r":(\d+):", r"line \1:", text)
    text = text.replace(str(path), f"cell {name}")
    own_name = re.escape(path.name) + r"(, line \d+)?"
    return re.sub(own_name, lambda m: f"cell {name}{m[1] or ''}", text)


def annotation_html(name: str) -> str:
    """The ``cython -a`` page of tier ``name``, for inline display, with its yellow lines."""
    from ..measure.annotate import annotate_tiers

    with tempfile.TemporaryDirectory(prefix="slimbench-annotate-") as folder:
        found = annotate_tiers([name], Path(folder)).get(name)
        if found is None:
            raise MagicArgumentError(f"tier {name!r} is not a Cython tier: nothing to annotate")
        page = Path(found["html"]).read_text(encoding="utf-8")
    # as IPython's %%cython -a: the page without its link to the raw C file
    page = "\n".join(line for line in page.splitlines() if "Raw output:" not in line)
    numbers = ", ".join(str(n) for n in found["yellow_line_numbers"]) or "none"
    head = (
        f"<p><b>{name}</b>: {plural(found['yellow_lines'], 'yellow line')} in its step loop of "
        f"{plural(found['loop_lines'], 'line')} (score {found['yellow_score']}; lines {numbers}). "
        "Click a line to see the C it compiles to.</p>"
    )
    return head + page


@magics_class
class SlimbenchMagics(Magics):
    """The magics of ``%load_ext slimbench``."""

    @cell_magic
    def slimbench_tier(self, line: str, cell: str) -> CheckResults:
        """Compile, register and check the cell's ``train_steps`` loop as tier NAME."""
        args = _tier_parser().parse_args(shlex.split(line))
        path = write_cell_file(args.name, cell, python=args.py, tolerance=args.close)
        try:
            name = load_tier_file(path, replace=True)
        except SlimBenchError as exc:  # a compile error, a bad NAME: a verdict, not a trace
            drop_session_tier(args.name)  # the cell's last good version must not be timed
            verdict = CheckResult(
                tier=args.name,
                exactness="close" if args.close else "bitwise",
                verdict="error",
                detail=in_cell_terms(str(exc), path, args.name),
            )
            return CheckResults([verdict])
        result = api.check(tiers=[name])
        for verdict in result.verdicts:
            verdict.detail = in_cell_terms(verdict.detail, path, args.name)
        if args.annotate and not args.py:
            display(HTML(annotation_html(name)))
        return result

    @line_magic
    def slimbench_run(self, line: str) -> api.RunResults:
        """Time NAME... beside python-naive, cython-rand and the fastest exact built-in tier."""
        args = _run_parser().parse_args(shlex.split(line))
        if not args.names and not args.tiers:
            raise MagicArgumentError("%slimbench_run: name at least one tier (or --tiers A,B)")
        for name in args.names:
            get_tier(name.partition("@")[0])  # an unknown name: one line, before any work
        results = api.run(
            tiers=[*(args.tiers or []), *args.names],
            companions=args.tiers is None,
            dataset=args.dataset,
            budget=args.budget,
            rounds=args.rounds,
            out=args.out,
        )
        display(results)  # the table even where the cell assigns what the magic returns
        self._shown_until_the_cell_ends(results)
        if any(t.get("samples_per_second") for t in results.results["tiers"]):
            display(results.plot())
        return results

    def _shown_until_the_cell_ends(self, results: api.RunResults) -> None:
        """The cell's Out does not show the table again; a later cell's does."""
        results.table_shown = True

        def forget(*_: object) -> None:
            results.table_shown = False
            self.shell.events.unregister("post_run_cell", forget)

        self.shell.events.register("post_run_cell", forget)

    @line_magic
    def slimbench_annotate(self, line: str) -> HTML:
        """``cython -a`` of tier NAME inline, with the count of yellow lines in its step loop."""
        names = shlex.split(line)
        if len(names) != 1:
            raise MagicArgumentError("usage: %slimbench_annotate NAME")
        get_tier(names[0])
        return HTML(annotation_html(names[0]))


def _one_line(shell, etype, value, tb, tb_offset=None) -> list[str]:
    """The project's errors in a cell as the CLI shows them: one line, no traceback.

    IPython's ``exception_only`` display adds a line pointing at ``%tb`` and colours the
    rest with ANSI codes; the line is sent as the cell's error output itself instead, so the
    cell still fails (a "Run All" stops there) and a notebook file holds no control codes.
    """
    line = f"{etype.__name__}: {value}"
    shell._showtraceback(etype, value, [line])
    return [line]


def _show_figures_as_png(ipython) -> None:
    """The plots are drawn with matplotlib's Agg (slimbench.output.plots), which registers no
    Jupyter display: a returned Figure would show as its repr. Show it as a PNG, as
    matplotlib's inline backend does."""
    from IPython.core.pylabtools import print_figure
    from matplotlib.figure import Figure

    formatter = ipython.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, lambda fig: print_figure(fig, "png", bbox_inches="tight"))


def load_ipython_extension(ipython) -> None:
    """Register the magics (``%load_ext slimbench``); the project's errors show as one line."""
    ipython.register_magics(SlimbenchMagics)
    ipython.set_custom_exc((SlimBenchError,), _one_line)
    _show_figures_as_png(ipython)
