"""Alerting for runs: the monitor file's owners and routes as `alerts` declarations, and the
alert decisions of a run written in the run's own transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from alerts.alert import Alert, AlertSettings, CheckOutcome, Decision
from alerts.lifecycle import evaluate, tick
from alerts.matcher import Matcher
from alerts.owner import Owner, Role, SmtpSettings
from alerts.routing import EscalationStep, Route
from alerts.watchdog import dead_letter
from checks.result import CheckResult
from monitor import config as cfg
from monitor import routes_config
from store.alert_state import (
    active_silences,
    apply_decision,
    latest_alerts,
    lock_integration,
    open_alerts,
)
from store.store import ResultStore

DEFAULT_REPEAT_INTERVAL_S = 4 * 3600.0


@dataclass(frozen=True)
class IntegrationAlerting:
    """What alerting needs to know about one integration."""

    owners: tuple[str, ...] = ()
    after_failures: int = 1
    source_system: str = ""
    target_system: str = ""


@dataclass(frozen=True)
class AlertContext:
    """Everything alerting needs from the monitor file, built once per command."""

    owners: Mapping[str, Owner]
    smtp: SmtpSettings
    dashboard_url: str
    tree: Route | None = None
    integrations: Mapping[str, IntegrationAlerting] = field(default_factory=dict)

    def settings(self, integration: str) -> AlertSettings:
        """The alert settings of one integration (an unknown one has no owners of its own)."""
        known = self.integrations.get(integration, IntegrationAlerting())
        return AlertSettings(
            integration=integration,
            owners=self.owners,
            integration_owners=known.owners,
            tree=self.tree,
            source_system=known.source_system,
            target_system=known.target_system,
            after_failures=known.after_failures,
            repeat_interval_s=DEFAULT_REPEAT_INTERVAL_S,
        )


def alert_context(config: cfg.Config) -> AlertContext:
    """The monitor file's owners, SMTP settings, routes and integrations for alerting."""
    return AlertContext(
        owners={name: convert_owner(name, owner) for name, owner in config.owners.items()},
        smtp=convert_smtp(config.smtp),
        dashboard_url=config.dashboard_url,
        tree=convert_route(config.routes) if config.routes is not None else None,
        integrations={
            name: IntegrationAlerting(
                owners=tuple(i.owners),
                after_failures=i.alert.after_failures,
                source_system=i.source.system,
                target_system=i.target.system,
            )
            for name, i in config.integrations.items()
        },
    )


def convert_owner(owner_id: str, owner: cfg.Owner) -> Owner:
    """One owner of the monitor file."""
    return Owner(
        id=owner_id,
        name=owner.name or "",
        role=Role(owner.role),
        emails=tuple(owner.email),
        slack_webhook=owner.slack_webhook,
        teams_webhook=owner.teams_webhook,
        webhook=owner.webhook,
        webhook_secret=owner.webhook_secret,
    )


def convert_smtp(smtp: cfg.Smtp) -> SmtpSettings:
    """The monitor file's mail server."""
    return SmtpSettings(
        host=smtp.host,
        port=smtp.port,
        starttls=smtp.starttls,
        ssl=smtp.ssl,
        username=smtp.username,
        password=smtp.password,
        sender=smtp.sender,
        timeout=smtp.timeout,
    )


def convert_route(route: routes_config.Route) -> Route:
    """A node of the routes tree and its children; unset settings stay None (inherited)."""
    return Route(
        receiver=route.receiver,
        matchers=tuple(Matcher(m.label, m.op, m.value) for m in route.all_matchers()),
        continue_=route.continue_,
        repeat_interval_s=route.repeat_interval,
        escalate=(
            tuple(EscalationStep(e.after, e.receiver) for e in route.escalate)
            if route.escalate
            else None
        ),
        routes=tuple(convert_route(child) for child in route.routes),
    )


def outcomes_of(results: Sequence[CheckResult]) -> list[CheckOutcome]:
    """A run's results as `alerts` sees them (the schema snapshot is left out)."""
    return [
        CheckOutcome(
            check=r.check,
            check_kind=str(r.kind),
            outcome=str(r.outcome),
            severity=str(r.severity),
            metrics={k: v for k, v in r.metrics.items() if k != "snapshot"},
            reason=r.reason,
            observed=r.observed,
            expected=r.expected,
        )
        for r in results
    ]


def record_alerts(
    connection: sa.Connection,
    context: AlertContext,
    integration: str,
    outcomes: Sequence[CheckOutcome],
    now: datetime,
) -> Decision:
    """Decide the alert changes of a run and write them, with their audit events and outbox
    rows, on the run's connection (so all of it commits with the run or not at all)."""
    lock_integration(connection, integration)
    current = latest_alerts(connection, integration)
    decision = evaluate(
        current, outcomes, context.settings(integration), active_silences(connection, now), now
    )
    apply_decision(connection, decision, now)
    return decision


def record_dead_letter(
    connection: sa.Connection,
    context: AlertContext,
    undelivered: Alert,
    receiver: str,
    channel: str,
    error: str,
    now: datetime,
) -> Decision:
    """Raise the alert that a notification about `undelivered` could not be delivered; it goes
    to maintenance, never again through the channel that failed. A dead letter about a dead
    letter alert raises nothing (no loops); it stays visible in the outbox."""
    if str(undelivered.kind) == "dead_letter":
        return Decision()
    integration = undelivered.integration
    lock_integration(connection, integration)
    outcome = dead_letter(receiver, channel, error)
    decision = evaluate(
        latest_alerts(connection, integration),
        [outcome],
        context.settings(integration),
        active_silences(connection, now),
        now,
    )
    others = tuple(
        n for n in decision.notifications if (n.receiver, n.channel) != (receiver, channel)
    )
    decision = Decision(decision.transitions, others)
    apply_decision(connection, decision, now)
    return decision


def _context(config: cfg.Config | AlertContext) -> AlertContext:
    return config if isinstance(config, AlertContext) else alert_context(config)


def record_missed(
    store: ResultStore,
    config: cfg.Config | AlertContext,
    outcomes: Sequence[tuple[str, CheckOutcome]],
    *,
    now: datetime,
) -> None:
    """Open or resolve `missed` alerts from the scheduler's (integration, outcome) pairs, one
    transaction per integration."""
    context = _context(config)
    for integration, outcome in outcomes:
        with store.transaction() as tx:
            record_alerts(tx.connection, context, integration, [outcome], now)


def tick_alerts(store: ResultStore, config: cfg.Config | AlertContext, *, now: datetime) -> int:
    """Reminders, escalation steps and firings delayed by a silence that are due now; returns
    how many notifications were queued."""
    with store.transaction() as tx:
        integrations = sorted({a.integration for a in open_alerts(tx.connection)})
    queued = 0
    for integration in integrations:
        with store.transaction() as tx:
            lock_integration(tx.connection, integration)
            current = open_alerts(tx.connection, integration)
            decision = tick(current, active_silences(tx.connection, now), now)
            apply_decision(tx.connection, decision, now)
            queued += len(decision.notifications)
    return queued
