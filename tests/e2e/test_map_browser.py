"""The Overview's map as Chromium draws it: every system and integration of the demo labelled
with what the monitor file and the store say, and clicks that navigate (an integration's dot
opens its page; a system filters the Overview to it). A screenshot goes to tests/artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.pages import DRAWN
from dashboard.format import duration, percent, status_word
from monitor.config.loading import load_config
from store import health
from store.store import ResultStore

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

WAIT_MS = 120_000

# Every label of the map (Plotly annotations), one string per label, lines joined by " | ".
LABELS = """() => Array.from(document.querySelectorAll('.js-plotly-plot g.annotation'))
  .map(a => Array.from(a.querySelectorAll('text tspan.line')).map(l => l.textContent).join(' | ')
            || (a.querySelector('text') || {}).textContent || '')
  .filter(text => text)"""

# Where the points of the map's trace `name` are drawn on the page, by what a click names.
POINTS = """(name) => {
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const trace = (plot._fullData || []).find(t => t.name === name);
    if (!trace) continue;
    const layout = plot._fullLayout, box = plot.getBoundingClientRect();
    return Object.fromEntries(trace.x.map((x, i) => [trace.customdata[i][1], [
      box.left + layout._size.l + layout.xaxis.l2p(x),
      box.top + layout._size.t + layout.yaxis.l2p(trace.y[i]),
    ]]));
  }
  return null;
}"""


def _open(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(url)
    page.wait_for_function(DRAWN, polling=100, timeout=WAIT_MS)
    assert page.get_by_test_id("stException").count() == 0
    return page


def _click(page: Any, trace: str, name: str) -> None:
    points = page.evaluate(POINTS, trace)
    assert points and name in points, points
    x, y = points[name]
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def test_the_map_labels_every_system_and_integration_and_clicks_navigate(
    browser: Any, dashboard_url: str, demo_env: dict[str, str], artifacts: Path
) -> None:
    """One page load (a cold page costs seconds): the labels, then a click on a system, then
    one on an integration."""
    from playwright.sync_api import expect

    config = load_config(Path(demo_env["DXQ_CONFIG"]), demo_env)
    store = ResultStore.open(demo_env["DXQ_STORE_URL"])  # the dashboard reads a copy of it
    try:
        latest = health.overview(store).set_index("integration")
    finally:
        store.dispose()
    page = _open(browser, dashboard_url)
    page.locator('[data-testid="stPlotlyChart"]').first.screenshot(path=str(artifacts / "map.png"))
    labels = page.evaluate(LABELS)
    for name, system in config.systems.items():
        node = [text for text in labels if text.split(" | ")[0] == name]
        assert len(node) == 1, (name, labels)
        assert system.description.split()[0] in node[0], node
        assert ("external partner:" in node[0]) == system.external, node
        if system.partner is not None:
            assert system.partner.name in node[0], node
    for name, integration in config.integrations.items():
        row = latest.loc[name]
        several = len(integration.all_targets) > 1
        for target in integration.all_targets:
            start = f"{name} → {target.system} · " if several else f"{name} · "
            edge = [text for text in labels if text.startswith(start)]
            assert len(edge) == 1, (name, labels)
            head, figures = edge[0].split(" | ")
            assert status_word(row["worst_outcome"]) in head, edge
            age = duration(row["freshness_lag_s"])
            assert figures == f"mismatch {percent(row['mismatch_rate'])} · age {age}", edge

    _click(page, "systems", "psp")  # the Overview shows only psp's integrations
    expect(page).to_have_url(f"{dashboard_url}/?system=psp", timeout=WAIT_MS)
    page.wait_for_function(DRAWN, polling=100, timeout=WAIT_MS)
    expect(page.get_by_text("Open payments")).to_be_visible(timeout=WAIT_MS)
    assert page.get_by_text("Open orders").count() == 0
    labels = page.evaluate(LABELS)
    assert {text.split(" | ")[0] for text in labels if " · " not in text} == {"psp", "erp"}

    _click(page, "integrations", "payments")  # its page opens
    expect(page).to_have_url(f"{dashboard_url}/integration?integration=payments", timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="payments", exact=True)).to_be_visible(timeout=WAIT_MS)
    page.close()
