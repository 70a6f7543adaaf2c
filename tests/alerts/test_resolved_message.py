"""A resolved message says what is fine again ("[RESOLVED] orders: data check passes again"),
never "data check failed"; an alert closed for another reason (its check left the monitor file)
says that reason instead of claiming the check passed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.alert import AlertSettings, CheckOutcome, Decision
from alerts.lifecycle import evaluate, retire
from alerts.message import build_message
from alerts.owner import Owner, Role
from alerts.watchdog import dead_letter, delivered

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
OWNERS = {"ops": Owner("ops", "Ops", Role.MAINTENANCE, emails=("ops@example.com",))}
SETTINGS = AlertSettings("orders", OWNERS, ("ops",), source_system="shop", target_system="erp")


def _resolved(failing: CheckOutcome, passing: CheckOutcome) -> tuple[str, str]:
    opened = evaluate([], [failing], SETTINGS, [], T0)
    alerts = [t.alert for t in opened.transitions]
    closed = evaluate(alerts, [passing], SETTINGS, [], T0 + timedelta(hours=1))
    return _first_resolved(closed)


def _first_resolved(decision: Decision) -> tuple[str, str]:
    (transition,) = [t for t in decision.transitions if t.alert.resolved_at is not None]
    (n,) = [n for n in decision.notifications if n.kind == "resolved"][:1]
    msg = build_message(transition.alert, n, OWNERS, "http://dash")
    return msg.title, msg.headline


FAILED = CheckOutcome("volume", "volume", "failed", "error", {"source_rows": 10, "target_rows": 5})
PASSED = CheckOutcome("volume", "volume", "passed", "error", {"source_rows": 10, "target_rows": 10})


@pytest.mark.parametrize(
    ("failing", "passing", "title", "opening"),
    [
        (
            FAILED,
            PASSED,
            "[RESOLVED] orders: data check passes again (volume)",
            "Resolved: volume passes again. It had reported: erp has 5 rows, shop has 10",
        ),
        (
            CheckOutcome("volume", "volume", "error", reason="erp is unreachable"),
            PASSED,
            "[RESOLVED] orders: checks run again (the whole run)",
            "Resolved: every check of orders could be evaluated again. It had reported: 1 "
            "check(s) could not be evaluated: volume: erp is unreachable.",
        ),
        (
            dead_letter("ops", "email", "550 no such user"),
            delivered("ops", "email"),
            "[RESOLVED] orders: notifications delivered again (delivery to ops by email)",
            "Resolved: notifications to ops by email are delivered again.",
        ),
    ],
)
def test_resolved_says_what_is_fine_again(
    failing: CheckOutcome, passing: CheckOutcome, title: str, opening: str
) -> None:
    shown_title, headline = _resolved(failing, passing)
    assert shown_title == title
    assert headline.startswith(opening)
    assert "failed (" not in shown_title and "could not run" not in shown_title


def test_an_alert_closed_for_another_reason_says_so() -> None:
    opened = evaluate([], [FAILED], SETTINGS, [], T0)
    alerts = [t.alert for t in opened.transitions]
    title, headline = _first_resolved(
        retire(alerts, "check removed from the monitor file", T0 + timedelta(hours=1))
    )
    assert title == (
        "[RESOLVED] orders: alert closed: check removed from the monitor file (volume)"
    )
    assert headline.startswith("Resolved: the alert was closed: check removed from the monitor")
    assert "passes again" not in headline
