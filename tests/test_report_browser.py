"""The HTML reports in a real headless browser: no clipped table at 1400 px, tables that
scroll in their own box at 420 px, no page wider than the window, and at 420 px every
tier's samples/s and ratio visible without scrolling sideways.

Runs where Debian's chromium (or a Chrome) is installed; .ci/run installs it when it runs
as root, so CI always runs this test. Screenshots are written next to the report.
"""

from __future__ import annotations

import pytest

from slimbench.cli import main
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
