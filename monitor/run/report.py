"""How `dxq run` prints a summary: a readable table, or the JSON document of docs/cli.md
(#the-json-document)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from checks.result import CheckResult, Outcome
from datasources.printable import one_line
from monitor.run.runner import IntegrationRun

_MARK = {
    Outcome.PASSED: "ok  ",
    Outcome.WARNED: "WARN",
    Outcome.FAILED: "FAIL",
    Outcome.ERROR: "ERR ",
}


def exit_code(runs: Sequence[IntegrationRun]) -> int:
    """0 all passed (warnings allowed), 1 a check failed, 3 a check could not be evaluated or
    a run's results could not be recorded."""
    if any(run.not_recorded for run in runs):
        return 3
    worst = Outcome.worst([run.outcome for run in runs])
    return {Outcome.ERROR: 3, Outcome.FAILED: 1}.get(worst, 0)


@dataclass(frozen=True)
class AlertTally:
    """What a `dxq run` did to alerts: episodes opened and resolved, notifications delivered
    and still waiting in the outbox (to be retried, or dead)."""

    opened: int = 0
    resolved: int = 0
    delivered: int = 0
    pending: int = 0

    def to_json(self) -> dict[str, int]:
        """The `alerts` object of the JSON summary."""
        return {
            "opened": self.opened,
            "resolved": self.resolved,
            "notifications_delivered": self.delivered,
            "notifications_pending": self.pending,
        }

    def line(self) -> str:
        """The last line of the table summary."""
        return (
            f"alerts: {self.opened} opened, {self.resolved} resolved; notifications: "
            f"{self.delivered} delivered, {self.pending} still pending"
        )


def render_json(
    runs: Sequence[IntegrationRun], started_at: datetime, alerts: AlertTally | None = None
) -> str:
    """The JSON document of docs/cli.md#the-json-document, with `alerts` when given."""
    doc: dict[str, Any] = {
        "run_started_at": started_at.isoformat().replace("+00:00", "Z"),
        "integrations": [run.to_json() for run in runs],
    }
    if alerts is not None:
        doc["alerts"] = alerts.to_json()
    return json.dumps(doc, indent=2, default=str)


def render_table(runs: Sequence[IntegrationRun], alerts: AlertTally | None = None) -> str:
    """A readable table, ending with one line about alerts when given."""
    lines: list[str] = []
    for run in runs:
        counts = {o: sum(1 for r in run.results if r.outcome is o) for o in Outcome}
        tally = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
        lines.append(f"{run.integration}: {str(run.outcome).upper()}  ({tally or 'no checks'})")
        if run.not_recorded:
            lines.append(f"  results not recorded: {one_line(run.not_recorded)}")
        checks = [one_line(r.check) for r in run.results]  # data, shown as data: no CR/LF/ESC
        width = min(max((len(c) for c in checks), default=10), 70)
        for result, check in zip(run.results, checks, strict=True):
            lines.append(
                f"  {_MARK[result.outcome]}  {_shorten(check, width):<{width}}  "
                f"{one_line(_detail(result))}"
            )
        lines.append("")
    total = len(runs)
    bad = sum(
        1 for run in runs if run.outcome in (Outcome.FAILED, Outcome.ERROR) or run.not_recorded
    )
    lines.append(f"{total} integration{'s' if total != 1 else ''} run, {bad} with problems")
    if alerts is not None:
        lines.append(alerts.line())
    return "\n".join(lines)


def _detail(result: CheckResult) -> str:
    if result.outcome is Outcome.ERROR:
        return f"could not evaluate: {result.reason or 'unknown reason'}"
    parts = []
    if result.observed:
        parts.append(result.observed)
    if result.expected and result.outcome is not Outcome.PASSED:
        parts.append(f"(expected {result.expected})")
    if not parts and result.headline_value is not None:
        parts.append(f"{result.headline} = {result.headline_value:g}")
    return " ".join(parts)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
