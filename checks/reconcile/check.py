"""reconcile(spec, now): the entry point; picks the engine and never raises.

Two datasets behind the same URL use the join engine (one aggregate query); all other pairs
(different databases or engines, files) use the checksum engine. In-flight data: with
`grace_s` and an updated column, a row whose updated time (in UTC, naive values in the system's
zone) is after `now - grace` is in flight, and a key whose source OR target row is in flight is
left out of every count (source_rows, target_rows, compared, missing, changed). Keys are checked
for uniqueness with one GROUP BY query unless a primary key or unique constraint covers them;
files (and queries) are checked while their differing buckets are merged. A NULL in any key
column is an `error` on every engine (counted, with up to five example rows), never a match.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from checks.reconcile.checksum_engine import duplicate_message, null_message, reconcile_across
from checks.reconcile.errors import DuplicateKeys, NullKeys, ReconcileError
from checks.reconcile.join_engine import reconcile_joined
from checks.reconcile.outcome import build_result
from checks.reconcile.plan import Column, Plan, build_plan
from checks.reconcile.session_settings import prepared
from checks.reconcile.sql_columns import describe
from checks.reconcile.sql_side import SqlSide
from checks.reconcile.tally import Tally
from checks.result import CheckKind, CheckResult, error_result
from checks.spec import ReconcileSpec
from datasources.connection import read_only
from datasources.dataset import Dataset, SqlSystem
from datasources.errors import Cause, DatasourceError, cause_of

if TYPE_CHECKING:  # files sides read with pandas and pyarrow: imported only when one is read
    from checks.reconcile.file_side import FileSide


def reconcile(spec: ReconcileSpec, now: datetime) -> CheckResult:
    """Compare source and target record by record; errors become `error` results."""
    started = time.monotonic()
    try:
        plan, tally, extra = _evaluate(spec, now)
    except (ReconcileError, DatasourceError) as exc:
        return error_result(
            spec.name, CheckKind.RECONCILE, spec.severity, str(exc), cause=cause_of(exc)
        )
    except Exception as exc:  # a check never raises: anything else is still an error result
        reason = f"reconcile failed unexpectedly: {type(exc).__name__}: {exc}"
        return error_result(
            spec.name, CheckKind.RECONCILE, spec.severity, reason, cause=Cause.INTERNAL
        )
    return build_result(plan, tally, time.monotonic() - started, extra)


def _evaluate(spec: ReconcileSpec, now: datetime) -> tuple[Plan, Tally, dict[str, Any]]:
    if spec.crosswalk is not None:  # keys matched through a mapping table
        from checks.reconcile.crosswalk import evaluate_crosswalk

        return evaluate_crosswalk(spec, now)
    with ExitStack() as stack:
        conns: dict[str, sa.Connection] = {}
        spares: dict[str, Callable[[], sa.Connection]] = {}
        columns: dict[str, dict[str, Column]] = {}
        unique: dict[str, list[tuple[str, ...]]] = {}
        same = _same_database(spec.source, spec.target)
        for role, dataset in (("source", spec.source), ("target", spec.target)):
            if isinstance(dataset.system, SqlSystem):
                if role == "target" and same:
                    conns[role] = conns["source"]
                else:
                    conn = stack.enter_context(read_only(dataset.system))
                    conns[role] = stack.enter_context(prepared(conn))
                    spares[role] = _spare(stack, dataset.system)
                columns[role], unique[role] = describe(dataset, conns[role])
            else:
                from checks.reconcile.file_side import describe_files

                columns[role], unique[role] = describe_files(dataset), []
        plan = build_plan(spec, columns["source"], columns["target"], now)
        sides = {
            role: _side(spec, plan, role, conns, columns[role], spares.get(role), unique[role])
            for role in ("source", "target")
        }
        for role, side in sides.items():
            key = spec.source_key if role == "source" else spec.target_key
            if isinstance(side, SqlSide):
                nulls, examples = side.null_keys()
                if nulls:
                    raise NullKeys(null_message(side.dataset, key, nulls, examples))
            if isinstance(side, SqlSide) and not any(set(u) <= set(key) for u in unique[role]):
                dupes = side.duplicates()
                if dupes:
                    raise DuplicateKeys(duplicate_message(side.dataset, dupes))
        source, target = sides["source"], sides["target"]
        if same and isinstance(source, SqlSide) and isinstance(target, SqlSide):
            return plan, reconcile_joined(plan, source, target), {"engine": "join"}
        tally, fetched = reconcile_across(plan, source, target, _lookups(sides, unique))
        extra = {"engine": "checksum", "rows_fetched": fetched}
        return plan, tally, extra
    raise AssertionError("unreachable")  # pragma: no cover


def _side(
    spec: ReconcileSpec,
    plan: Plan,
    role: str,
    conns: dict[str, sa.Connection],
    columns: dict[str, Column],
    spare: Callable[[], sa.Connection] | None,
    unique: list[tuple[str, ...]],
) -> SqlSide | FileSide:
    dataset = spec.source if role == "source" else spec.target
    if role in conns:
        return SqlSide(dataset, conns[role], plan, role, columns, spare, unique)
    from checks.reconcile.file_side import FileSide

    return FileSide(dataset, plan, role)


def _spare(stack: ExitStack, system: SqlSystem) -> Callable[[], sa.Connection]:
    """Opens another read-only, prepared connection to `system`, closed with `stack` (each
    side its own stack: both sides' extents run at once, in two threads)."""
    own = stack.enter_context(ExitStack())
    return lambda: own.enter_context(prepared(own.enter_context(read_only(system))))


def _lookups(
    sides: dict[str, SqlSide | FileSide], unique: dict[str, list[tuple[str, ...]]]
) -> list[str]:
    """The sides that can read rows by key, MariaDB first (its scans cost the most), then
    the target."""
    able: list[str] = []
    for role in ("target", "source"):
        side = sides[role]
        if isinstance(side, SqlSide) and side.can_look_up(unique[role]):
            able.append(role)
    return sorted(able, key=lambda role: getattr(sides[role], "dialect", "") != "mysql")


def _same_database(a: Dataset, b: Dataset) -> bool:
    return (
        isinstance(a.system, SqlSystem)
        and isinstance(b.system, SqlSystem)
        and a.system.url == b.system.url
    )
