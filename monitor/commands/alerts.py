"""`dxq alerts route key=value…` and `dxq alerts test OWNER`, and the route explanation behind
both `dxq alerts route` and the dashboard's route tester (`explain_labels`)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from alerts.alert import AlertKind, Severity
from alerts.errors import InvalidMatcher
from alerts.matcher import LABELS, Matcher
from alerts.routing import ANOMALY, explain_route, receivers_for
from datasources.printable import one_line
from monitor.config.model import Config
from monitor.run.alert_context import AlertContext, alert_context

USAGE_ERROR = 2
REACHES_NOBODY = 1
ALLOWED = {"kind": (*AlertKind, ANOMALY), "severity": tuple(Severity)}


def read_labels(words: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Labels from `key=value` words read by the one matcher grammar (`alerts.matcher`: quotes
    and escapes as in the monitor file), and a problem line for each word that is not one."""
    labels: dict[str, str] = {}
    problems: list[str] = []
    for word in words:
        try:
            matcher = Matcher.parse(word)
        except InvalidMatcher:
            problems.append(f"cannot read {word!r}; write label=value")
            continue
        if matcher.op != "=":
            problems.append(f"{word!r}: an alert has values, not conditions; write label=value")
        elif matcher.label not in LABELS:
            problems.append(f"unknown label {matcher.label!r}; known labels: {', '.join(LABELS)}")
        elif matcher.label in ALLOWED and matcher.value not in ALLOWED[matcher.label]:
            allowed = "|".join(ALLOWED[matcher.label])
            problems.append(f"unknown {matcher.label} {matcher.value!r}; allowed: {allowed}")
        else:
            labels[matcher.label] = matcher.value
    return labels, problems


@dataclass(frozen=True)
class RouteExplanation:
    """Who receives an alert with some labels, in lines; `problems` when the words were not
    labels, `warnings` when the alert would reach nobody."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def explain_labels(context: AlertContext, words: Sequence[str]) -> RouteExplanation:
    """The routing explanation for `key=value` words (the library call behind `dxq alerts route`
    and the dashboard's route tester). An integration named in the labels brings its owners and,
    when not given, its source and target systems; the kind defaults to data_quality."""
    labels, problems = read_labels(words)
    if problems:
        return RouteExplanation(problems=problems)
    lines: list[str] = []
    integration = context.integrations.get(labels.get("integration", ""))
    owners: tuple[str, ...] = ()
    if integration is not None:
        owners = integration.owners
        labels.setdefault("source_system", integration.source_system)
        labels.setdefault("target_system", integration.target_system)
    elif "integration" in labels:
        known = ", ".join(context.integrations) or "none"
        lines.append(f"note: no integration {labels['integration']!r} (known: {known})")
    labels.setdefault("kind", str(AlertKind.DATA_QUALITY))
    lines += explain_route(labels, owners, context.owners, context.tree)
    recipients = receivers_for(labels, owners, context.owners, context.tree)
    warnings = [] if recipients.receivers else [nobody_warning(labels["kind"])]
    return RouteExplanation(lines=lines, warnings=warnings)


def nobody_warning(kind: str, integration: str = "") -> str:
    """The warning for an alert kind that reaches nobody, with the fix."""
    whose = f" of {integration}" if integration else ""
    return (
        f"warning: {kind} alerts{whose} reach nobody; give the integration an owner who may "
        "receive them (run_error and missed: oncall or maintenance), add a maintenance owner, "
        "or give `routes` a root receiver"
    )


def reach_warnings(config: Config) -> list[str]:
    """For `dxq validate`: every alert kind of every integration that would reach nobody."""
    context = alert_context(config)
    found: list[str] = []
    for name, integration in context.integrations.items():
        for kind in AlertKind:
            labels = {
                "integration": name,
                "source_system": integration.source_system,
                "target_system": integration.target_system,
                "kind": str(kind),
            }
            if not receivers_for(
                labels, integration.owners, context.owners, context.tree
            ).receivers:
                found.append(f"integrations.{name}: {nobody_warning(str(kind))}")
    return found


def route_command(
    config: Config, words: Sequence[str], out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Print who receives an alert with these labels and which routes chose them: 0 when
    someone does, 1 (with a warning line) when nobody would, 2 for words that are not labels."""
    out, err = out or sys.stdout, err or sys.stderr
    answer = explain_labels(alert_context(config), words)
    for problem in answer.problems:
        print(f"dxq: {one_line(problem)}", file=err)
    if answer.problems:
        return USAGE_ERROR
    for line in answer.lines:
        print(one_line(line), file=out)
    for warning in answer.warnings:
        print(f"dxq: {warning}", file=err)
    return REACHES_NOBODY if answer.warnings else 0


def test_command(
    config: Config,
    owner_id: str,
    out: TextIO | None = None,
    err: TextIO | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Send a test notification to every channel of an owner and print each result; 0 when
    every channel took it, 1 otherwise, 2 for an unknown owner."""
    from alerts.sender import TEST_DONE, send_test

    out, err = out or sys.stdout, err or sys.stderr
    context = alert_context(config)
    owner = context.owners.get(owner_id)
    if owner is None:
        known = ", ".join(context.owners) or "none"
        print(f"dxq: unknown owner {owner_id!r}; owners: {known}", file=err)
        return USAGE_ERROR
    addresses = {a.kind: a.shown() for a in owner.channels()}
    if not addresses:
        print(f"{owner.label}: no channels configured (email, slack_webhook, …)", file=out)
        return 1
    results = send_test(owner, context.smtp, clock(), context.dashboard_url)
    for kind, result in results:
        done = f": {TEST_DONE[kind]}" if kind in TEST_DONE else ""
        verdict = f"delivered{done}" if result.delivered else f"FAILED: {result.error}"
        print(f"{kind} {addresses[kind]}: {one_line(verdict)}", file=out)
    return 0 if all(result.delivered for _, result in results) else 1
