"""The dashboard review findings: access once sign-in is configured, who is recorded, the
freshness side, pending alerts, SQL alert counts, the sparkline and where to reproduce."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from dashboard import charts
from dashboard.check import flat_row
from monitor import cli
from store import reads
from store.schema import alerts
from store.store import ResultStore
from tests.dashboard.conftest import APP, open_page, text_of

T0 = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)


def _signed_out(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    at.user = {"is_logged_in": False}
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page(f"dashboard/pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.usefixtures("demo_dashboard")
@pytest.mark.parametrize(
    ("page", "params"),
    [
        ("overview", {}),
        ("runs", {"runs_integration": "orders"}),
        ("check", {"integration": "orders", "check": "reconcile"}),
        ("alerts", {}),
        ("suites", {}),
    ],
)
def test_a_visitor_not_signed_in_sees_only_the_sign_in_prompt(
    page: str, params: dict[str, str]
) -> None:
    at = _signed_out(page, **params)
    assert [t.value for t in at.title] == ["Sign in"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.code and not at.get("plotly_chart")


@pytest.mark.usefixtures("demo_dashboard")
def test_run_now_needs_the_responder_role() -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    at.user = {"is_logged_in": True, "email": "stranger@example.com"}
    at.query_params["runs_integration"] = "orders"
    at.switch_page("dashboard/pages/runs.py").run()
    assert not at.exception
    assert not [b for b in at.button if "now" in b.label]
    assert "Only owners, on-call and maintenance may run" in text_of(at)


def test_dashboard_on_a_public_address_without_sign_in_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from demo.command import DEMO_CONFIG
    from monitor.commands import serving

    monkeypatch.setenv("HOME", str(tmp_path))
    served: list[str] = []
    monkeypatch.setattr(serving, "serve_dashboard", lambda *a, **k: served.append(k["address"]))
    args = ["dashboard", "-c", str(DEMO_CONFIG), "--address", "0.0.0.0"]
    assert cli.main(args) == cli.USAGE_ERROR
    assert "refusing to serve the dashboard on 0.0.0.0" in capsys.readouterr().err
    assert served == []
    cli.main(["dashboard", "-c", str(DEMO_CONFIG), "--address", "::1"])  # loopback is fine
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text('[auth]\nredirect_uri = "https://dxq.example.com/oauth2callback"\n')
    cli.main(args)
    assert served == ["::1", "0.0.0.0"]


@pytest.mark.usefixtures("demo_dashboard")
def test_an_emptied_name_is_refused_not_recorded_as_the_os_user(demo_dashboard: str) -> None:
    engine = sa.create_engine(demo_dashboard)
    with engine.connect() as c:
        firing = c.execute(
            sa.select(alerts.c.id, alerts.c.integration, alerts.c.check)
            .where(alerts.c.state == "firing", alerts.c.check.is_not(None))
            .limit(1)
        ).one()
    at = open_page("check", integration=firing.integration, check=firing.check)
    field = at.text_input(key="dxq_actor")
    assert field.value == ""  # the OS user is only a placeholder hint
    field.input("someone").run()
    at.text_input(key="dxq_actor").input("").run()
    next(b for b in at.button if b.label == "Acknowledge").click().run()
    assert any("Say who you are" in e.value for e in at.error), [e.value for e in at.error]
    with engine.connect() as c:
        state = c.execute(sa.select(alerts.c.state).where(alerts.c.id == firing.id)).scalar_one()
    engine.dispose()
    assert state == "firing"


@pytest.mark.usefixtures("demo_dashboard")
def test_source_side_freshness_names_the_source_system() -> None:
    at = open_page("check", integration="stock-levels", check="freshness")
    text = text_of(at)
    assert "Is the newest record on the wms side recent enough?" in text, text


@pytest.mark.usefixtures("demo_dashboard")
def test_reconcile_reproduce_query_says_where_to_run_it() -> None:
    at = open_page("check", integration="orders", check="reconcile")
    assert at.code
    assert "Run on **erp (target)**" in text_of(at)


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


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[ResultStore]:
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = ResultStore.open(url)
    with opened.engine.begin() as c:
        c.execute(alerts.delete())
    yield opened
    opened.dispose()


def test_alert_stats_count_and_average_in_sql(store: ResultStore) -> None:
    base = {
        "kind": "data_quality",
        "integration": "orders",
        "severity": "error",
        "labels": {},
        "acknowledged_at": None,
        "resolved_at": None,
    }
    rows = [
        {**base, "fingerprint": "a", "state": "firing", "opened_at": T0},
        {
            **base,
            "fingerprint": "b",
            "state": "acknowledged",
            "opened_at": T0,
            "acknowledged_at": T0 + timedelta(seconds=90),
        },
        {
            **base,
            "fingerprint": "c",
            "state": "resolved",
            "opened_at": T0,
            "acknowledged_at": T0 + timedelta(seconds=30),
            "resolved_at": T0 + timedelta(minutes=10, microseconds=500_000),
        },
        {**base, "fingerprint": "d", "state": "pending", "opened_at": T0},
    ]
    with store.engine.begin() as c:
        c.execute(alerts.insert(), rows)
    stats = reads.alert_stats(store)
    assert (stats["firing"], stats["acknowledged"], stats["pending"]) == (1, 1, 1)
    assert stats["to_ack"] == pytest.approx(60.0, abs=0.01)
    assert stats["to_resolve"] == pytest.approx(600.5, abs=0.01)
    assert len(reads.open_alert_labels(store)) == 3


def test_sparkline_fits_its_range_to_the_data() -> None:
    days = pd.DataFrame({"day": pd.date_range("2026-11-01", periods=5), "pass_rate": [1.0] * 5})
    low, high = charts.sparkline(days).layout.yaxis.range
    assert 99 <= low < 100 < high <= 101  # a flat 100% line sits mid-box, not at the top
    days["pass_rate"] = [0.9, 0.95, 1.0, 0.8, 0.99]
    low, high = charts.sparkline(days).layout.yaxis.range
    assert 75 < low < 80 and 100 < high < 105


@pytest.mark.usefixtures("demo_dashboard")
def test_overview_cards_show_latest_and_lowest_pass_rate() -> None:
    text = text_of(open_page())
    assert "passing: latest" in text and "lowest" in text


def test_a_missing_record_shows_only_its_source_values() -> None:
    row = {"key": {"sku": "A1"}, "kind": "missing_in_target", "fields": {"price": [9.5, None]}}
    assert flat_row(row) == {"key sku": "A1", "kind": "missing_in_target", "price (source)": 9.5}
    changed = {**row, "kind": "changed", "fields": {"price": [9.5, 9.0]}}
    assert flat_row(changed)["price (target)"] == 9.0
