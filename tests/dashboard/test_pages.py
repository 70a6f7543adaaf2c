"""Integration, Check, Alerts and Runs pages through AppTest, on a copy of the demo store;
inputs are taken from what the Overview rendered."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from dashboard.format import literal
from store.schema import alert_events, alerts, latest_results, run_requests, silences
from tests.dashboard.support import APP, open_page, text_of

pytestmark = pytest.mark.usefixtures("demo_dashboard")


@pytest.fixture
def failing(demo_dashboard: str) -> pd.DataFrame:
    """The failing checks of the demo copy, by their stored names."""
    engine = sa.create_engine(demo_dashboard)
    with engine.connect() as c:
        frame = pd.DataFrame(
            c.execute(sa.select(latest_results).where(latest_results.c.outcome != "passed"))
            .mappings()
            .all()
        )
    engine.dispose()
    assert not frame.empty
    return frame


def _links(at: AppTest) -> list[str]:
    return [link.proto.query_string for link in at.get("page_link")]


def test_integration_deep_link_shows_trends_checks_and_mismatched_keys(
    failing: pd.DataFrame,
) -> None:
    name = failing[failing["check"] == "reconcile"].iloc[0]["integration"]
    at = open_page("integration", integration=name)
    assert at.title[0].value == name
    assert at.selectbox[0].value == name
    charts = at.get("plotly_chart")
    assert len(charts) >= 3  # mismatch trend, freshness/row counts, heatmap
    specs = " ".join(c.proto.spec for c in charts)
    assert "Mismatch rate" in specs and "Pass rate per check and day" in specs
    assert "limit" in specs  # the limit line's annotation
    checks, runs, keys = (d.value for d in at.dataframe[:3])
    assert set(failing[failing["integration"] == name]["check"]) <= set(checks["check"])
    assert not runs.empty
    assert not keys.empty and keys["wrong for"].str.len().gt(0).all()
    assert any("check=reconcile" in q for q in _links(at))


def test_unknown_integration_in_the_link_is_an_error_and_falls_back() -> None:
    at = open_page("integration", integration="no-such-flow")
    assert "no-such-flow" in at.error[0].value
    assert at.title[0].value == at.selectbox[0].value


def test_check_page_of_a_failing_check_explains_and_reproduces(failing: pd.DataFrame) -> None:
    row = failing[failing["check"] == "reconcile"].iloc[0]
    at = open_page("check", integration=row["integration"], check="reconcile")
    assert at.title[0].value == "reconcile"
    text = text_of(at)
    assert "agree field by field" in text
    assert literal(row["observed"]) in text  # escaped: shown as text
    assert at.code and "SELECT" in at.code[0].value.upper()
    frames = [d.value for d in at.dataframe]
    assert any(any(str(c).startswith("key ") for c in f.columns) for f in frames)
    assert at.get("plotly_chart")  # the history strip


def test_acknowledging_a_firing_alert_records_who(demo_dashboard: str) -> None:
    engine = sa.create_engine(demo_dashboard)
    with engine.connect() as c:
        firing = c.execute(
            sa.select(alerts.c.id, alerts.c.integration, alerts.c.check)
            .where(alerts.c.state == "firing", alerts.c.check.is_not(None))
            .limit(1)
        ).one()
    at = open_page("check", integration=firing.integration, check=firing.check)
    assert "Firing" in text_of(at)
    at.text_input(key="dxq_actor").input("Dana On-Call")
    buttons = [b for b in at.button if b.label == "Acknowledge"]
    assert buttons, [b.label for b in at.button]
    buttons[0].click().run()
    assert not at.exception
    assert any("Acknowledged by Dana On-Call" in s.value for s in at.success)
    assert "Acknowledged" in text_of(at)
    with engine.connect() as c:
        state, who = c.execute(
            sa.select(alerts.c.state, alerts.c.acknowledged_by).where(alerts.c.id == firing.id)
        ).one()
        actors = (
            c.execute(sa.select(alert_events.c.actor).where(alert_events.c.alert_id == firing.id))
            .scalars()
            .all()
        )
    assert (state, who) == ("acknowledged", "Dana On-Call")
    assert "Dana On-Call" in actors
    engine.dispose()


def test_check_page_unknown_check_is_an_error() -> None:
    at = open_page("check", integration="orders", check="nope")
    assert "nope" in at.error[0].value


def test_signed_in_stranger_cannot_acknowledge(failing: pd.DataFrame) -> None:
    row = failing[failing["integration"] == "product-catalog"].iloc[0]
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    at.user = {"is_logged_in": True, "email": "finance@example.com"}
    at.query_params["integration"] = row["integration"]
    at.query_params["check"] = row["check"]
    at.switch_page("dashboard/pages/check.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [b for b in at.button if b.label == "Acknowledge"]
    assert "Signed in as finance@example.com" in text_of(at)


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


def test_run_now_queues_a_request_and_shows_it(demo_dashboard: str) -> None:
    at = open_page("runs", actor="Dana On-Call")
    assert any("No scheduler" in w.value for w in at.warning) or "Scheduler last" in text_of(at)
    runs = at.dataframe[0].value
    assert not runs.empty and runs["integration"].nunique() > 1
    at.selectbox(key="runs_integration").select("orders").run()
    assert set(at.dataframe[0].value["integration"]) == {"orders"}
    next(b for b in at.button if "Run orders now" in b.label).click().run()
    assert not at.exception
    assert any("Queued request" in s.value for s in at.success)
    assert "queued" in " ".join(m.value for m in at.markdown)
    engine = sa.create_engine(demo_dashboard)
    with engine.connect() as c:
        assert c.execute(
            sa.select(run_requests.c.status).where(run_requests.c.integration == "orders")
        ).scalars().all() == ["queued"]
    engine.dispose()


def test_runs_status_filter_with_no_match_says_so() -> None:
    at = open_page("runs")
    at.multiselect(key="runs_status").select("Running").run()
    assert any("No run matches" in i.value for i in at.info)


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
