"""`dxq alerts route key=value…` and `dxq alerts test OWNER`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TextIO

from alerts.matcher import LABELS
from alerts.routing import explain_route
from monitor.config.model import Config
from monitor.run.alerting import alert_context

USAGE_ERROR = 2
ALLOWED = {
    "kind": ("data_quality", "run_error", "missed", "dead_letter"),
    "severity": ("critical", "error", "warning"),
}


def read_labels(pairs: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Labels from `key=value` words, and a problem line for each word that is not one."""
    labels: dict[str, str] = {}
    problems: list[str] = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(f"cannot read {pair!r}; write label=value")
        elif key not in LABELS:
            problems.append(f"unknown label {key!r}; known labels: {', '.join(LABELS)}")
        elif key in ALLOWED and value.strip() not in ALLOWED[key]:
            allowed = "|".join(ALLOWED[key])
            problems.append(f"unknown {key} {value.strip()!r}; allowed: {allowed}")
        else:
            labels[key] = value.strip()
    return labels, problems


def route_command(
    config: Config, pairs: Sequence[str], out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Print who receives an alert with these labels and which routes chose them.

    An integration named in the labels brings its owners and, when not given, its source and
    target systems."""
    out, err = out or sys.stdout, err or sys.stderr
    labels, problems = read_labels(pairs)
    if problems:
        for problem in problems:
            print(f"dxq: {problem}", file=err)
        return USAGE_ERROR
    context = alert_context(config)
    integration = context.integrations.get(labels.get("integration", ""))
    owners: tuple[str, ...] = ()
    if integration is not None:
        owners = integration.owners
        labels.setdefault("source_system", integration.source_system)
        labels.setdefault("target_system", integration.target_system)
    elif "integration" in labels:
        known = ", ".join(context.integrations) or "none"
        print(f"note: no integration {labels['integration']!r} (known: {known})", file=out)
    labels.setdefault("kind", "data_quality")
    for line in explain_route(labels, owners, context.owners, context.tree):
        print(line, file=out)
    return 0


def test_command(
    config: Config,
    owner_id: str,
    out: TextIO | None = None,
    err: TextIO | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Send a test notification to every channel of an owner and print each result; 0 when
    every channel took it, 1 otherwise, 2 for an unknown owner."""
    from alerts.sender import send_test

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
        verdict = "delivered" if result.delivered else f"FAILED: {result.error}"
        print(f"{kind} {addresses[kind]}: {verdict}", file=out)
    return 0 if all(result.delivered for _, result in results) else 1
