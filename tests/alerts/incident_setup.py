"""Helpers for the incident-tool wiring tests: a monitor file whose owners reach the loopback
PagerDuty, Opsgenie and Jira stand-in (keys and tokens from `${VAR}`), a webhook owner and a
maintenance team on the loopback HTTP receiver, and the steps of an alert's life taken the way
dxq takes them (a run's outcomes, the tick, the person's acknowledgement, dispatcher passes)."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from alerts.alert import CheckOutcome, Decision, Outcome, Severity
from alerts.delivery import DEFAULT_BACKOFF, BackoffPolicy
from monitor import actions
from monitor.config.loading import load_config
from monitor.daemon.dispatcher import DispatchReport, dispatch_once
from monitor.run.alert_context import AlertContext, alert_context
from monitor.run.alerting import record_alerts, tick_integration
from store.schema import alerts
from store.store import ResultStore
from tests.alerts.receivers import HttpReceiver
from tests.support.incident_tools import IncidentTools

WRONG_ROUTING_KEY = "W" * 32  # well formed, but no service has it: PagerDuty answers 400


def environment(tools: IncidentTools) -> dict[str, str]:
    """The secrets the monitor file names, as the environment gives them."""
    return {
        "PD_KEY": tools.routing_key,
        "PD_WRONG_KEY": WRONG_ROUTING_KEY,
        "GENIE_KEY": tools.genie_key,
        "JIRA_TOKEN": tools.jira_token,
    }


def write_config(directory: Path, store_url: str, tools: IncidentTools, hook: str) -> Path:
    """Integration `orders` owned by `shop` (webhook), `pager` (PagerDuty), `genie` (Opsgenie)
    and `tracker` (Jira); integration `refunds` owned by `wrong` (PagerDuty with a routing key
    no service has), `badgenie` (an Opsgenie key nobody has) and `badjira` (a project that does
    not exist); `maint` (maintenance, webhook) hears dead letters."""
    path = directory / "dxq.yml"
    path.write_text(
        f"""version: 1
store: "{store_url}"
dashboard_url: http://127.0.0.1:8501
owners:
  shop: {{name: Shop owner, role: business, webhook: "{hook}/shop"}}
  pager:
    role: business
    pagerduty_routing_key: "${{PD_KEY}}"
    pagerduty_url: "{tools.url}"
  genie:
    role: business
    opsgenie_api_key: "${{GENIE_KEY}}"
    opsgenie_url: "{tools.url}"
  tracker:
    role: business
    jira:
      url: "{tools.url}"
      project: {tools.jira_project}
      email: {tools.jira_email}
      api_token: "${{JIRA_TOKEN}}"
  wrong:
    role: business
    pagerduty_routing_key: "${{PD_WRONG_KEY}}"
    pagerduty_url: "{tools.url}"
  badgenie:
    role: business
    opsgenie_api_key: "genie-key-nobody-has"
    opsgenie_url: "{tools.url}"
  badjira:
    role: business
    jira:
      url: "{tools.url}"
      project: NOPE
      email: {tools.jira_email}
      api_token: "${{JIRA_TOKEN}}"
  maint: {{name: Maintenance, role: maintenance, webhook: "{hook}/maint"}}
systems:
  crm: {{url: "sqlite:///crm.db"}}
  erp: {{url: "sqlite:///erp.db"}}
integrations:
  orders:
    source: crm.orders
    target: erp.orders
    owners: [shop, pager, genie, tracker]
    volume: {{tolerance: 0%}}
  refunds:
    source: crm.refunds
    target: erp.refunds
    owners: [wrong, badgenie, badjira]
    volume: {{tolerance: 0%}}
""",
        encoding="utf-8",
    )
    return path


@dataclass
class Wired:
    """A results store, its monitor file, the incident tools and the webhook receiver."""

    store: ResultStore
    context: AlertContext
    tools: IncidentTools
    receiver: HttpReceiver
    config_path: Path
    env: Mapping[str, str]

    def outcome(self, now: datetime, outcome: str = "failed", integration: str = "orders") -> None:
        """A run of `integration` whose volume check ends with `outcome`."""
        metrics = {"source_rows": 10, "target_rows": 5 if outcome == "failed" else 10}
        result = CheckOutcome("volume", "volume", Outcome(outcome), Severity.CRITICAL, metrics)
        with self.store.transaction() as tx:
            record_alerts(tx.connection, self.context, integration, [result], now)

    def tick(self, now: datetime) -> Decision:
        """The scheduler's alert tick for `orders` (reminders, escalation)."""
        with self.store.transaction() as tx:
            return tick_integration(tx.connection, "orders", now)

    def acknowledge(self, actor: str = "ann", comment: str = "on it") -> str:
        """The person acknowledges the open alert of `orders` (the dashboard's action)."""
        with self.store.engine.connect() as connection:
            alert_id = connection.execute(
                sa.select(alerts.c.id).where(
                    alerts.c.integration == "orders",
                    alerts.c.kind == "data_quality",
                    alerts.c.state == "firing",
                )
            ).scalar_one()
        return actions.acknowledge(self.store, int(alert_id), actor, comment)

    def dispatch(
        self, now: datetime, seed: int = 1, policy: BackoffPolicy | None = None
    ) -> DispatchReport:
        """One dispatcher pass at `now`."""
        return dispatch_once(
            self.store,
            self.context,
            now=now,
            worker="w1",
            rng=random.Random(seed),
            concurrency=1,
            policy=policy or DEFAULT_BACKOFF,
        )


def wire(
    store_url: str, directory: Path, tools: IncidentTools, receiver: HttpReceiver
) -> Iterator[Wired]:
    """A Wired setup on the store at `store_url`."""
    path = write_config(directory, store_url, tools, receiver.url)
    env = environment(tools)
    config = load_config(path, env)
    store = ResultStore.open(store_url)
    yield Wired(store, alert_context(config), tools, receiver, path, env)
    store.dispose()
