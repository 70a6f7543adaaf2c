"""Run now on the Check and Integration pages, where the on-call engineer is: it queues the
same run request the Runs page does (monitor.actions.run_now), as the person named."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from store.schema import run_requests
from tests.dashboard.support import open_page, open_signed_in, text_of

pytestmark = pytest.mark.usefixtures("demo_dashboard")

PAGES = [
    ("check", {"integration": "orders", "check": "reconcile"}),
    ("integration", {"integration": "orders"}),
]


def _requests(url: str) -> list[tuple[str, str, str]]:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        rows = c.execute(
            sa.select(
                run_requests.c.integration, run_requests.c.requested_by, run_requests.c.status
            )
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


@pytest.mark.parametrize(("page", "params"), PAGES)
def test_run_now_queues_a_request_as_the_named_person(
    demo_dashboard: str, page: str, params: dict[str, str]
) -> None:
    at = open_page(page, actor="Dana On-Call", **params)
    next(b for b in at.button if b.label.endswith("Run orders now")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Queued request #" in s.value for s in at.success), [e.value for e in at.error]
    assert _requests(demo_dashboard) == [("orders", "Dana On-Call", "queued")]
    links = [link.proto.query_string for link in at.get("page_link")]
    assert "runs_integration=orders" in links


@pytest.mark.parametrize(("page", "params"), PAGES)
def test_run_now_without_a_name_queues_nothing(
    demo_dashboard: str, page: str, params: dict[str, str]
) -> None:
    at = open_page(page, actor="\u200b", **params)
    next(b for b in at.button if b.label.endswith("Run orders now")).click().run()
    assert any("Say who you are before running" in e.value for e in at.error)
    assert _requests(demo_dashboard) == []


@pytest.mark.parametrize(("page", "params"), PAGES)
def test_a_signed_in_stranger_gets_no_run_button(page: str, params: dict[str, str]) -> None:
    at = open_signed_in(page, {"is_logged_in": True, "email": "stranger@example.com"}, **params)
    assert not [b for b in at.button if "now" in b.label]
    assert "Only owners, on-call and maintenance may run" in text_of(at)
