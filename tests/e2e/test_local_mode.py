"""A dashboard served in local mode (no sign-in) answers only to localhost, 127.0.0.1 and
[::1]: a page of another site whose name resolves to this machine (DNS rebinding) gets a
refusal and no data, no name field and no button. Real requests from Chromium, whose host
resolver maps the foreign name to 127.0.0.1 as a rebinding DNS server would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from dashboard.access import local_host
from tests.e2e.conftest import CHROMIUM

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

WAIT_MS = 90_000
FOREIGN = "rebind.example"


@pytest.fixture(scope="module")
def rebinding_browser(browser: Any) -> Iterator[Any]:
    """A second Chromium from the session's Playwright (one Playwright per process), whose
    host resolver maps FOREIGN to 127.0.0.1."""
    launched = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--host-resolver-rules=MAP {FOREIGN} 127.0.0.1",
        ],
    )
    yield launched
    launched.close()


def _load(browser: Any, url: str) -> Any:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(url)
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=WAIT_MS)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=WAIT_MS)
    return page


@pytest.mark.parametrize("path", ["", "check?integration=orders&check=reconcile"])
def test_a_foreign_host_name_gets_a_refusal_and_no_data(
    rebinding_browser: Any, dashboard_url: str, path: str
) -> None:
    from playwright.sync_api import expect

    port = urlsplit(dashboard_url).port
    page = _load(rebinding_browser, f"http://{FOREIGN}:{port}/{path}")
    expect(page.get_by_text("answers only at localhost").first).to_be_visible(timeout=WAIT_MS)
    body = page.inner_text("body")
    assert "Data-exchange health" not in body and "orders" not in body, body
    assert page.get_by_role("textbox").count() == 0
    assert page.get_by_role("button", name="Acknowledge").count() == 0
    page.close()


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1"])
def test_the_local_names_are_served(rebinding_browser: Any, dashboard_url: str, name: str) -> None:
    from playwright.sync_api import expect

    port = urlsplit(dashboard_url).port
    page = _load(rebinding_browser, f"http://{name}:{port}/")
    heading = page.get_by_role("heading", name="Data-exchange health", exact=True)
    expect(heading).to_be_visible(timeout=WAIT_MS)
    assert "answers only at localhost" not in page.inner_text("body")
    page.close()


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("localhost", True),
        ("localhost:8501", True),
        ("LOCALHOST.:8501", True),
        ("127.0.0.1:8501", True),
        ("[::1]:8501", True),
        ("rebind.example:8501", False),
        ("127.0.0.1.rebind.example", False),
        ("localhost@rebind.example", False),
        ("[::2]:8501", False),
        ("", False),
        ("localhost:notaport]", False),
    ],
)
def test_local_host_names(host: str, local: bool) -> None:
    assert local_host(host) is local
