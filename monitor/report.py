"""How `dxq run` prints a summary: a readable table, or the JSON document of DESIGN section 4."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from checks.result import CheckResult, Outcome
from monitor.runner import IntegrationRun

_MARK = {
    Outcome.PASSED: "ok  ",
    Outcome.WARNED: "WARN",
    Outcome.FAILED: "FAIL",
    Outcome.ERROR: "ERR ",
}


def exit_code(runs: Sequence[IntegrationRun]) -> int:
    """0 all passed (warnings allowed), 1 a check failed, 3 a check could not be evaluated."""
    worst = Outcome.worst([run.outcome for run in runs])
    return {Outcome.ERROR: 3, Outcome.FAILED: 1}.get(worst, 0)


def render_json(runs: Sequence[IntegrationRun], started_at: datetime) -> str:
    doc = {
        "run_started_at": started_at.isoformat().replace("+00:00", "Z"),
        "integrations": [run.to_json() for run in runs],
    }
    return json.dumps(doc, indent=2, default=str)


def render_table(runs: Sequence[IntegrationRun]) -> str:
    lines: list[str] = []
    for run in runs:
        counts = {o: sum(1 for r in run.results if r.outcome is o) for o in Outcome}
        tally = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
        lines.append(f"{run.integration}: {str(run.outcome).upper()}  ({tally or 'no checks'})")
        width = max((len(r.check) for r in run.results), default=10)
        width = min(width, 70)
        for result in run.results:
            lines.append(
                f"  {_MARK[result.outcome]}  {_shorten(result.check, width):<{width}}  "
                f"{_detail(result)}"
            )
        lines.append("")
    total = len(runs)
    bad = sum(1 for run in runs if run.outcome in (Outcome.FAILED, Outcome.ERROR))
    lines.append(f"{total} integration{'s' if total != 1 else ''} run, {bad} with problems")
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
