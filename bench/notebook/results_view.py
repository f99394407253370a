"""What ``slimbench.run`` and ``slimbench.check`` return: results a notebook can show and keep.

Both render as HTML in Jupyter (``_repr_html_``) and as aligned text elsewhere; nothing is
written to disk unless :meth:`RunResults.save` is called.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..measure.check import CheckResult, name_width
from .summary import summary_html, summary_text

#: tiers_frame's column names, as the API names them (one word per figure)
FRAME_RENAMES = {
    "samples_per_s_median": "samples_per_second",
    "samples_per_s_ci_low": "samples_per_second_ci_low",
    "samples_per_s_ci_high": "samples_per_second_ci_high",
    "samples_per_s_min": "samples_per_second_min",
    "samples_per_s_iqr": "samples_per_second_iqr",
    "training_seconds": "training_time_seconds",
}


class RunResults:
    """One run's figures: ``.results`` is its results.json document."""

    def __init__(self, results: dict, saved_to: Path | None = None) -> None:
        self.results = results
        #: the folder the run was written to (``out=``, or the last ``save``), else None
        self.saved_to = saved_to
        #: set by ``%slimbench_run`` until its cell ends: the table is shown already
        self.table_shown = False

    @property
    def tiers(self) -> list[str]:
        """The tiers of the run, in the run's order."""
        return [t["name"] for t in self.results["tiers"]]

    def __getitem__(self, tier: str) -> dict:
        """The results.json entry of ``tier``."""
        for entry in self.results["tiers"]:
            if entry["name"] == tier:
                return entry
        raise KeyError(tier)

    def to_frame(self) -> pd.DataFrame:
        """One row per tier: class, check, status, samples/s and its interval, ratios, time."""
        from ..output.results import tiers_frame

        frame = tiers_frame(self.results).rename(columns=FRAME_RENAMES)
        frame["origin"] = [(t.get("origin") or {}).get("kind") for t in self.results["tiers"]]
        return frame

    def plot(self):
        """The speed plot (samples/s per tier, log axis) as a matplotlib Figure."""
        import matplotlib.pyplot as plt

        from ..output.plots import speed_figure

        fig = speed_figure(self.results)
        plt.close(fig)  # not also shown by pyplot's inline backend at the end of the cell
        return fig

    def save(self, folder: str | Path) -> Path:
        """Write results.json, results.csv, the plots and report.html; return the report."""
        from ..output.outdir import prepare_out_dir
        from ..output.report import write_report
        from ..output.results import write_results

        out = prepare_out_dir(Path(folder))
        write_results(self.results, out)
        report = write_report(self.results, out)
        self.saved_to = out
        return report

    def __repr__(self) -> str:
        return summary_text(self.results)

    def _repr_html_(self) -> str:
        return summary_html(self.results)

    def _ipython_display_(self) -> None:
        """The table, once per cell: ``%slimbench_run`` shows it before its plot, and a cell
        that ends with the magic would otherwise show it again as its Out."""
        from IPython.display import display

        if self.table_shown:
            return
        display({"text/plain": repr(self), "text/html": self._repr_html_()}, raw=True)


class CheckResults:
    """The cross-check's verdict per tier; ``passed`` is True where no tier failed."""

    def __init__(self, verdicts: Sequence[CheckResult], notes: Mapping[str, str] | None = None):
        self.verdicts = list(verdicts)
        #: tier -> how it reached the check (a pickled object, a build) and other remarks
        self.notes = dict(notes or {})

    @property
    def passed(self) -> bool:
        """No tier failed (an unavailable tier is not a failure)."""
        return not any(v.failed for v in self.verdicts)

    def __getitem__(self, tier: str) -> CheckResult:
        for verdict in self.verdicts:
            if verdict.tier == tier:
                return verdict
        raise KeyError(tier)

    def to_frame(self) -> pd.DataFrame:
        """One row per tier: the verdict, the differences and the first differing step."""
        return pd.DataFrame([v.to_dict() for v in self.verdicts])

    def __repr__(self) -> str:
        lines = []
        width = name_width(self.verdicts)
        for v in self.verdicts:
            lines.append(v.line(width))
            if v.tier in self.notes:
                lines.append(f"    {v.tier}: {self.notes[v.tier]}")
        lines.append("all pass" if self.passed else "FAILED: " + ", ".join(self._failed()))
        return "\n".join(lines)

    def _failed(self) -> list[str]:
        return [v.tier for v in self.verdicts if v.failed]

    def _repr_html_(self) -> str:
        rows = []
        for v in self.verdicts:
            color = "#276749" if v.passed else ("#718096" if not v.failed else "#c53030")
            diff = "" if v.max_abs_diff is None else f"{v.max_abs_diff:.3g}"
            detail = html.escape(v.detail).replace("\n", "<br>")
            note = self.notes.get(v.tier)
            if note:
                detail += ("<br>" if detail else "") + f"<i>{html.escape(note)}</i>"
            rows.append(
                f'<tr><td style="white-space:nowrap"><b>{html.escape(v.tier)}</b></td>'
                f"<td>{html.escape(v.exactness)}</td>"
                f'<td style="color:{color};font-weight:bold">{html.escape(v.verdict.upper())}'
                f"</td><td>{diff}</td>"
                f'<td style="text-align:left;font-family:monospace">{detail}</td></tr>'
            )
        head = "".join(
            f"<th>{c}</th>" for c in ("tier", "class", "verdict", "max|dS|", "detail")
        )
        return (
            "<p>cross-check against python-naive on the built-in check dataset</p>"
            f'<table class="slimbench-check"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
