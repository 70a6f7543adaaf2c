"""Recording one run's results: raw rows, the latest result per check (with "since"), daily
rollups, and the ageing of mismatched keys. Every function works inside the caller's
transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from checks.result import CheckKind, CheckResult, MismatchedKey, Outcome
from store.schema import check_results, daily_rollups, latest_results, mismatch_keys
from store.types import JSONDocument, fingerprint, same_document, to_jsonable
from store.upserts import Excluded, upsert

_COUNTERS = {
    Outcome.PASSED: "passed",
    Outcome.WARNED: "warned",
    Outcome.FAILED: "failed",
    Outcome.ERROR: "errors",
}
_DIFF_COUNTS = ("missing_in_target", "missing_in_source", "changed")


def result_row(result: CheckResult) -> dict[str, Any]:
    """The stored columns of one result (metrics and sample normalised to JSON)."""
    metrics = to_jsonable(result.metrics, f"{result.check}: metrics")
    value = metrics.get(result.headline) if result.headline else None
    return {
        "check": result.check,
        "kind": str(result.kind),
        "outcome": str(result.outcome),
        "severity": str(result.severity),
        "headline": result.headline,
        "headline_value": float(value) if isinstance(value, int | float) else None,
        "observed": result.observed,
        "expected": result.expected,
        "metrics": metrics,
        "sample": to_jsonable(result.sample, f"{result.check}: sample"),
        "query": result.query,
        "reason": result.reason,
        "side": result.side,
        "duration_s": float(result.duration_s),
    }


def insert_results(
    connection: sa.Connection,
    run_id: int,
    integration: str,
    at: datetime,
    rows: Sequence[dict[str, Any]],
) -> list[int]:
    """Insert the raw result rows; returns their ids in the order given."""
    if not rows:
        return []
    params = [
        {**row, "run_id": run_id, "integration": integration, "created_at": at} for row in rows
    ]
    stmt = check_results.insert().returning(check_results.c.id, sort_by_parameter_order=True)
    return [row_id for (row_id,) in connection.execute(stmt, params)]


def update_latest(
    connection: sa.Connection,
    run_id: int,
    integration: str,
    at: datetime,
    rows: Sequence[dict[str, Any]],
    ids: Sequence[int],
) -> None:
    """Make these results the latest of their checks, keeping `since` while the outcome holds.
    A result older than the stored one (recorded out of order) leaves it alone."""
    latest = latest_results.c
    payload = [
        {**row, "integration": integration, "run_id": run_id, "result_id": result_id}
        | {"result_at": at, "since": at}
        for row, result_id in zip(rows, ids, strict=True)
    ]

    def changes(excluded: Excluded) -> dict[str, Any]:
        keep = {"integration", "check", "since"}
        values: dict[str, Any] = {
            col.name: excluded[col.name] for col in latest_results.columns if col.name not in keep
        }
        values["since"] = sa.case(
            (latest.outcome == excluded.outcome, latest.since), else_=excluded.since
        )
        return values

    upsert(
        connection,
        latest_results,
        payload,
        conflict=("integration", "check"),
        update=changes,
        where=lambda excluded: latest.result_at <= excluded.result_at,
    )


def in_suite_down(check: str, suites_down: Sequence[str]) -> bool:
    """Whether `check` is an expectation of one of `suites_down` (suites that could not be
    evaluated). The suites' modules load only when there is one: most runs have none."""
    if not suites_down:
        return False
    from checks.suite_result import in_suite

    return any(in_suite(check, suite) for suite in suites_down)


def forget_removed_checks(
    connection: sa.Connection,
    integration: str,
    at: datetime,
    checks: Sequence[str],
    suites_down: Sequence[str] = (),
) -> int:
    """Drop the latest results of the integration's checks that this run (recorded at `at`)
    no longer has: they were removed from the monitor file. A run without results removes
    nothing, nor does a run older than the stored result, nor a suite that could not be
    evaluated (`suites_down`: its expectations keep their last result). Returns how many rows
    went."""
    if not checks:
        return 0
    latest = latest_results.c
    mine = (latest.integration == integration, latest.result_at <= at)
    stored = connection.execute(
        sa.select(latest.check).where(*mine, latest.check.not_in(list(checks)))
    ).scalars()
    gone = [c for c in stored if not in_suite_down(c, suites_down)]
    if not gone:
        return 0
    stmt = latest_results.delete().where(*mine, latest.check.in_(gone))
    return connection.execute(stmt).rowcount


def update_rollups(
    connection: sa.Connection, integration: str, at: datetime, rows: Sequence[dict[str, Any]]
) -> None:
    """Add these results to the day's rollup of each check (the UTC day of `at`)."""
    payload = []
    for row in rows:
        value = row["headline_value"]
        counts = dict.fromkeys(_COUNTERS.values(), 0)
        counts[_COUNTERS[Outcome(row["outcome"])]] = 1
        payload.append(
            {
                "integration": integration,
                "check": row["check"],
                "day": at.date(),
                "kind": row["kind"],
                "headline": row["headline"],
                "runs": 1,
                **counts,
                "headline_count": 0 if value is None else 1,
                "headline_sum": value,
                "headline_max": value,
                "last_value": value,
            }
        )
    roll = daily_rollups.c

    def changes(new: Excluded) -> dict[str, Any]:
        values: dict[str, Any] = {
            name: roll[name] + new[name] for name in ("runs", *_COUNTERS.values(), "headline_count")
        }
        values["kind"] = new.kind
        values["headline"] = new.headline
        values["headline_sum"] = sa.case(
            (new.headline_sum.is_(None), roll.headline_sum),
            (roll.headline_sum.is_(None), new.headline_sum),
            else_=roll.headline_sum + new.headline_sum,
        )
        values["headline_max"] = sa.case(
            (new.headline_max.is_(None), roll.headline_max),
            (roll.headline_max.is_(None), new.headline_max),
            (new.headline_max > roll.headline_max, new.headline_max),
            else_=roll.headline_max,
        )
        values["last_value"] = sa.func.coalesce(new.last_value, roll.last_value)
        return values

    upsert(
        connection, daily_rollups, payload, conflict=("integration", "check", "day"), update=changes
    )


def age_mismatch_keys(
    connection: sa.Connection, run_id: int, integration: str, at: datetime, result: CheckResult
) -> None:
    """Remember the result's mismatched keys: new keys open a row, keys still present move
    `last_seen`, and open keys no longer present are resolved. An `error` result observed
    nothing and changes nothing; a truncated key list (fewer keys than the counted
    differences) resolves nothing, because an absent key may only have been left out; a key
    left out because it was in flight (`metrics["in_flight_keys"]`) is neither seen nor
    resolved, so a record that keeps changing keeps its `first_seen`."""
    if result.outcome is Outcome.ERROR:
        return
    if result.kind is not CheckKind.RECONCILE and not result.mismatched_keys:
        return
    keys = mismatch_keys.c
    scope = sa.and_(
        keys.integration == integration, keys.check == result.check, keys.resolved_at.is_(None)
    )
    stored = connection.execute(
        sa.select(keys.key_hash, keys.id, keys.kind, keys.fields).where(scope)
    ).all()
    open_rows = {h: row_id for h, row_id, _, _ in stored}
    worded = {h: (kind, fields) for h, _, kind, fields in stored}
    present = {fingerprint(found.key): found for found in result.mismatched_keys}
    again = [h for h in present if h in open_rows]
    # A key seen again keeps its kind and fields in most runs: those rows move `last_seen` in
    # one statement per chunk of ids, and only rows whose kind or fields changed are written
    # one by one (10,000 keys seen again: 0.25 s written row by row, benchmarks/README.md).
    reworded = [h for h in again if not _same_words(worded[h], present[h])]
    if reworded:
        connection.execute(
            mismatch_keys.update()
            .where(keys.id == sa.bindparam("row_id"))
            .values(
                last_seen=at,
                last_run_id=run_id,
                kind=sa.bindparam("new_kind"),
                fields=sa.bindparam("new_fields", type_=JSONDocument()),
            ),
            [
                {
                    "row_id": open_rows[h],
                    "new_kind": present[h].kind,
                    "new_fields": present[h].fields,
                }
                for h in reworded
            ],
        )
    rewritten = set(reworded)
    same = [open_rows[h] for h in again if h not in rewritten]
    _update_by_id(connection, same, {"last_seen": at, "last_run_id": run_id})
    new = [
        {
            "integration": integration,
            "check": result.check,
            "key": k.key,
            "key_hash": h,
            "kind": k.kind,
            "fields": k.fields,
            "first_seen": at,
            "last_seen": at,
            "last_run_id": run_id,
        }
        for h, k in present.items()
        if h not in open_rows
    ]
    if new:
        connection.execute(mismatch_keys.insert(), new)
    in_flight = {fingerprint(key) for key in result.metrics.get("in_flight_keys") or ()}
    gone = [row_id for h, row_id in open_rows.items() if h not in present and h not in in_flight]
    if gone and _is_complete(result, len(present)):
        _update_by_id(connection, gone, {"resolved_at": at})


_IDS_PER_STATEMENT = 5_000  # under every engine's limit on bound parameters (SQLite's 32,766)


def _update_by_id(connection: sa.Connection, ids: Sequence[int], values: dict[str, Any]) -> None:
    """Set the same `values` on the mismatch_keys rows of `ids`."""
    keys = mismatch_keys.c
    statement = (  # one compiled statement whatever the number of ids (SQLAlchemy's cache)
        mismatch_keys.update()
        .where(keys.id.in_(sa.bindparam("ids", expanding=True)))
        .values(values)
    )
    for start in range(0, len(ids), _IDS_PER_STATEMENT):
        chunk = ids[start : start + _IDS_PER_STATEMENT]
        connection.execute(statement, {"ids": chunk})


def _same_words(stored: tuple[str, Any], found: MismatchedKey) -> bool:
    """Whether a stored key row already holds the kind and fields `found` would write."""
    kind, fields = stored
    return kind == found.kind and same_document(fields, found.fields)


def _is_complete(result: CheckResult, listed: int) -> bool:
    counts = [result.metrics.get(name) for name in _DIFF_COUNTS]
    numbers = [int(c) for c in counts if isinstance(c, int | float)]
    return not numbers or listed >= sum(numbers)
