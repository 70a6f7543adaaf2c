"""The store the dashboard benchmark reads: 1,000,000 check results over 365 days for 50
integrations (with matching latest_results and daily_rollups), 20,000 alerts, 60,000
notifications, 200 silences, 50 saved versions of a suite, and a monitor file naming them.
Used by benchmarks/dashboard.py."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.suites import editing as suite_editing
from store.schema import (
    alerts,
    check_results,
    daily_rollups,
    latest_results,
    mismatch_keys,
    notifications,
    runs,
    silences,
    suite_versions,
)
from store.store import ResultStore

INTEGRATIONS = 50
CHECKS = ["freshness", "volume", "reconcile", *(f"suites/s.json: expect_{i}" for i in range(17))]
KINDS = {"freshness": "freshness", "volume": "volume", "reconcile": "reconcile"}
HEADLINES = {"freshness": "lag_seconds", "volume": "difference_rate", "reconcile": "mismatch_rate"}
END = datetime(2026, 11, 20, tzinfo=UTC)


def _outcome(rng: random.Random) -> str:
    roll = rng.random()
    return (
        "passed"
        if roll < 0.9
        else "failed"
        if roll < 0.97
        else "warned"
        if roll < 0.99
        else "error"
    )


def fill(store: ResultStore, total: int) -> None:
    """Bulk-insert runs, results, latest results, daily rollups and some mismatched keys."""
    rng = random.Random(7)
    runs_per_integration = total // (INTEGRATIONS * len(CHECKS))
    step = timedelta(days=365) / runs_per_integration
    rollups: dict[tuple[str, str, Any], list[Any]] = {}
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    run_id = result_id = 0
    with store.engine.begin() as c:
        for i in range(INTEGRATIONS):
            name = f"flow-{i:02d}"
            run_rows, result_rows = [], []
            for r in range(runs_per_integration):
                at = END - timedelta(days=365) + step * r
                run_id += 1
                run_rows.append(
                    {
                        "id": run_id,
                        "integration": name,
                        "trigger": "schedule",
                        "status": "passed",
                        "started_at": at,
                        "finished_at": at,
                    }
                )
                for check in CHECKS:
                    result_id += 1
                    kind = KINDS.get(check, "expectation")
                    value = rng.random() * (7200 if kind == "freshness" else 0.01)
                    outcome = _outcome(rng)
                    metrics = (
                        {"source_rows": 1000, "target_rows": 1000 - rng.randint(0, 5)}
                        if kind in ("volume", "reconcile")
                        else {"v": value}
                    )
                    row = {
                        "id": result_id,
                        "run_id": run_id,
                        "integration": name,
                        "check": check,
                        "kind": kind,
                        "outcome": outcome,
                        "severity": "error",
                        "headline": HEADLINES.get(check, "unexpected_percent"),
                        "headline_value": value,
                        "observed": f"{value:.4f}",
                        "expected": "at most 1",
                        "metrics": metrics,
                        "sample": [],
                        "query": None,
                        "reason": None,
                        "side": "target",
                        "duration_s": 0.1,
                        "created_at": at,
                    }
                    result_rows.append(row)
                    cell = rollups.setdefault(
                        (name, check, at.date()), [kind, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0]
                    )
                    cell[1] += 1
                    cell[{"passed": 2, "warned": 3, "failed": 4, "error": 5}[outcome]] += 1
                    cell[6] += value
                    cell[7] = max(cell[7], value)
                    cell[8] = value
                    latest[(name, check)] = {
                        **row,
                        "result_id": result_id,
                        "result_at": at,
                        "since": at,
                    }
            c.execute(runs.insert(), run_rows)
            for start in range(0, len(result_rows), 20_000):
                c.execute(check_results.insert(), result_rows[start : start + 20_000])
        c.execute(
            latest_results.insert(),
            [
                {k: v for k, v in row.items() if k not in ("id", "created_at")}
                for row in latest.values()
            ],
        )
        roll_rows = [
            {
                "integration": n,
                "check": ch,
                "day": d,
                "kind": v[0],
                "headline": None,
                "runs": v[1],
                "passed": v[2],
                "warned": v[3],
                "failed": v[4],
                "errors": v[5],
                "headline_count": v[1],
                "headline_sum": v[6],
                "headline_max": v[7],
                "last_value": v[8],
            }
            for (n, ch, d), v in rollups.items()
        ]
        for start in range(0, len(roll_rows), 20_000):
            c.execute(daily_rollups.insert(), roll_rows[start : start + 20_000])
        c.execute(
            mismatch_keys.insert(),
            [
                {
                    "integration": "flow-00",
                    "check": "reconcile",
                    "key": {"sku": f"S-{k}"},
                    "key_hash": f"{k:064d}",
                    "kind": "changed",
                    "fields": {"price": ["1", "2"]},
                    "first_seen": END - timedelta(hours=k),
                    "last_seen": END,
                }
                for k in range(500)
            ],
        )
    print(f"  filled {result_id:,} results, {run_id:,} runs, {len(roll_rows):,} rollups")


ALERTS, NOTIFICATIONS, SILENCES, VERSIONS = 20_000, 60_000, 200, 50
STATES = ["resolved"] * 17 + ["firing", "acknowledged", "pending"]
SUITE = {
    "name": "s",
    "expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "u"}}],
}


def fill_alerts(store: ResultStore) -> None:
    """Alerts over the year (most resolved), three notifications each, silences, versions."""
    rng = random.Random(11)
    alert_rows, note_rows = [], []
    for a in range(1, ALERTS + 1):
        opened = END - timedelta(days=365) * rng.random()
        state = STATES[a % len(STATES)]
        acked = opened + timedelta(minutes=rng.randint(1, 120))
        alert_rows.append(
            {
                "id": a,
                "fingerprint": f"{a:064d}",
                "kind": "data_quality",
                "integration": f"flow-{a % INTEGRATIONS:02d}",
                "check": CHECKS[a % len(CHECKS)],
                "severity": "error",
                "state": state,
                "labels": {"integration": f"flow-{a % INTEGRATIONS:02d}", "severity": "error"},
                "summary": "bench",
                "opened_at": opened,
                "acknowledged_at": acked if state in ("acknowledged", "resolved") else None,
                "acknowledged_by": "bench" if state in ("acknowledged", "resolved") else None,
                "resolved_at": acked + timedelta(hours=1) if state == "resolved" else None,
            }
        )
        for n in range(NOTIFICATIONS // ALERTS):
            note_rows.append(
                {
                    "alert_id": a,
                    "receiver": "team",
                    "channel": "webhook",
                    "payload": {},
                    "idempotency_key": f"{a}-{n}",
                    "status": "dead" if a % 997 == 0 else "sent",
                    "attempts": 1,
                    "next_attempt_at": opened,
                    "created_at": opened,
                    "sent_at": opened,
                }
            )
    silence_rows = [
        {
            "matchers": [
                {"label": "integration", "op": "=", "value": f"flow-{i % INTEGRATIONS:02d}"}
            ],
            "starts_at": END - timedelta(days=i),
            "ends_at": END - timedelta(days=i) + timedelta(hours=4 if i else 24 * 400),
            "author": "bench",
            "comment": "bench",
            "created_at": END - timedelta(days=i),
        }
        for i in range(SILENCES)
    ]
    version_rows = [
        {
            "path": "suites/s.json",
            "content": suite_editing.dump_suite(SUITE),
            "author": "bench",
            "comment": f"edit {v}",
            "created_at": END - timedelta(days=v),
        }
        for v in range(VERSIONS)
    ]
    with store.engine.begin() as c:
        c.execute(alerts.insert(), alert_rows)
        c.execute(notifications.insert(), note_rows)
        c.execute(silences.insert(), silence_rows)
        c.execute(suite_versions.insert(), version_rows)
    print(f"  filled {ALERTS:,} alerts, {len(note_rows):,} notifications, {SILENCES} silences")


def write_config(url: str, folder: Path) -> Path:
    (folder / "sys.db").touch()
    lines = [
        "version: 1",
        f"store: '{url}'",
        "owners: {team: {role: business, email: t@example.com}}",
        "smtp: {host: 127.0.0.1}",
        "systems: {a: {url: 'sqlite:///sys.db'}, b: {url: 'sqlite:///sys.db'}}",
        "integrations:",
    ]
    (folder / "suites").mkdir(exist_ok=True)
    (folder / "suites" / "s.json").write_text(suite_editing.dump_suite(SUITE))
    for i in range(INTEGRATIONS):
        suites = ", suites: [{suite: suites/s.json, side: target}]" if i == 7 else ""
        lines.append(
            f"  flow-{i:02d}: {{source: a.t, target: b.t, key: id, schedule: '0 * * * *', "
            "owners: [team], freshness: {column: u, max_age: 2h}, "
            f"reconcile: {{max_mismatch_rate: 0.5%}}{suites}}}"
        )
    path = folder / "dxq.yml"
    path.write_text("\n".join(lines) + "\n")
    return path
