"""Plain-words messages about an alert, the same for every channel (see `rendering`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from alerts.alert import (
    ALL_CHECKS,
    ALL_CHECKS_WORDS,
    PASSED_AGAIN,
    Alert,
    AlertKind,
    Notification,
    NotificationKind,
)
from alerts.owner import Owner
from alerts.routing import ANOMALY
from datasources.credentials import mask_credentials
from datasources.durations import format_duration
from datasources.percent import percent as shown_percent

KEYS_SHOWN = 5  # failing keys named in a message: a few, the Check page lists them all
PARTNER_FACT = "external partner"  # the fact naming who runs an external system
SYSTEM_LABELS = ("source_system", "target_system")
KIND_WORDS: dict[str, str] = {  # what an alert is about: its title and the Alerts page
    AlertKind.DATA_QUALITY: "data check failed",
    AlertKind.RUN_ERROR: "check could not run",
    AlertKind.MISSED: "run missed",
    AlertKind.DEAD_LETTER: "notification undeliverable",
}


@dataclass(frozen=True)
class Message:
    """What a notification says: a title, a sentence, the numbers, owners and a link."""

    kind: str  # firing | reminder | escalation | acknowledged | resolved | test
    alert_kind: str
    integration: str
    check: str
    severity: str
    title: str
    headline: str
    facts: tuple[tuple[str, str], ...]
    since: datetime
    owners: tuple[str, ...]
    link: str
    key: str
    fingerprint: str
    episode: int


def check_link(dashboard_url: str, integration: str, check: str) -> str:
    """The check's page in the dashboard, query parameters URL-encoded."""
    query = urlencode({"integration": integration, "check": check})
    return f"{dashboard_url.rstrip('/')}/check?{query}"


def integration_link(dashboard_url: str, integration: str) -> str:
    """The integration's page in the dashboard."""
    query = urlencode({"integration": integration})
    return f"{dashboard_url.rstrip('/')}/integration?{query}"


def alert_link(dashboard_url: str, alert: Alert) -> str:
    """Where an alert's reader goes: its check's page; the integration's page (its runs and
    checks) for a whole-run alert, which has no check page."""
    if alert.check == ALL_CHECKS:
        return integration_link(dashboard_url, alert.integration)
    return check_link(dashboard_url, alert.integration, alert.check)


def build_message(
    alert: Alert,
    notification: Notification,
    owners: Mapping[str, Owner],
    dashboard_url: str,
    partners: Mapping[str, str] | None = None,
) -> Message:
    """The message for one notification of one alert; `partners` maps each system run by an
    external partner to the partner's contact, named in the facts when the alert's
    integration reads such a system."""
    names = dict.fromkeys(
        owners[t.receiver].label if t.receiver in owners else t.receiver for t in alert.targets
    )
    status = {
        NotificationKind.FIRING: "FIRING",
        NotificationKind.REMINDER: "STILL FAILING",
        NotificationKind.ESCALATION: "ESCALATED",
        NotificationKind.ACKNOWLEDGED: f"ACKNOWLEDGED by {alert.acknowledged_by or 'someone'}",
        NotificationKind.RESOLVED: "RESOLVED",
    }[notification.kind]
    what = kind_words(alert.kind, alert.check_kind)
    headline = describe(alert)
    if notification.kind is NotificationKind.RESOLVED:
        what, sentence = resolved_words(alert)
        headline = f"Resolved: {sentence} It had reported: {headline}"
    elif notification.kind is NotificationKind.ACKNOWLEDGED:
        headline = f"{acknowledged_words(alert)} It reports: {headline}"
    return Message(
        kind=str(notification.kind),
        alert_kind=str(alert.kind),
        integration=alert.integration,
        check=alert.check,
        severity=alert.severity,
        title=f"[{status}] {alert.integration}: {what} ({check_words(alert.check)})",
        headline=headline,
        facts=facts(alert, partners or {}),
        since=alert.opened_at,
        owners=tuple(names),
        link=alert_link(dashboard_url, alert),
        key=notification.key,
        fingerprint=alert.fingerprint,
        episode=alert.episode,
    )


def kind_words(kind: str, check_kind: str | None = None) -> str:
    """What an alert is about, in words ("data check failed"; "unusual value" for a
    data_quality alert about a watched number); an unknown kind as it is."""
    if check_kind == ANOMALY:
        return "unusual value"
    return KIND_WORDS.get(kind, kind)


def check_words(check: str) -> str:
    """An alert's check as messages name it: the whole run for a run_error alert about every
    check (ALL_CHECKS), any other check as it is."""
    return ALL_CHECKS_WORDS if check == ALL_CHECKS else check


def acknowledged_words(alert: Alert) -> str:
    """Who took the alert in dxq, and when: "Acknowledged in dxq by ann at 10:05 UTC." """
    who = mask_credentials(alert.acknowledged_by or "someone")
    when = f" at {alert.acknowledged_at:%Y-%m-%d %H:%M} UTC" if alert.acknowledged_at else ""
    return f"Acknowledged in dxq by {who}{when}; reminders and escalation stop."


def resolved_words(alert: Alert) -> tuple[str, str]:
    """For a resolved alert, what the title says ("data check passes again") and the sentence
    that opens the message, from why it resolved: its check passed again, or another reason
    (such as the check leaving the monitor file), which is then named as it is."""
    if alert.resolution not in (None, PASSED_AGAIN):
        return f"alert closed: {alert.resolution}", f"the alert was closed: {alert.resolution}."
    m = alert.metrics
    return {
        AlertKind.DATA_QUALITY: ("data check passes again", f"{alert.check} passes again."),
        AlertKind.RUN_ERROR: (
            "checks run again",
            f"every check of {alert.integration} could be evaluated again.",
        ),
        AlertKind.MISSED: ("runs report again", f"{alert.integration} reports again."),
        AlertKind.DEAD_LETTER: (
            "notifications delivered again",
            f"notifications to {m.get('receiver')} by {m.get('channel')} are delivered again.",
        ),
    }[alert.kind]


def describe(alert: Alert) -> str:
    """What went wrong, in one or two plain sentences, from the check's real metrics and the
    side it measured (a source-side check names the source system)."""
    m = alert.metrics
    target = alert.labels.get("target_system") or "the target"
    source = alert.labels.get("source_system") or "the source"
    measured = alert.subject or (source if alert.side == "source" else target)
    numbers = True
    if alert.kind is AlertKind.RUN_ERROR and alert.check == ALL_CHECKS:
        names = m.get("checks") or []
        text = f"{len(names) or 'Some'} check(s) could not be evaluated: "
        text += f"{alert.reason or 'unknown error'}."
    elif alert.kind is AlertKind.RUN_ERROR:
        text = f"The check could not be evaluated: {alert.reason or 'unknown error'}."
    elif alert.kind is AlertKind.MISSED:
        text = f"No run has reported since {m.get('last_report_at', '?')}; the next one was "
        text += f"due by {m.get('due_at', '?')}."
    elif alert.kind is AlertKind.DEAD_LETTER:
        text = f"A notification to {m.get('receiver')} by {m.get('channel')} could not be "
        text += f"delivered: {alert.reason or 'unknown error'}."
    elif alert.check_kind == "reconcile" and _num(m.get("compared")) is not None:
        text = _reconcile(m, source, target, alert.subject, alert.limit)
    elif alert.check_kind == "freshness" and _num(m.get("lag_seconds")) is not None:
        text = f"The newest record in {measured} is {duration(m['lag_seconds'])} old"
        text += f", limit {duration(m.get('max_age_seconds'))}."
    elif alert.check_kind == "volume" and _num(m.get("source_rows")) is not None:
        text = f"{target} has {count(m.get('target_rows'))} rows, {source} has "
        text += f"{count(m['source_rows'])}: {percent(m.get('difference_rate'))} apart."
    elif alert.check_kind == "references" and _num(m.get("missing_rows")) is not None:
        text = f"{count(m['missing_rows'])} of {count(m.get('checked_rows'))} rows of "
        text += f"{measured} refer to {count(m.get('missing_values'))} values that do not "
        text += f"exist: {percent(m.get('missing_rate'))}."
    elif alert.check_kind == "expectation" and _num(m.get("unexpected_count")) is not None:
        text = f"{count(m['unexpected_count'])} of {count(m.get('element_count'))} rows of "
        text += f"{measured} ({percent(_fraction(m.get('unexpected_percent')))}) break "
        text += f"{alert.check}."
    else:
        text, numbers = alert.reason or f"{alert.check} failed.", False
    if not numbers and alert.observed and alert.expected and alert.kind is AlertKind.DATA_QUALITY:
        text += f" Observed {alert.observed}; expected {alert.expected}."
    if alert.keys and alert.kind is AlertKind.DATA_QUALITY:
        text += f" Failing keys include {', '.join(alert.keys)}."
    return mask_credentials(text)


def _reconcile(
    m: Mapping[str, Any], source: str, target: str, subject: str, limit: float | None
) -> str:
    compared = count(m.get("compared"))
    entity = f"records of {subject}" if subject else "records"
    parts = [
        (int(m.get("missing_in_target") or 0), f"missing in {target}"),
        (int(m.get("missing_in_source") or 0), f"missing in {source}"),
        (int(m.get("changed") or 0), "changed"),
    ]
    present = [(n, words) for n, words in parts if n]
    rate = percent(m.get("mismatch_rate"))
    tail = f": {rate}" + (f", limit {percent(limit)}" if limit is not None else "") + "."
    if not present:
        return f"Of {compared} {entity} compared, {rate} differ" + tail[len(rate) + 1 :]
    if len(present) == 1:
        n, words = present[0]
        return f"{count(n)} of {compared} {entity} are {words}{tail}"
    listed = ", ".join(f"{count(n)} {words}" for n, words in present)
    return f"{count(sum(n for n, _ in present))} of {compared} {entity} differ ({listed}){tail}"


def failing_keys(sample: Sequence[Mapping[str, Any]], limit: int = KEYS_SHOWN) -> tuple[str, ...]:
    """The keys of the first `limit` sample rows of a check result (rows with a `key`: a
    reconcile's differing records, an expectation's unexpected rows), as text: `101267` for a
    one-column key, `region=EU id=5` for a composite one. PII is already masked there."""
    found: list[str] = []
    for row in sample:
        key = row.get("key") if isinstance(row, Mapping) else None
        if key is None:
            continue
        if isinstance(key, Mapping):
            text = (
                str(next(iter(key.values())))
                if len(key) == 1
                else " ".join(f"{k}={v}" for k, v in key.items())
            )
        else:
            text = str(key)
        found.append(text)
        if len(found) == limit:
            break
    return tuple(found)


def facts(alert: Alert, partners: Mapping[str, str] | None = None) -> tuple[tuple[str, str], ...]:
    """The numbers behind the message, as (name, value) pairs; a few failing keys first,
    then the external partners running the integration's systems (`partners`: system ->
    contact), before the metrics."""
    found = [("integration", alert.integration), ("check", alert.check)]
    found += [("severity", alert.severity), ("since", f"{alert.opened_at:%Y-%m-%d %H:%M} UTC")]
    if alert.keys:
        found.append(("failing keys", mask_credentials(", ".join(alert.keys))))
    known = partners or {}
    systems = dict.fromkeys(alert.labels.get(side, "") for side in SYSTEM_LABELS)
    external = [f"{name}: {known[name]}" for name in systems if name in known]
    if external:
        found.append((PARTNER_FACT, "; ".join(external)))
    for name, value in alert.metrics.items():
        if isinstance(value, bool) or value is None or isinstance(value, dict | list):
            continue
        if isinstance(value, float) and ("rate" in name or "percent" in name):
            shown = percent(value if "rate" in name else value / 100)
        elif isinstance(value, int | float):
            shown = count(value)
        else:
            shown = mask_credentials(str(value))
        found.append((name, shown))
    return tuple(found)


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fraction(value: Any) -> float | None:
    number = _num(value)
    return None if number is None else number / 100


def count(value: Any) -> str:
    """`1,204`; floats keep up to two decimals; `?` for nothing."""
    number = _num(value)
    if number is None:
        return "?"
    return f"{int(number):,}" if number == int(number) else f"{number:,.2f}"


def percent(value: Any) -> str:
    """A fraction as a percentage by the one rule (`datasources.percent`): 0.031 -> `3.1%`."""
    return shown_percent(_num(value), missing="?")


def duration(value: Any) -> str:
    """Seconds in words (`datasources.durations.format_duration`); `?` for nothing."""
    number = _num(value)
    return "?" if number is None else format_duration(number)
