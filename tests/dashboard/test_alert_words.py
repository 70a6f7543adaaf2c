"""Plain words on the Alerts and Check pages (issue 12, items 7 and 12): checks by their plain
names (integration.check_names), alert kinds in words (alerts.message.kind_words), the demo
history's notifications "recorded, not sent", a metric label that fits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from alerts.alert import ALL_CHECKS, ALL_CHECKS_WORDS
from alerts.message import KIND_WORDS
from store.schema import alerts, latest_results, notifications
from tests.dashboard.support import open_page, text_of

pytestmark = pytest.mark.usefixtures("demo_dashboard")

AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
GONE = "anomaly(volume.target_rows)"  # orders watches no row count: no result of that name


def test_alerts_name_checks_and_kinds_in_plain_words(demo_dashboard: str) -> None:
    engine = sa.create_engine(demo_dashboard)
    with engine.begin() as c:
        (gx_words,) = c.execute(  # GX's own words for the failing uniqueness expectation
            sa.select(latest_results.c.metrics["description"].as_string()).where(
                latest_results.c.integration == "customers",
                latest_results.c.check.like("%expect_column_values_to_be_unique(email)"),
            )
        ).one()
        c.execute(
            alerts.insert(),
            {
                "fingerprint": "words-gone",
                "kind": "data_quality",
                "integration": "orders",
                "check": GONE,
                "severity": "warning",
                "state": "firing",
                "labels": {"integration": "orders", "kind": "anomaly"},
                "summary": "gone",
                "opened_at": AT,
            },
        )
        c.execute(
            alerts.insert(),
            {
                "fingerprint": "words-whole-run",
                "kind": "run_error",
                "integration": "orders",
                "check": ALL_CHECKS,
                "severity": "critical",
                "state": "firing",
                "labels": {"integration": "orders", "kind": "run_error"},
                "summary": "could not run",
                "opened_at": AT,
            },
        )
    engine.dispose()
    at = open_page("alerts")
    table = at.dataframe[0].value
    checks = set(table["check"])
    assert gx_words in checks
    assert not any("expect_" in c or ".json" in c for c in checks), checks
    assert any(c.startswith("records agree between shop.orders and") for c in checks), checks
    assert GONE in checks  # a check that no longer runs keeps its own name
    assert ALL_CHECKS_WORDS in checks and ALL_CHECKS not in checks
    kinds = set(table["kind"])
    assert KIND_WORDS["data_quality"] in kinds and "unusual value" in kinds
    assert not kinds & set(KIND_WORDS), kinds
    links = [link.proto.label for link in at.get("page_link")]
    assert links and not any("expect\\_" in label or "expect_" in label for label in links)
    assert any(label.startswith("customers · email values must be unique") for label in links)
    whole = [link.proto for link in at.get("page_link") if ALL_CHECKS_WORDS in link.proto.label]
    assert len(whole) == 1 and "check=" not in whole[0].query_string, whole  # its integration


def test_history_is_recorded_not_sent_and_real_deliveries_show_when(demo_dashboard: str) -> None:
    engine = sa.create_engine(demo_dashboard)
    with engine.begin() as c:
        c.execute(
            notifications.insert(),
            {
                "receiver": "finance",
                "channel": "email",
                "payload": {},
                "idempotency_key": "words-sent",
                "status": "sent",
                "attempts": 1,
                "next_attempt_at": AT,
                "created_at": AT,
                "sent_at": AT,
            },
        )
    engine.dispose()
    at = open_page("alerts")
    labels = {m.label: m for m in at.metric}
    assert "Mean time to acknowledge" not in labels  # cut off at 1400 px
    assert "acknowledge" in labels["Mean time to ack"].proto.help
    recent = at.dataframe[-1].value
    shown = dict(zip(recent["status"], recent["sent_at"], strict=False))
    assert shown["recorded"] == "recorded, not sent"
    assert shown["sent"] == "2026-11-20 09:30"
    assert recent["sent_at"].notna().all() and "None" not in set(recent["sent_at"])


def test_check_page_titles_reconcile_in_words() -> None:
    at = open_page("check", integration="orders", check="reconcile")
    assert at.title[0].value.startswith("records agree between shop\\.orders and")
    assert "Check: reconcile" in text_of(at)


def test_anomaly_checks_are_named_by_their_number(demo_dashboard: str) -> None:
    engine = sa.create_engine(demo_dashboard)
    with engine.begin() as c:
        volume = (
            c.execute(
                sa.select(latest_results).where(
                    latest_results.c.integration == "stock-levels",
                    latest_results.c.kind == "volume",
                )
            )
            .mappings()
            .one()
        )
        c.execute(
            latest_results.insert(),
            [
                {
                    **volume,
                    "check": f"anomaly(volume.{metric})",
                    "kind": "anomaly",
                    "metrics": {"series": f"volume.{metric}", "check": "volume", "metric": metric},
                }
                for metric in ("source_rows", "target_rows")
            ],
        )
    engine.dispose()
    at = open_page("integration", integration="stock-levels")
    rules = {str(r) for d in at.dataframe if "rule" in d.value for r in d.value["rule"]}
    for system in ("wms", "shop.stock"):  # the integration's source and target
        assert f"row count of {system} within its usual range" in rules, rules
    assert not any(r.startswith("anomaly(") for r in rules), rules
