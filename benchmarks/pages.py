"""Benchmark: every page of the demo, fully drawn in headless Chromium.

    .venv/bin/python benchmarks/pages.py [--state DIR] [--repeat 3] [--limit 3.0] [--only TEXT]
                                         [--no-nav]

Opens the Overview, each integration's page, each check of each integration, Alerts, Suites and
Runs, and times each until it is fully drawn: the websocket is connected, the script has stopped
running, no skeleton is left, every Plotly chart has drawn its SVG and every Vega-Lite chart its
scene (then two animation frames, so the browser has painted it). "points": each Plotly trace's
values and each Vega-Lite point and cell drawn. Each page is drawn two ways, `--repeat` times:

- opened: in a new tab (a bookmark, a link from an alert e-mail), timed from `goto`. The
  browser evaluates Streamlit's JavaScript again, and Plotly's 4.7 MB chunk (Vega-Lite's
  0.8 MB) when the page has such a chart;
- reached: inside the app already open in one tab, as its menu and page links go (the
  browser keeps what it evaluated; the server reruns the script).

Beside the wall time, the CPU time the browser and the servers spent on the page (all the
processes this benchmark started), which other sessions' load inflates far less. The floors,
drawn the same way in the same run by their own `streamlit run`: a page with a heading and a
line of text, and the same with one small Plotly or Vega-Lite chart (dashboard/chart_view.py).
A page passes when its median both ways is under `--limit`; exits 1 otherwise. With
/tmp/shots/pages/ present, each page's first draw is saved there as a screenshot.

The demo is built into a temporary state directory (30 days), or read from `--state DIR` (a
directory `dxq demo` or `build_demo(state_dir=DIR)` filled). The dashboard runs on a free
loopback port; nothing else is touched.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo.command import build_demo, demo_config, demo_env  # noqa: E402
from monitor.commands.serving import dashboard_command  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FLOOR_APP = """import plotly.graph_objects as go
import streamlit as st

from dashboard.chart_view import show

st.title("Floor")
st.write("One line of text.")
if st.query_params.get("chart"):
    show(go.Figure(go.Scatter(x=[1, 2, 3], y=[1, 3, 2])), key="one")
if st.query_params.get("vega"):
    xy = {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}}
    rows = [{"x": 1, "y": 1}, {"x": 2, "y": 3}, {"x": 3, "y": 2}]
    show({"data": {"values": rows}, "mark": "line", "encoding": xy}, key="one-vega")
"""
FLOORS = {"blank page": "", "one Plotly chart": "/?chart=1", "one Vega-Lite chart": "/?vega=1"}
SHOTS = Path("/tmp/shots/pages")  # a screenshot of each page's first draw, when it exists

# Fully drawn: connected, the script finished, content present, no skeleton, and every Plotly
# chart has its SVG and layout (Plotly draws axes and ticks synchronously with them).
DRAWN = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stException"]')) return true;  // reported below
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main || !main.querySelector('[data-testid="stHeading"]')) return false;
  for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
    const plot = chart.querySelector('.js-plotly-plot');
    if (!plot || !plot._fullLayout || !plot.querySelector('svg.main-svg')) return false;
  }
  for (const chart of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
    const svg = chart.querySelector('svg.marks'), canvas = chart.querySelector('canvas.marks');
    if (svg ? !svg.querySelector('g.mark-group') : !(canvas && canvas.width)) return false;
  }
  return true;
}"""
PAINTED = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
COUNTS = """() => ({
  charts: document.querySelectorAll(
    '[data-testid="stPlotlyChart"], [data-testid="stVegaLiteChart"]').length,
  ticks: document.querySelectorAll('.js-plotly-plot g.xtick, .js-plotly-plot g.ytick').length,
  points: Array.from(document.querySelectorAll('.js-plotly-plot')).reduce((n, plot) =>
    n + (plot.data || []).reduce((m, t) => m + ((t.x || t.z || []).length || 0), 0), 0)
    + document.querySelectorAll('svg.marks .mark-symbol>path, svg.marks .mark-rect>path').length,
  exceptions: document.querySelectorAll('[data-testid="stException"]').length,
})"""
# What a page link or the menu does: the app's own history handler reruns the script for the
# new page and query (no reload). The tab counts the messages its websocket receives
# (COUNT_MESSAGES, before the app loads): the new page is drawn once the server has answered
# (a script run whose "running" state React may never paint when its messages come together),
# the page is drawn, and no message came for QUIET_MS (counted in the time: an overestimate).
COUNT_MESSAGES = """(() => {
  window.__dxqMessages = 0;
  window.__dxqLast = 0;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => {
        window.__dxqMessages += 1;
        window.__dxqLast = performance.now();
      });
    }
  };
})()"""
NAVIGATE = """(path) => {
  window.__dxqFrom = window.__dxqMessages;
  history.pushState({}, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}"""
QUIET_MS = 100
REACHED = f"""() => window.__dxqMessages > window.__dxqFrom
  && performance.now() - window.__dxqLast >= {QUIET_MS} && ({DRAWN})()"""
TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def streamlit_server(command: list[str], env: dict[str, str], log: Path) -> Iterator[str]:
    """Start `streamlit run …` (its port is in the command line); yield its URL once healthy."""
    port = next(a.split("=", 1)[1] for a in command if a.startswith("--server.port="))
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError(f"streamlit did not start: {log.read_text()[-2000:]}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def page_paths(state: Path) -> list[tuple[str, str]]:
    """(label, path?query) of every page of the demo: checks as the store last recorded them."""
    from monitor.config.loading import load_config
    from store import health
    from store.store import ResultStore

    env = {**os.environ, **demo_env(state)}
    config = load_config(demo_config(state), env)
    store = ResultStore.open(config.store)
    paths = [("overview", "")]
    checks: list[tuple[str, str]] = []
    try:
        for name in config.integrations:
            paths.append((f"integration {name}", "integration?" + _query(integration=name)))
            for check in health.latest_checks(store, name)["check"]:
                label = f"check {name} / {check}"
                checks.append((label, "check?" + _query(integration=name, check=check)))
    finally:
        store.dispose()
    return [*paths, *checks, ("alerts", "alerts"), ("suites", "suites"), ("runs", "runs")]


def _query(**params: str) -> str:
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


@dataclass(frozen=True)
class Draw:
    """One page drawn: wall seconds until fully drawn and painted (infinity if it was not
    within TIMEOUT_S), CPU seconds the browser and the servers spent meanwhile, what it drew."""

    wall: float
    cpu: float
    counts: dict[str, int]


def tree_cpu_s() -> float:
    """CPU seconds used so far by every living process this benchmark started, transitively
    (Chromium's processes, the Streamlit servers), with the children each has reaped. Whatever
    the machine's load, this is the work a page costs; wall time is what other sessions leave."""
    children: defaultdict[int, list[int]] = defaultdict(list)
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # state, ppid, …: see proc(5)
        children[int(fields[1])].append(int(entry.name))
        ticks[int(entry.name)] = sum(int(f) for f in fields[11:15])  # u, s, cu, cs time
    total, todo = 0, list(children[os.getpid()])
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo.extend(children[pid])
    return total / os.sysconf("SC_CLK_TCK")


def _drawn(page: Any, started: float, cpu: float, ready: str) -> Draw:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(ready, polling=50, timeout=TIMEOUT_S * 1000)
    except PlaywrightTimeout:
        if SHOTS.is_dir():  # what it showed instead
            page.screenshot(path=str(SHOTS / f"not-drawn-{_slug(page.url)}.png"), full_page=True)
        return Draw(float("inf"), tree_cpu_s() - cpu, dict(page.evaluate(COUNTS)))
    page.evaluate(PAINTED)
    took = time.perf_counter() - started
    return Draw(took, tree_cpu_s() - cpu, dict(page.evaluate(COUNTS)))


def draw_time(context: Any, url: str, shot: Path | None = None) -> Draw:
    """Open `url` in a new tab, as a link opened from elsewhere or a bookmark: the whole of
    Streamlit's JavaScript is evaluated again, Plotly's among it when the page has a chart."""
    page = context.new_page()
    try:
        cpu, started = tree_cpu_s(), time.perf_counter()
        page.goto(url)
        drawn = _drawn(page, started, cpu, DRAWN)
        if shot is not None:
            page.screenshot(path=str(shot), full_page=True)
        return drawn
    finally:
        page.close()


def navigate_time(page: Any, path: str) -> Draw:
    """Go to `path` inside the app already open in `page`, as its menu and page links do (the
    browser keeps the JavaScript it has evaluated; the server reruns the script)."""
    cpu, started = tree_cpu_s(), time.perf_counter()
    page.evaluate(NAVIGATE, path)
    return _drawn(page, started, cpu, REACHED)


@dataclass
class Row:
    label: str
    direct: list[Draw]
    navigated: list[Draw]

    def median(self, draws: list[Draw], field: str = "wall") -> float:
        return statistics.median(getattr(d, field) for d in draws) if draws else float("nan")

    def verdict(self, limit: float) -> str:
        draws = [*self.direct, *self.navigated]
        if any(d.counts.get("exceptions") for d in draws):
            return "EXCEPTION"
        medians = [self.median(self.direct)] + [self.median(self.navigated)] * bool(self.navigated)
        return "ok" if all(m < limit for m in medians) else "SLOW"


def measure(
    base: str, floor_url: str, paths: list[tuple[str, str]], repeat: int, limit: float, nav: bool
) -> int:
    """Draw every page `repeat` times opened in a new tab, and `repeat` times reached inside
    the app; print its row as soon as it is measured. 1 if any page's median is `limit`
    seconds or more either way, or a page shows an exception."""
    from playwright.sync_api import sync_playwright

    width = max(len(label) for label in [*(label for label, _ in paths), *FLOORS]) + 7
    failed: list[str] = []
    print(f"machine load (1, 5, 15 min) before: {_load()}", flush=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        floors = [Row(f"floor: {name}", [], []) for name in FLOORS]
        for url in (*(floor_url + query for query in FLOORS.values()), base):  # warm the cache
            draw_time(context, url)
        for _ in range(repeat):
            for row, query in zip(floors, FLOORS.values(), strict=True):
                row.direct.append(draw_time(context, floor_url + query))
        floor, chart_floor = (row.median(row.direct) for row in floors[:2])
        print(
            f"{'page':<{width}}  charts points  opened  (cpu)  x floor  x chart  reached"
            f"  (cpu)  verdict (< {limit:g} s both ways)"
        )
        for row in floors:
            print(_line(row, width, floor, chart_floor, limit), flush=True)
        tab = context.new_page()
        tab.add_init_script(COUNT_MESSAGES)
        if nav:
            tab.goto(base)
            tab.wait_for_function(DRAWN, polling=50, timeout=TIMEOUT_S * 1000)
        for label, path in paths:
            row = Row(label, [], [])
            for i in range(repeat):
                shot = SHOTS / f"{_slug(label)}.png" if SHOTS.is_dir() and i == 0 else None
                row.direct.append(draw_time(context, f"{base}/{path}", shot))
                if nav:
                    row.navigated.append(navigate_time(tab, f"/{path}"))
            if row.verdict(limit) != "ok":
                failed.append(label)
            print(_line(row, width, floor, chart_floor, limit), flush=True)
        browser.close()
    print(f"machine load (1, 5, 15 min) after: {_load()}")
    print(
        f"{len(paths)} pages, {len(failed)} over {limit:g} s or showing an exception; "
        + "floors: "
        + ", ".join(f"{r.label[7:]} {r.median(r.direct) * 1e3:.0f} ms" for r in floors)
        + (" (itself over the limit at this load)" if chart_floor >= limit else "")
    )
    return 1 if failed else 0


def _line(row: Row, width: int, floor: float, chart_floor: float, limit: float) -> str:
    counts = (row.direct or row.navigated)[-1].counts
    opened, reached = row.median(row.direct), row.median(row.navigated)
    nav = (
        f"{reached * 1000:7.0f}  {row.median(row.navigated, 'cpu') * 1000:5.0f}"
        if row.navigated
        else f"{'—':>7}  {'':5}"
    )
    return (
        f"{row.label:<{width}}  {counts.get('charts', 0):6d} {counts.get('points', 0):6d}"
        f"  {opened * 1000:6.0f}  {row.median(row.direct, 'cpu') * 1000:5.0f}"
        f"  {opened / floor:6.1f}x  {opened / chart_floor:6.1f}x  {nav}  {row.verdict(limit)}"
    )


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in label)[:90].strip("-")


def _load() -> str:
    return ", ".join(f"{v:.1f}" for v in os.getloadavg()) + f" on {os.cpu_count()} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, help="a built demo state directory to reuse")
    parser.add_argument("--repeat", type=int, default=3, help="draws per page (median counts)")
    parser.add_argument("--limit", type=float, default=3.0, help="seconds per page")
    parser.add_argument("--only", help="only pages whose label contains this text")
    parser.add_argument(
        "--no-nav", action="store_true", help="only open each page in a new tab, not in-app"
    )
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium (or `make browser`)")
        return 2
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dxq-pages-")))
        state = args.state
        if state is None or not (state / "results.db").exists():
            state = state or tmp / "state"
            print(f"building the demo (30 days) into {state} …", flush=True)
            build_demo(days=30, state_dir=state, quiet=True)
        env = {**os.environ, **demo_env(state)}
        floor = tmp / "floor.py"
        floor.write_text(FLOOR_APP)
        floor_command = [
            str(floor) if arg.endswith(".py") else arg
            for arg in dashboard_command(free_port(), "127.0.0.1")
        ]
        base = stack.enter_context(
            streamlit_server(dashboard_command(free_port(), "127.0.0.1"), env, tmp / "dash.log")
        )
        floor_url = stack.enter_context(streamlit_server(floor_command, env, tmp / "floor.log"))
        paths = page_paths(state)
        if args.only:
            paths = [(label, path) for label, path in paths if args.only in label]
        return measure(base, floor_url, paths, args.repeat, args.limit, not args.no_nav)


if __name__ == "__main__":
    sys.exit(main())
