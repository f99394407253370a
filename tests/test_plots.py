"""The speed plot: the class legend never covers a dot or its label, whatever the count;
dots in the summary table's order on an axis without an empty decade."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from slimbench.output import plots  # noqa: E402
from slimbench.output.plots import NARROW, WIDE, speed_figure  # noqa: E402


def _results(n_tiers: int) -> dict:
    classes = ["bitwise", "replay", "close", "floor"]
    tiers = []
    for k in range(n_tiers):
        speed = 1e3 * 1.6**k  # the fastest last, as a run of every tier ends with the floors
        tiers.append(
            {
                "name": f"tier-{k}",
                "exactness": classes[k % 4],
                "status": "measured",
                "check": {"verdict": "pass"},
                "samples_per_second": {
                    "median": speed, "ci_low": 0.9 * speed, "ci_high": 1.1 * speed,
                    "n": 9, "confidence": 0.961,
                },
                "speedup": {"python-naive": speed / 1e3},
            }
        )
    return {
        "tiers": tiers,
        "dataset": {"name": "synthetic-ml10m", "train_nnz": 8_001_696},
        "machine": {"cpu_model": "AMD EPYC", "usable_cores": 2},
    }


@pytest.mark.parametrize("style", [WIDE, NARROW], ids=["wide", "narrow"])
@pytest.mark.parametrize("n_tiers", [3, 17, 25])
def test_the_class_legend_covers_no_dot_and_no_label(n_tiers, style):
    fig = speed_figure(_results(n_tiers), style)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    covered = [t.get_text() for t in ax.texts if t.get_window_extent(renderer).overlaps(legend)]
    assert covered == []
    assert legend.y1 <= ax.get_window_extent(renderer).y0  # below the axes: on no dot
    below = ax.xaxis.label.get_window_extent(renderer).y0
    assert legend.y1 <= below  # under the axes and their label, not on the data
    assert legend.x1 <= fig.bbox.x1  # and inside the image, not beside the axes


def test_dots_in_the_tables_order_and_no_empty_decade():
    results = _results(9)
    fig = speed_figure(results)
    ax = fig.axes[0]
    assert not ax.patches  # dots and whiskers: no bar whose length depends on the axis
    names = [t.get_text() for t in ax.get_yticklabels()]
    trainers = [t["name"] for t in results["tiers"] if t["exactness"] != "floor"]
    floors = [t["name"] for t in results["tiers"] if t["exactness"] == "floor"]
    assert names == trainers + floors  # the table's order: slowest first, floors apart
    low, high = ax.get_xlim()
    fastest = max(t["samples_per_second"]["ci_high"] for t in results["tiers"])
    assert high < 10 * fastest


def _every_plot(style, monkeypatch) -> list:
    """Each figure write_plots draws in ``style``, kept instead of saved."""
    results = _results(17)
    results["options"] = {"epochs": 10, "learning_rate": 1e-6}
    for t in results["tiers"]:
        t["training_time"] = {"seconds": 8e6 / t["samples_per_second"]["median"]}
        t["rounds"] = [{"steps": 1000, "seconds": 1000 / t["samples_per_second"]["median"],
                        "loss": 1.0}] * 3
    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path, style=WIDE: figures.append(fig))
    for fn in plots.PLOTS.values():
        fn(results, None, style)
    return figures


@pytest.mark.parametrize("style", [WIDE, NARROW], ids=["wide", "narrow"])
def test_no_text_is_smaller_than_the_styles_smallest_type(style, monkeypatch):
    """The type a plot is drawn in is the type its style says (the comment of PLOT_WIDTH
    once claimed 10 points where the code drew 7): and that is 11 CSS px or more at the
    render's own size, wide on a wide screen, narrow on a phone."""
    assert style.css_px(style.small) >= 11
    figures = _every_plot(style, monkeypatch)
    assert len(figures) == len(plots.PLOTS)
    for fig in figures:
        sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
        assert sizes and min(sizes) >= style.small, (fig.axes[0].get_title(), min(sizes))


def test_the_narrow_render_fits_a_phone(monkeypatch):
    """Drawn at most NARROW.width wide: at NARROW.density it is at most 400 CSS px, within
    a 420 px phone's page, so the browser does not shrink its type."""
    for fig in _every_plot(NARROW, monkeypatch):
        fig.canvas.draw()
        box = fig.get_tightbbox(fig.canvas.get_renderer())  # what bbox_inches="tight" saves
        assert box.width * NARROW.dpi / NARROW.density <= 400, (fig.axes[0].get_title(), box)
