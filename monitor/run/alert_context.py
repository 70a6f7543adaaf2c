"""What alerting needs from the monitor file, built once per command: owners, mail server,
routes, and what each integration's sides are. Plain data of `alerts` declarations, with no
store: `dxq validate` and `dxq alerts route` use it without a results database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from alerts.alert import AlertSettings
from alerts.owner import JiraSite, Owner, Role, SmtpSettings
from alerts.routing import Route
from monitor.config import model as cfg
from monitor.config import routes as routes_config

DEFAULT_REPEAT_INTERVAL_S = 4 * 3600.0


@dataclass(frozen=True)
class IntegrationAlerting:
    """What alerting needs to know about one integration."""

    owners: tuple[str, ...] = ()
    after_failures: int = 1
    source_system: str = ""
    target_system: str = ""
    source_label: str = ""  # "crm.orders": what the source side measures
    target_label: str = ""
    max_mismatch_rate: float | None = None  # the reconcile check's limit
    # checks run once per target (`targets`): check name -> (target label, target system)
    per_target: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class AlertContext:
    """Everything alerting needs from the monitor file, built once per command."""

    owners: Mapping[str, Owner]
    smtp: SmtpSettings
    dashboard_url: str
    tree: Route | None = None
    integrations: Mapping[str, IntegrationAlerting] = field(default_factory=dict)
    partners: Mapping[str, str] = field(default_factory=dict)  # external system -> contact

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
                source_label=i.source.label,
                target_label=i.target.label,
                max_mismatch_rate=i.reconcile.max_mismatch_rate if i.reconcile else None,
                per_target={
                    i.per_target(check, ref): (ref.label, ref.system)
                    for ref in i.targets
                    for check in ("volume", "reconcile")
                },
            )
            for name, i in config.integrations.items()
        },
        partners={
            name: system.partner.contact()
            for name, system in config.systems.items()
            if system.external and system.partner is not None
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
        pagerduty_routing_key=owner.pagerduty_routing_key,
        pagerduty_url=owner.pagerduty_url,
        opsgenie_api_key=owner.opsgenie_api_key,
        opsgenie_url=owner.opsgenie_url,
        jira=convert_jira(owner.jira) if owner.jira is not None else None,
    )


def convert_jira(jira: cfg.Jira) -> JiraSite:
    """An owner's Jira site."""
    return JiraSite(jira.url, jira.project, jira.email, jira.api_token, jira.issue_type)


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
        verify=smtp.verify,
        ca_file=smtp.ca_file,
    )


def convert_route(route: routes_config.Route) -> Route:
    """A node of the routes tree and its children; unset settings stay None (inherited)."""
    return route.tree()
