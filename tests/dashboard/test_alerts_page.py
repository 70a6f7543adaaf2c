"""The Alerts page through AppTest on a copy of the demo store: open alerts with owners and
timings, pending alerts and counts made in SQL over every alert, the route tester, silences
and dead letters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from store.schema import alert_events, alerts, silences
from tests.dashboard.support import open_page, text_of

pytestmark = pytest.mark.usefixtures("demo_dashboard")

T0 = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)


@pytest.mark.usefixtures("demo_dashboard")
def test_alerts_page_offers_pending_and_counts_every_alert_in_sql(demo_dashboard: str) -> None:
    engine = sa.create_engine(demo_dashboard)
    with engine.begin() as c:
        before = c.execute(
            sa.select(sa.func.count()).where(alerts.c.state == "firing")
        ).scalar_one()
        rows = [
            {
                "fingerprint": f"bulk-{i}",
                "kind": "data_quality",
                "integration": "orders",
                "check": f"bulk-{i}",
                "severity": "warning",
                "state": "firing",
                "labels": {"integration": "orders"},
                "summary": "bulk",
                "opened_at": T0 - timedelta(days=400),  # older than the newest 500
            }
            for i in range(600)
        ]
        c.execute(alerts.insert(), rows)
        c.execute(alerts.insert(), [{**rows[0], "fingerprint": "p", "state": "pending"}])
    engine.dispose()
    at = open_page("alerts")
    labels = {m.label: m.value for m in at.metric}
    assert int(labels["Firing"]) == before + 600
    assert int(labels["Pending"]) >= 1
    assert "pending" in at.multiselect(key="state").options
    assert "waits for" in text_of(at)
    at.multiselect(key="state").set_value(["pending"]).run()
    assert set(at.dataframe[0].value["state"]) == {"pending"}


def _links(at: AppTest) -> list[str]:
    return [link.proto.query_string for link in at.get("page_link")]


def test_alerts_page_lists_open_alerts_with_owner_and_timings() -> None:
    at = open_page("alerts")
    labels = {m.label: m.value for m in at.metric}
    assert int(labels["Firing"]) >= 1
    table = at.dataframe[0].value
    assert {"owner", "state", "to_ack", "to_resolve"} <= set(table.columns)
    assert table["state"].str.startswith(("firing", "acknowledged")).all()
    assert any("check=" in q for q in _links(at))


def test_route_tester_names_receivers_and_rejects_unknown_labels() -> None:
    at = open_page("alerts")
    at.text_input(key="route_labels").input("integration=orders severity=critical").run()
    assert not at.exception
    assert "integration=orders" in at.code[0].value
    at.text_input(key="route_labels").input("colour=blue").run()
    assert "unknown label" in at.error[0].value


def test_silence_needs_a_comment_then_silences_and_expires(demo_dashboard: str) -> None:
    at = open_page("alerts", actor="Dana On-Call")
    form_button = next(b for b in at.button if b.label == "Create silence")
    at.selectbox(key="silence_integration").select("orders")
    form_button.click().run()
    assert any("comment" in e.value for e in at.error), [e.value for e in at.error]
    at.text_input(key="silence_comment").input("planned ERP maintenance")
    next(b for b in at.button if b.label == "Create silence").click().run()
    assert any("Silence #" in s.value for s in at.success), [e.value for e in at.error]
    at.run()
    assert "planned ERP maintenance" in text_of(at)
    next(b for b in at.button if b.label == "Expire").click().run()
    assert any("ended by Dana On-Call" in s.value for s in at.success)
    at.run()
    assert "planned ERP maintenance" not in text_of(at)  # no longer listed as in force
    engine = sa.create_engine(demo_dashboard)
    with engine.connect() as c:
        row = c.execute(sa.select(silences.c.created_by, silences.c.expired_by)).one()
    engine.dispose()
    assert tuple(row) == ("Dana On-Call", "Dana On-Call")


def test_a_dead_letter_can_be_sent_again(demo_dashboard: str) -> None:
    from store.schema import notifications

    engine = sa.create_engine(demo_dashboard)
    with engine.begin() as c:
        dead_id = c.execute(sa.select(sa.func.min(notifications.c.id))).scalar_one()
        c.execute(
            notifications.update()
            .where(notifications.c.id == dead_id)
            .values(status="dead", attempts=6, last_error="HTTP 400 (permanent)")
        )
    at = open_page("alerts", actor="Dana On-Call")
    assert {m.label: m.value for m in at.metric}["Dead letters"] == "1"
    assert at.selectbox(key="retry_id").value == dead_id
    next(b for b in at.button if b.label == "Retry delivery").click().run()
    assert any("queued again" in s.value for s in at.success), [e.value for e in at.error]
    with engine.connect() as c:
        status, attempts = c.execute(
            sa.select(notifications.c.status, notifications.c.attempts).where(
                notifications.c.id == dead_id
            )
        ).one()
        actors = (
            c.execute(
                sa.select(alert_events.c.actor).where(alert_events.c.event == "delivery_retried")
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert (status, attempts) == ("pending", 0)
    assert len(actors) == 1 and actors[0]
