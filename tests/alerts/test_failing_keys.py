"""The failing keys (a few) inside alert messages: taken from the check result's sample rows,
shown in the headline and as a fact, at most `KEYS_SHOWN`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alerts.alert import Alert, AlertSettings, CheckOutcome
from alerts.lifecycle import evaluate
from alerts.message import KEYS_SHOWN, build_message, failing_keys
from alerts.owner import Owner, Role

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sample", "keys"),
    [
        ([{"key": {"id": 101267}, "kind": "changed"}], ("101267",)),
        ([{"key": {"region": "EU", "id": 5}, "value": "x"}], ("region=EU id=5",)),
        ([{"value": "no key: GX gave only values"}], ()),
        ([{"key": {"id": i}} for i in range(20)], tuple(str(i) for i in range(KEYS_SHOWN))),
        ([], ()),
    ],
)
def test_failing_keys(sample: list[dict[str, object]], keys: tuple[str, ...]) -> None:
    assert failing_keys(sample) == keys


def _alert(keys: tuple[str, ...]) -> tuple[Alert, object]:
    owners = {"ops": Owner("ops", role=Role.MAINTENANCE, emails=("ops@example.com",))}
    outcome = CheckOutcome(
        "suites/orders.json: expect_column_values_to_not_be_null(total)",
        "expectation",
        "failed",
        "error",
        {"unexpected_count": 3, "element_count": 100, "unexpected_percent": 3.0},
        keys=keys,
    )
    decision = evaluate([], [outcome], AlertSettings("orders", owners, ("ops",)), [], T0)
    return decision.transitions[0].alert, decision.notifications[0]


def test_messages_name_the_failing_keys() -> None:
    alert, notification = _alert(("101267", "101301", "101322"))
    assert Alert.from_json(alert.to_json()).keys == alert.keys  # kept with the alert
    msg = build_message(alert, notification, {}, "http://dash")  # type: ignore[arg-type]
    assert msg.headline.endswith("Failing keys include 101267, 101301, 101322.")
    assert ("failing keys", "101267, 101301, 101322") in msg.facts


def test_no_keys_no_words() -> None:
    alert, notification = _alert(())
    msg = build_message(alert, notification, {}, "http://dash")  # type: ignore[arg-type]
    assert "Failing keys" not in msg.headline
    assert all(name != "failing keys" for name, _ in msg.facts)
