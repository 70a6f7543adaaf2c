"""One transaction on the results store and the writes made inside it.

Everything a run changes is written through one `Transaction`, so a run, its results and
(later) its alert changes and outbox rows commit or roll back together:

    with store.transaction() as tx:
        status = tx.complete_run(run_id, finished_at, results)
        ...  # alert and outbox writes on the same `tx` (or on `tx.connection`)
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from checks.result import CheckKind, CheckResult, Outcome
from store.errors import RunNotRunning, UnknownRun
from store.history import (
    age_mismatch_keys,
    forget_removed_checks,
    insert_results,
    result_row,
    update_latest,
    update_rollups,
)
from store.origin import RunOrigin
from store.schema import runs, schema_snapshots
from store.types import require_utc


class Transaction:
    """The writes of the results store, all inside one open database transaction."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def begin_run(
        self,
        integration: str,
        started_at: datetime,
        trigger: str = "manual",
        *,
        host: str | None = None,
        pid: int | None = None,
        origin: RunOrigin | None = None,
    ) -> int:
        """Record a run as `running`; returns its id. `origin` names the worker, cron slot
        and firing of a run the celery executor hands out."""
        row = {
            "integration": integration,
            "trigger": trigger,
            "status": "running",
            "started_at": require_utc(started_at, "started_at"),
            "host": host if host is not None else socket.gethostname(),
            "pid": pid if pid is not None else os.getpid(),
        }
        if origin is not None:
            row |= origin.columns()
        run_id = self.connection.execute(runs.insert().returning(runs.c.id), row).scalar_one()
        return int(run_id)

    def complete_run(
        self,
        run_id: int,
        finished_at: datetime,
        results: Sequence[CheckResult],
        reason: str | None = None,
    ) -> str:
        """Store the results of a running run and return its status, the worst outcome (a run
        with no results but a reason is an `error`). Updates the latest result of each check
        (dropping checks this run no longer has), the daily rollups and the mismatched keys.
        Raises `UnknownRun` or `RunNotRunning`."""
        at = require_utc(finished_at, "finished_at")
        worst = Outcome.worst([r.outcome for r in results])
        status = str(Outcome.ERROR if not results and reason else worst)
        integration = self._claim_running(run_id, at, status, reason)
        rows = [result_row(r) for r in _last_per_check(results)]
        ids = insert_results(self.connection, run_id, integration, at, rows)
        update_latest(self.connection, run_id, integration, at, rows, ids)
        down = [
            r.check
            for r in results
            if r.kind is CheckKind.EXPECTATION and r.outcome is Outcome.ERROR
        ]
        forget_removed_checks(
            self.connection, integration, at, [row["check"] for row in rows], down
        )
        update_rollups(self.connection, integration, at, rows)
        for result in _last_per_check(results):
            age_mismatch_keys(self.connection, run_id, integration, at, result)
        return status

    def fail_stale_runs(
        self, reason: str, older_than: datetime | None = None, *, now: datetime | None = None
    ) -> int:
        """Turn runs left `running` (started before `older_than`, if given) into `error` runs
        with `reason`; returns how many."""
        finished = require_utc(now, "now") if now is not None else datetime.now(UTC)
        stmt = runs.update().where(runs.c.status == "running")
        if older_than is not None:
            stmt = stmt.where(runs.c.started_at < require_utc(older_than, "older_than"))
        stmt = stmt.values(status="error", reason=reason, finished_at=finished)
        return self.connection.execute(stmt).rowcount

    def save_schema_snapshot(
        self, integration: str, snapshot: Mapping[str, Mapping[str, str]], taken_at: datetime
    ) -> int:
        """Store the columns of each side ({"source": {col: type}, "target": …}) unless they
        equal the last snapshot of that side; returns how many sides were stored. So
        `taken_at` of a snapshot is when that shape was first seen."""
        at = require_utc(taken_at, "taken_at")
        previous = self.last_schema_snapshot(integration) or {}
        rows = [
            {"integration": integration, "side": side, "columns": dict(cols), "taken_at": at}
            for side, cols in snapshot.items()
            if previous.get(side) != dict(cols)
        ]
        if rows:
            self.connection.execute(schema_snapshots.insert(), rows)
        return len(rows)

    def last_schema_snapshot(self, integration: str) -> dict[str, dict[str, str]] | None:
        """The newest stored columns of each side, or None when nothing was stored."""
        snap = schema_snapshots.c
        newest = (
            sa.select(sa.func.max(snap.id))
            .where(snap.integration == integration)
            .group_by(snap.side)
        )
        found = self.connection.execute(
            sa.select(snap.side, snap.columns).where(snap.id.in_(newest))
        ).all()
        return {side: dict(columns) for side, columns in found} or None

    def _claim_running(self, run_id: int, at: datetime, status: str, reason: str | None) -> str:
        claimed = self.connection.execute(
            runs.update()
            .where(runs.c.id == run_id, runs.c.status == "running")
            .values(status=status, finished_at=at, reason=reason)
            .returning(runs.c.integration)
        ).scalar_one_or_none()
        if claimed is not None:
            return str(claimed)
        current = self.connection.execute(
            sa.select(runs.c.status).where(runs.c.id == run_id)
        ).scalar_one_or_none()
        if current is None:
            raise UnknownRun(f"no run has id {run_id}")
        raise RunNotRunning(f"run {run_id} is already {current}; its results were not stored")


def _last_per_check(results: Sequence[CheckResult]) -> list[CheckResult]:
    """One result per check name (the last wins), in the order given."""
    return list({r.check: r for r in results}.values())
