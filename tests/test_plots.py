"""The speed plot: the class legend never covers a dot or its label, whatever the count;
dots in the summary table's order on an axis without an empty decade."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from slimbench.output.plots import speed_figure  # noqa: E402


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


@pytest.mark.parametrize("n_tiers", [3, 17, 25])
def test_the_class_legend_covers_no_dot_and_no_label(n_tiers):
    fig = speed_figure(_results(n_tiers))
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
