"""The Integration and Check pages' charts as Chromium draws them: a bounded number of tick
labels per axis (the "Row counts" chart once drew 2,000 and took a minute), date labels with day
and month, and no axis running past today."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from benchmarks.pages import DRAWN
from dashboard.charts import MAX_TICKS
from monitor.config.loading import load_config

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

WAIT_MS = 120_000
DAY_MONTH = re.compile(r"^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)$")

# Per panel of each Vega-Lite chart (the Integration page stacks its trends as panels of one
# chart, dashboard/vega_spec.stacked; drawn as SVG, dashboard/chart_view.VEGA_EMBED): its drawn
# title, and each axis's tick labels as drawn, by the axis's own label ("X-axis …", "Y-axis …").
VEGA_PANELS = """() => Array.from(document.querySelectorAll(
    '[data-testid="stVegaLiteChart"] svg.marks g.role-scope')).filter(g =>
  /concat_\\d+_group/.test(g.getAttribute('class'))).map(g => {  // a panel, not its marks
  const labels = axis => Array.from(g.querySelectorAll('g.role-axis[aria-label^="' + axis + '"]'))
    .flatMap(a => Array.from(a.querySelectorAll('g.role-axis-label text')))
    .map(t => t.textContent);
  return {
    title: Array.from(g.querySelectorAll('g.role-title-text text')).map(t => t.textContent)
      .join(' '),
    x: labels('X-axis'),
    y: labels('Y-axis'),
  };
})"""
# The Plotly charts (the Check page's recent results): per subplot, its title, its tick labels
# per axis as drawn, and whether its x axis is a date axis.
CHART_TICKS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(plot => {
  const full = plot._fullLayout;
  const ids = full._subplots.cartesian;
  return ids.map(id => {
    const [, xName, yName] = id.match(/^(x\\d*)(y\\d*)$/);
    const xa = full[xName.replace('x', 'xaxis')], ya = full[yName.replace('y', 'yaxis')];
    const note = (full.annotations || []).find(a => a.xref === 'paper' && a.yref === 'paper'
      && a.x === 0 && Math.abs(a.y - ya.domain[1]) < 1e-9);
    const title = ids.length > 1 ? (note ? note.text.replace(/<[^>]*>/g, '') : '')
      : ((plot.querySelector('.gtitle') || {}).textContent || '');
    const labels = name => Array.from(plot.querySelectorAll('g.' + name + 'tick text'))
      .map(t => t.textContent);  // Plotly's tick class is the axis id: xtick, x2tick, …
    return {
      title: title,
      x: labels(xName),
      y: labels(yName),
      dates: xa.type === 'date',
      end: xa.type === 'date' ? xa.range[1] : null,
    };
  });
})"""


def _drawn_charts(browser: Any, url: str, read: str = CHART_TICKS) -> list[dict[str, Any]]:
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    try:
        page.goto(url)
        page.wait_for_function(DRAWN, polling=100, timeout=WAIT_MS)
        assert page.get_by_test_id("stException").count() == 0
        return list(page.evaluate(read))
    finally:
        page.close()


def _integrations(demo_env: dict[str, str]) -> list[str]:
    return list(load_config(Path(demo_env["DXQ_CONFIG"]), demo_env).integrations)


def test_integration_charts_draw_few_ticks_and_day_month_dates(
    browser: Any, dashboard_url: str, demo_env: dict[str, str]
) -> None:
    for name in _integrations(demo_env):
        url = f"{dashboard_url}/integration?integration={name}"
        charts = _drawn_charts(browser, url, VEGA_PANELS)
        titles = [c["title"] for c in charts]
        assert "Pass rate per check and day" in titles, (name, titles)
        for chart in charts:
            where = (name, chart["title"])
            assert 0 < len(chart["x"]) <= MAX_TICKS, (where, chart["x"])
            if chart["title"] != "Pass rate per check and day":  # one label per check there
                assert 0 < len(chart["y"]) <= MAX_TICKS, (where, chart["y"])
            assert all(DAY_MONTH.match(label) for label in chart["x"]), (where, chart["x"])
            assert len(set(chart["x"])) == len(chart["x"]), (where, chart["x"])  # no "Nov Nov"


def test_check_history_strip_draws_day_month_dates(browser: Any, dashboard_url: str) -> None:
    # ?history=true opens the Recent results section, which draws the strip only when open
    url = f"{dashboard_url}/check?integration=orders&check=reconcile&history=true"
    charts = _drawn_charts(browser, url)
    (strip,) = charts
    assert strip["dates"] and 0 < len(strip["x"]) <= MAX_TICKS
    assert all(DAY_MONTH.match(label) for label in strip["x"]), strip["x"]
