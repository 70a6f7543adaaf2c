"""The dashboard in headless Chromium: every page loads without an exception element or a
console error, filters live in the URL, and the on-call path works by clicking:
Overview -> failing integration -> check -> acknowledge. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

# generous: on a loaded 2-core machine a cold page run can take tens of seconds
WAIT_MS = 90_000

# Opening a deep link (/check?…) makes Streamlit's frontend probe /check/_stcore/health and
# /check/_stcore/host-config before it finds the server root: two harmless 404s it recovers from.
_PROBES = ("/_stcore/health", "/_stcore/host-config")


def _wait(page: Any) -> None:
    from playwright.sync_api import expect

    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=WAIT_MS)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=WAIT_MS)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=WAIT_MS)


def _open(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    errors: list[str] = []

    def console(msg: Any) -> None:
        where = str(msg.location.get("url", ""))
        if msg.type == "error" and not (where.endswith(_PROBES) and "404" in msg.text):
            errors.append(f"{msg.text} ({where})")

    page.on("console", console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    _wait(page)
    return page, errors


@pytest.mark.parametrize(
    ("name", "path", "heading"),
    [
        ("overview", "", "Data-exchange health"),
        ("integration", "integration?integration=orders", "orders"),
        ("customers-360", "integration?integration=customers", "customers"),  # targets: matrix
        (
            "check",
            "check?integration=orders&check=reconcile",
            "records agree between shop.orders and erp.sales_orders",  # plain name
        ),
        ("alerts", "alerts", "Alerts"),
        ("runs", "runs", "Runs"),
        (
            "stock-freshness",
            "check?integration=stock-levels&check=freshness",
            "data is recent enough",
        ),
        ("suites", "suites", "Suites"),
    ],
)
def test_every_page_loads_cleanly(
    browser: Any, dashboard_url: str, artifacts: Path, name: str, path: str, heading: str
) -> None:
    from playwright.sync_api import expect

    page, errors = _open(browser, f"{dashboard_url}/{path}")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    page.wait_for_timeout(500)  # let Plotly finish drawing before the screenshot
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    assert not errors, errors
    page.close()


def test_owner_filter_lives_in_the_url(browser: Any, dashboard_url: str) -> None:
    page, errors = _open(browser, f"{dashboard_url}/?owner=finance")
    body = page.inner_text("body")
    assert "orders" in body and "payments" in body
    assert "Open product-catalog" not in body
    assert not errors, errors
    page.close()


def test_click_through_to_acknowledge(browser: Any, dashboard_url: str, artifacts: Path) -> None:
    from playwright.sync_api import expect

    page, errors = _open(browser, dashboard_url)
    # A click starts a rerun that may not have begun when _wait looks: wait for its outcome.
    page.get_by_role("link", name="Open product-catalog").click()
    expect(page).to_have_url(re.compile("integration=product-catalog"), timeout=WAIT_MS)
    _wait(page)
    heading = page.get_by_role("heading", name="product-catalog", exact=True)
    expect(heading).to_be_visible(timeout=WAIT_MS)
    # The Integration page names checks in plain words (dashboard/findings.check_words).
    page.get_by_role("link", name=re.compile(r"^Investigate: records agree between")).click()
    expect(page).to_have_url(re.compile("check=reconcile"), timeout=WAIT_MS)
    _wait(page)
    heading = page.get_by_role("heading", name=re.compile(r"^records agree between pim"))
    expect(heading).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Firing").first).to_be_visible(timeout=WAIT_MS)
    name = page.get_by_role("textbox", name="Your name (recorded when you act)")
    name.fill("Dana On-Call")
    name.press("Enter")
    _wait(page)
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    _wait(page)
    acknowledged = page.get_by_text("Acknowledged by Dana On-Call").first
    expect(acknowledged).to_be_visible(timeout=WAIT_MS)
    page.screenshot(path=str(artifacts / "check-acknowledged.png"), full_page=True)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert not errors, errors
    page.close()
