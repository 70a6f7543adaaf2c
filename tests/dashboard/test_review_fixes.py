"""The dashboard review findings: access once sign-in is configured, who is recorded, the
freshness side, pending alerts, SQL alert counts, the sparkline and where to reproduce."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard import charts
from monitor import cli
from store import reads
from store.schema import alerts
from store.store import ResultStore
from tests.dashboard.support import open_page, text_of

T0 = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)


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
