"""Statuses in `alerts` are string enums (Outcome, Severity, AlertKind, AlertState): the words
`checks` and the store use read as the enums, and what is stored stays the same words."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from alerts.alert import (
    Alert,
    AlertKind,
    AlertSettings,
    AlertState,
    CheckOutcome,
    Outcome,
    Severity,
)
from alerts.lifecycle import evaluate
from alerts.owner import Owner, Role

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def test_outcomes_and_severities_read_as_enums() -> None:
    outcome = CheckOutcome("volume", "volume", "warned", "critical")  # the words checks records
    assert outcome.outcome is Outcome.WARNED
    assert outcome.severity is Severity.CRITICAL
    assert CheckOutcome("volume", "volume", Outcome.FAILED).severity is Severity.ERROR


@pytest.mark.parametrize(("field", "value"), [("outcome", "broken"), ("severity", "fatal")])
def test_an_unknown_word_is_refused(field: str, value: str) -> None:
    words = {"outcome": "failed", "severity": "error", field: value}
    with pytest.raises(ValueError, match=value):
        CheckOutcome("volume", "volume", words["outcome"], words["severity"])  # type: ignore[arg-type]


def test_stored_values_are_the_same_words() -> None:
    owners = {"ops": Owner("ops", role=Role.MAINTENANCE, emails=("ops@example.com",))}
    settings = AlertSettings("orders", owners, ("ops",))
    decision = evaluate(
        [], [CheckOutcome("volume", "volume", "warned", "critical")], settings, [], NOW
    )
    alert = decision.transitions[0].alert
    assert alert.severity is Severity.WARNING  # warned opens a warning
    doc = json.loads(json.dumps(alert.to_json()))
    assert (doc["kind"], doc["state"], doc["severity"]) == ("data_quality", "firing", "warning")
    back = Alert.from_json(doc)
    assert back == alert
    assert (back.kind, back.state, back.severity) == (
        AlertKind.DATA_QUALITY,
        AlertState.FIRING,
        Severity.WARNING,
    )
