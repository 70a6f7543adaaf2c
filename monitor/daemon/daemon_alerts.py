"""The alerts the scheduler raises itself (a run that timed out, a scheduled run that did not
report) and the periodic alert tick (reminders, escalation); every write goes through the
locked path of `monitor.run.alerting.decide_alerts`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from alerts.alert import CheckOutcome, Outcome, Severity
from monitor.run.alert_context import AlertContext
from monitor.run.alerting import record_alerts, tick_integration
from store.alert_state import open_integrations
from store.store import ResultStore

RUN_CHECK = "run"  # the check name of a run's own problems (its overall time budget)


def record_timeout(
    store: ResultStore, context: AlertContext, integration: str, reason: str, now: datetime
) -> None:
    """Raise (or keep) the integration's `run_error` alert for a run stopped by its time
    budget. Nothing here resolves it: only a later run of the integration whose checks all
    ran does (alerts.lifecycle), so an alert resolves only because a real run passed."""
    record_run_error(store, context, integration, "timeout", reason, now)


def record_run_error(
    store: ResultStore,
    context: AlertContext,
    integration: str,
    kind: str,
    reason: str,
    now: datetime,
) -> None:
    """Raise (or keep) the integration's `run_error` alert for a problem of its runs
    themselves (`kind`: timeout, broker); a later run whose checks all ran resolves it."""
    outcome = CheckOutcome(RUN_CHECK, kind, Outcome.ERROR, Severity.ERROR, reason=reason)
    with store.transaction() as tx:
        record_alerts(tx.connection, context, integration, [outcome], now)


def record_missed(
    store: ResultStore,
    context: AlertContext,
    outcomes: Mapping[str, CheckOutcome],
    now: datetime,
) -> None:
    """Raise or resolve the `missed` alert of each scheduled integration, one transaction
    each."""
    for integration, outcome in outcomes.items():
        with store.transaction() as tx:
            record_alerts(tx.connection, context, integration, [outcome], now)


def tick_alerts(store: ResultStore, now: datetime) -> int:
    """Send due reminders and escalation steps, one locked transaction per integration with
    open alerts; returns how many alerts changed."""
    with store.transaction() as tx:
        integrations = open_integrations(tx.connection)
    changed = 0
    for integration in integrations:
        with store.transaction() as tx:
            changed += len(tick_integration(tx.connection, integration, now).transitions)
    return changed
