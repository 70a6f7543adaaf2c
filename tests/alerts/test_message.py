"""Messages in plain words, per check kind, with links encoded and credentials masked."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from alerts.alert import (
    ALL_CHECKS,
    Alert,
    AlertKind,
    AlertState,
    Notification,
    NotificationKind,
    Target,
)
from alerts.message import build_message, check_link, describe, duration, mask_credentials
from alerts.owner import Owner, Role
from alerts.rendering import render_email, render_webhook
from datasources.credentials import mask_url

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def alert(check_kind: str, metrics: dict[str, Any], **changes: Any) -> Alert:
    base = Alert(
        kind=AlertKind.DATA_QUALITY,
        integration="orders",
        check=check_kind,
        episode=1,
        state=AlertState.FIRING,
        severity="critical",
        check_kind=check_kind,
        opened_at=NOW,
        last_seen_at=NOW,
        labels={"source_system": "shop", "target_system": "ERP"},
        metrics=metrics,
        targets=(Target("po", "email"),),
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("a", "words"),
    [
        (
            alert(
                "expectation",
                {"unexpected_count": 12, "element_count": 1000, "unexpected_percent": 1.2},
            ),
            "12 of 1,000 rows of ERP (1.2%) break expectation.",
        ),
        (
            alert("schema", {}, reason="column price was removed from ERP"),
            "column price was removed from ERP",
        ),
        (
            alert(
                "reconcile",
                {},
                kind=AlertKind.RUN_ERROR,
                reason="cannot connect to postgresql://dxq:hunter2@db/erp",
            ),
            "The check could not be evaluated: cannot connect to postgresql://dxq:***@db/erp.",
        ),
        (
            alert(
                "missed",
                {
                    "last_report_at": "2026-11-29T08:00:00+00:00",
                    "due_at": "2026-11-29T08:45:00+00:00",
                },
                kind=AlertKind.MISSED,
            ),
            "No run has reported since 2026-11-29T08:00:00+00:00; the next one was due by "
            "2026-11-29T08:45:00+00:00.",
        ),
        (
            alert(
                "dead_letter",
                {"receiver": "po", "channel": "email"},
                kind=AlertKind.DEAD_LETTER,
                reason="550 no such user",
            ),
            "A notification to po by email could not be delivered: 550 no such user.",
        ),
    ],
)
def test_describe_in_words(a: Alert, words: str) -> None:
    """Kinds whose words do not come from a check run (see test_message_real.py for those)."""
    assert describe(a) == words


def test_observed_and_expected_are_added() -> None:
    a = alert("schema", {}, reason="types differ", observed="price numeric", expected="price text")
    assert describe(a) == "types differ Observed price numeric; expected price text."


def test_link_is_url_encoded() -> None:
    link = check_link("http://dash:8501/", "product catalog", "suites/x.json: expect(a&b)")
    assert link == (
        "http://dash:8501/check?integration=product+catalog"
        "&check=suites%2Fx.json%3A+expect%28a%26b%29"
    )


def test_masking() -> None:
    assert mask_credentials("x mysql+pymysql://root:pw@h:3306/db y") == (
        "x mysql+pymysql://root:***@h:3306/db y"
    )
    assert mask_url("postgresql://u:p@h:5432/d") == "postgresql://u:***@h:5432/d"
    assert mask_url("sqlite:///a.db") == "sqlite:///a.db"


def test_duration() -> None:
    assert [duration(v) for v in (45, 60, 3600 * 26 + 61, None)] == ["45s", "1m", "1d 2h", "?"]


def test_a_whole_run_alert_names_the_run_not_a_star() -> None:
    a = alert("run_error", {"checks": ["volume", "reconcile"]}, kind=AlertKind.RUN_ERROR)
    a = replace(a, check=ALL_CHECKS, reason="connection refused")
    n = Notification("dxq-r", NotificationKind.FIRING, 0, "po", "email", a.fingerprint, 1, NOW)
    msg = build_message(a, n, {}, "http://dash")
    assert msg.title.endswith("(the whole run)"), msg.title
    assert "*" not in msg.title and msg.check == ALL_CHECKS  # the key keeps the id
    assert msg.link == "http://dash/integration?integration=orders"  # no check page for "*"
    assert describe(a) == "2 check(s) could not be evaluated: connection refused."


def test_build_message_and_renderings() -> None:
    a = alert(
        "freshness",
        {"lag_seconds": 11520, "max_age_seconds": 7200, "source": "postgresql://u:pw@h/db"},
    )
    owners = {"po": Owner("po", "Orders PO", Role.BUSINESS, emails=("po@x",))}
    n = Notification("dxq-abc", NotificationKind.RESOLVED, 0, "po", "email", a.fingerprint, 1, NOW)
    msg = build_message(a, n, owners, "http://dash")
    assert msg.title == "[RESOLVED] orders: data check passes again (freshness)"
    assert msg.headline.startswith("Resolved: freshness passes again.")
    assert msg.owners == ("Orders PO",)
    mail = render_email(msg)
    assert "pw@" not in mail.text and "u:***@h" in mail.text
    assert "Owners: Orders PO" in mail.text
    assert msg.link.replace("&", "&amp;") in mail.html
    body = render_webhook(msg)
    assert body["version"] == 1 and body["event"] == "resolved"
    assert body["facts"]["lag_seconds"] == "11,520"
