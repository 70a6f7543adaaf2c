"""The dashboard in headless Chromium: pages load without an exception element or a console
error, and show the demo's integrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def _open(browser: Any, url: str) -> tuple[Any, list[str]]:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=30_000)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=30_000)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=30_000)
    return page, errors


def test_overview_loads_with_every_integration(browser: Any, dashboard_url: str, artifacts: Path) -> None:
    from playwright.sync_api import expect

    page, errors = _open(browser, dashboard_url)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("heading", name="Data-exchange health")).to_be_visible()
    body = page.inner_text("body")
    for name in ("product-catalog", "stock-levels", "orders", "customers", "payments"):
        assert name in body
    assert "Failing" in body
    page.screenshot(path=str(artifacts / "overview.png"), full_page=True)
    assert not errors, errors
    page.close()
