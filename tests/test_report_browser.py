"""The HTML reports in a real headless browser: no clipped table at 1400 px, tables that
scroll in their own box at 420 px, no page wider than the window, and at 420 px every
tier's samples/s and ratio visible without scrolling sideways.

Runs where Debian's chromium (or a Chrome) is installed; .ci/run installs it when it runs
as root, so CI always runs this test. Screenshots are written next to the report.
"""

from __future__ import annotations

import pytest
from PIL import Image

from slimbench.cli import main
from slimbench.output.plots import NARROW, WIDE, narrow_path
from slimbench.output.results import load_results
from slimbench.output.summary_table import first_columns, summary_rows

from browser import Browser, find_browser

BROWSER = find_browser()
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no chromium or chrome installed (apt-get install chromium)"
)

FITS = """
(() => {
  const out = [];
  for (const t of document.querySelectorAll('table')) {
    const box = t.parentElement;
    out.push({summary: t.classList.contains('summary'), table: t.scrollWidth,
              box: box.clientWidth, scrolls: getComputedStyle(box).overflowX,
              lastCell: (() => { const c = t.rows[0].cells[t.rows[0].cells.length - 1];
                                 const r = c.getBoundingClientRect();
                                 const b = box.getBoundingClientRect();
                                 return r.right <= b.right + 1; })()});
  }
  return {tables: out, page: document.documentElement.scrollWidth, window: innerWidth};
})()
"""


#: every visible element whose text is a tier card's figure, with where it sits
CARDS = """
(() => Array.from(document.querySelectorAll('.tier-card')).map(card => {
  const box = card.getBoundingClientRect();
  const style = getComputedStyle(card);
  return {text: card.innerText, left: box.left, right: box.right,
          visible: style.display !== 'none' && box.width > 0 && box.height > 0};
}))()
"""


#: per plot: its name, whether the browser chose the narrow render, how wide it is shown
PLOTS = """
(() => Array.from(document.querySelectorAll('figure img')).map(img => {
  const source = img.parentElement.querySelector('source');
  const box = img.getBoundingClientRect();
  return {name: img.alt, shown: img.clientWidth, right: box.right,
          narrow: !!source && img.currentSrc === source.srcset.split(' ')[0]};
}))()
"""


def _smallest_type_px(page, width: int) -> list[tuple[str, bool, float]]:
    """Each plot of ``page`` at a ``width`` px window: (name, narrow render shown, the
    CSS px of its smallest type as shown: its points at the render's dpi, scaled by how
    wide the PNG is shown against its pixels)."""
    with Browser(BROWSER) as browser:
        browser.open(page, width)
        plots = browser.evaluate(PLOTS)
    out = []
    for p in plots:
        style = NARROW if p["narrow"] else WIDE
        path = page.with_name(p["name"])
        pixels = Image.open(narrow_path(path) if p["narrow"] else path).size[0]
        assert p["right"] <= width + 0.5, p  # never wider than the window
        out.append((p["name"], p["narrow"], style.small * style.dpi / 72 * p["shown"] / pixels))
    return out


@pytest.fixture(scope="module")
def train_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser-train")
    argv = ["train", "--dataset", "synthetic-tiny", "--epochs", "2", "--eval-every", "1"]
    argv += ["--baselines", "top-popular", "--predict-budget", "0.3", "--save-top-k", "0"]
    assert main([*argv, "--out", str(out)]) == 0
    return out / "train.html"


@pytest.mark.parametrize("page", ["report", "train_page"])
def test_plots_are_legible_at_420_px_and_at_1400(page, request):
    """At 420 px the browser takes each plot's narrow render (drawn at a phone's width),
    whose smallest type is at least 11 CSS px as shown; at 1400 px the wide one, as big."""
    page = request.getfixturevalue(page)
    narrow = _smallest_type_px(page, 420)
    wide = _smallest_type_px(page, 1400)
    assert narrow and all(chosen for _, chosen, _ in narrow), narrow
    assert not any(chosen for _, chosen, _ in wide), wide
    for name, _, px in narrow + wide:
        assert px >= 11, (name, px)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser-run")
    argv = ["run", "--dataset", "synthetic-tiny", "--budget", "0.3", "--rounds", "2"]
    code = main([*argv, "--no-annotate", "--no-bandwidth", "--out", str(out)])
    assert code == 0
    return out / "report.html"


def test_summary_fits_1400_px_and_tables_scroll_in_their_box_at_420(report):
    with Browser(BROWSER) as browser:
        browser.open(report, 1400)
        wide = browser.evaluate(FITS)
        browser.screenshot(report.with_name("report-1400.png"))
        browser.open(report, 420)
        narrow = browser.evaluate(FITS)
        browser.screenshot(report.with_name("report-420.png"))
        browser.evaluate("document.querySelector('figure').click()")
        zoomed = browser.evaluate(
            "(() => { const f = document.querySelector('figure');"
            " return [f.classList.contains('full'), getComputedStyle(f).position,"
            " f.querySelector('img').naturalWidth, f.querySelector('img').clientWidth]; })()"
        )
    summary = next(t for t in wide["tables"] if t["summary"])
    assert summary["table"] <= summary["box"] and summary["lastCell"], summary  # no clipping
    assert all(t["table"] <= t["box"] for t in wide["tables"]), wide
    assert narrow["page"] <= narrow["window"], narrow  # the page itself never scrolls sideways
    for t in narrow["tables"]:
        assert t["table"] <= t["box"] or t["scrolls"] in ("auto", "scroll"), t
    assert zoomed[0] and zoomed[1] == "fixed" and zoomed[3] == zoomed[2]  # full size on tap


def test_at_420_px_every_tiers_speed_and_ratio_show_without_sideways_scrolling(report):
    results = load_results(report.with_name("results.json"))
    ratio = first_columns(results)[3]
    rows = [r for r in summary_rows(results) if r["status"] == "measured"]
    assert rows
    with Browser(BROWSER) as browser:
        browser.open(report, 420)
        cards = browser.evaluate(CARDS)
        table_open = browser.evaluate("document.getElementById('all-columns').open")
        browser.open(report, 1400)
        wide_cards = browser.evaluate(CARDS)
    assert len(cards) == len(results["tiers"])
    for card in cards:
        assert card["visible"] and card["left"] >= 0 and card["right"] <= 420, card
    texts = "\n".join(c["text"] for c in cards)
    for row in rows:
        assert row["samples/s"] in texts and row[ratio] in texts, row
    assert table_open is False  # every column stays one tap away, not in the way
    assert not any(c["visible"] for c in wide_cards)  # at 1400 px the table says it all
