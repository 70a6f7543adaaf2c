"""The Alerts page's own logic through AppTest on a copy of the demo store: the route tester
calls the routing explanation directly (same grammar and lines as `dxq alerts route`); the
delivery tab counts only what was really sent and shows why waiting notifications wait."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from alerts.matcher import split_matchers
from dashboard.format import literal
from monitor.commands.alerts import explain_labels
from monitor.config.loading import load_config
from monitor.run.alert_context import alert_context
from store.schema import notifications, silences
from tests.dashboard.support import open_page

pytestmark = pytest.mark.usefixtures("demo_dashboard")


def _explained(text: str) -> list[str]:
    config = load_config(Path(os.environ["DXQ_CONFIG"]), os.environ)
    return explain_labels(alert_context(config), split_matchers(text)).lines


def test_route_tester_reads_quotes_like_the_monitor_file() -> None:
    text = "integration=orders check='row count' severity=critical"
    at = open_page("alerts")
    at.text_input(key="route_labels").input(text).run()
    assert not at.exception and not at.error
    shown = at.code[0].value.splitlines()
    assert 'labels: integration=orders, check="row count", severity=critical' in shown[0]
    assert shown == _explained(text)


def test_route_tester_refuses_conditions_where_values_belong() -> None:
    at = open_page("alerts")
    at.text_input(key="route_labels").input("check=~'fresh.*'").run()
    assert [e.value for e in at.error] == [
        literal("\"check=~'fresh.*'\": an alert has values, not conditions; write label=value")
    ]
    assert not at.code


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_delivered_counts_only_what_was_really_sent(demo_dashboard: str) -> None:
    """The demo's simulated history is recorded, never sent: it is counted apart."""
    n = notifications.c
    engine = sa.create_engine(demo_dashboard)
    with engine.connect() as connection:
        sent = connection.execute(
            sa.select(sa.func.count()).where(n.status == "sent", n.attempts > 0)
        ).scalar_one()
        recorded = connection.execute(
            sa.select(sa.func.count()).where(n.status == "sent", n.attempts == 0)
        ).scalar_one()
    engine.dispose()
    assert recorded > 0
    shown = _metrics(open_page("alerts"))
    assert shown["Delivered"] == str(sent)
    assert shown["Recorded (demo history)"] == str(recorded)


def test_pending_notifications_show_their_last_error(demo_dashboard: str) -> None:
    error = "smtp 127.0.0.1:25: ConnectionRefusedError: [Errno 111] Connection refused"
    engine = sa.create_engine(demo_dashboard)
    n = notifications.c
    with engine.begin() as connection:
        dead = connection.execute(sa.select(sa.func.count()).where(n.status == "dead"))
        assert dead.scalar_one() == 0  # else the dead-letter table would be shown instead
        first = connection.execute(sa.select(sa.func.min(n.id))).scalar_one()
        connection.execute(
            notifications.update()
            .where(n.id == first)
            .values(
                status="pending",
                attempts=3,
                last_error=error,
                next_attempt_at=datetime.now(UTC) + timedelta(minutes=5),
            )
        )
    engine.dispose()
    at = open_page("alerts")
    table = next(d.value for d in at.dataframe if "retrying" in d.value.columns)
    assert table["retrying"].tolist() == [f"retrying: {error}"]
    assert table["id"].tolist() == [first]
    captions = [c.value for c in at.caption]
    assert "No notification has failed for good." not in captions
    assert "No notification has failed for good yet." in captions
    assert any("being retried" in w.value for w in at.warning)


def test_a_silence_is_shown_as_typed(demo_dashboard: str) -> None:
    engine = sa.create_engine(demo_dashboard)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            silences.insert().values(
                matchers=["check='[Click](http://evil.example)'"],
                starts_at=now - timedelta(minutes=1),
                ends_at=now + timedelta(hours=1),
                author="**Mallory**",
                comment="![t](http://img.example/x.png)",
                created_at=now,
                created_by="mallory",
            )
        )
    engine.dispose()
    at = open_page("alerts")
    shown = [m.value for m in at.markdown if "notifications_off" in m.value]
    assert len(shown) == 1
    assert "[Click](http" not in shown[0] and "![t](http" not in shown[0]
    assert (
        literal("**Mallory**") in shown[0] and literal("![t](http://img.example/x.png)") in shown[0]
    )
