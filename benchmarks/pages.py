"""Benchmark: every page of the demo, fully drawn in headless Chromium.

    .venv/bin/python benchmarks/pages.py [--state DIR] [--repeat 3] [--limit 3.0] [--only TEXT]

Opens the Overview, each integration's page, each check of each integration, Alerts, Suites and
Runs, and times each from `goto` until the page is fully drawn: the websocket is connected, the
script has stopped running, no skeleton is left and every Plotly chart has drawn its SVG (then
two animation frames, so the browser has painted it). The lower bound, measured the same way in
the same run, is a blank Streamlit page (one heading) served by its own `streamlit run`.

The demo is built into a temporary state directory (30 days), or read from `--state DIR` (a
directory `dxq demo` or `build_demo(state_dir=DIR)` filled). The dashboard runs on a free
loopback port; nothing else is touched. Exits 1 if any page's median is over `--limit` seconds.
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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
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
BLANK_APP = 'import streamlit as st\n\nst.title("Blank page")\n'

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
  return true;
}"""
PAINTED = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
COUNTS = """() => ({
  charts: document.querySelectorAll('[data-testid="stPlotlyChart"]').length,
  ticks: document.querySelectorAll('.js-plotly-plot g.xtick, .js-plotly-plot g.ytick').length,
  points: document.querySelectorAll('.js-plotly-plot path.point').length,
  exceptions: document.querySelectorAll('[data-testid="stException"]').length,
})"""
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


def draw_time(context: Any, url: str) -> tuple[float, dict[str, int]]:
    """Seconds from `goto` until the page is fully drawn and painted (infinity if it was not
    within TIMEOUT_S), and what it drew."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = context.new_page()
    try:
        started = time.perf_counter()
        page.goto(url)
        try:
            page.wait_for_function(DRAWN, polling=50, timeout=TIMEOUT_S * 1000)
        except PlaywrightTimeout:
            return float("inf"), dict(page.evaluate(COUNTS))
        page.evaluate(PAINTED)
        took = time.perf_counter() - started
        return took, dict(page.evaluate(COUNTS))
    finally:
        page.close()


def measure(
    base: str, floor_url: str, paths: list[tuple[str, str]], repeat: int, limit: float
) -> int:
    """Draw every page `repeat` times, printing its row as soon as it is measured; 1 if any
    page's median is `limit` seconds or more, or a page shows an exception."""
    from playwright.sync_api import sync_playwright

    width = max(len(label) for label, _ in paths)
    over = 0
    print(f"machine load (1, 5, 15 min) before: {_load()}", flush=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        draw_time(context, floor_url)  # warm the browser's cache of Streamlit's bundle
        draw_time(context, base)
        floor = statistics.median(draw_time(context, floor_url)[0] for _ in range(repeat))
        print(f"lower bound (blank Streamlit page): {floor:.2f} s (median of {repeat})")
        print(
            f"{'page':<{width}}  charts  ticks  points   best  median  worst  ratio  "
            f"(< {limit:g} s)",
            flush=True,
        )
        for label, path in paths:
            times: list[float] = []
            counts: dict[str, int] = {}
            for _ in range(repeat):
                took, counts = draw_time(context, f"{base}/{path}")
                times.append(took)
            median = statistics.median(times)
            verdict = "ok" if median < limit else "SLOW"
            if counts.get("exceptions"):
                verdict = "EXCEPTION"
            over += verdict != "ok"
            print(
                f"{label:<{width}}  {counts.get('charts', 0):6d}  {counts.get('ticks', 0):5d}  "
                f"{counts.get('points', 0):6d}  {min(times):5.2f}  {median:6.2f}  "
                f"{max(times):5.2f}  {median / floor:4.1f}x  {verdict}",
                flush=True,
            )
        browser.close()
    print(f"machine load (1, 5, 15 min) after: {_load()}")
    print(f"{len(paths)} pages, {over} over {limit:g} s or showing an exception")
    return 1 if over else 0


def _load() -> str:
    return ", ".join(f"{v:.1f}" for v in os.getloadavg()) + f" on {os.cpu_count()} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, help="a built demo state directory to reuse")
    parser.add_argument("--repeat", type=int, default=3, help="draws per page (median counts)")
    parser.add_argument("--limit", type=float, default=3.0, help="seconds per page")
    parser.add_argument("--only", help="only pages whose label contains this text")
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
        blank = tmp / "blank.py"
        blank.write_text(BLANK_APP)
        floor_command = [
            str(blank) if arg.endswith(".py") else arg
            for arg in dashboard_command(free_port(), "127.0.0.1")
        ]
        base = stack.enter_context(
            streamlit_server(dashboard_command(free_port(), "127.0.0.1"), env, tmp / "dash.log")
        )
        floor_url = stack.enter_context(streamlit_server(floor_command, env, tmp / "blank.log"))
        paths = page_paths(state)
        if args.only:
            paths = [(label, path) for label, path in paths if args.only in label]
        return measure(base, floor_url, paths, args.repeat, args.limit)


if __name__ == "__main__":
    sys.exit(main())
