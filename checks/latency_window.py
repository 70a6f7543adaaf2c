"""The window of a latency check: the keys and updated times of the records each side changed
within the window, read inside each database and matched by key.

Only the window is read: each side is queried with a WHERE on its updated column (an index on
it is used where there is one), and only the key and that column come back, streamed. Time
zones follow reconcile's canonical form (`datasources/canonical.py`), the rule freshness uses
too: naive timestamps are in the system's declared `timezone`, zoned ones keep their instant,
and both are compared as UTC. The WHERE is a coarse cut in the column's own terms (an hour
earlier for naive columns, whose clock changes repeat an hour; half a day for SQLite text,
which may carry any offset); the exact window is applied to the canonical UTC text.

Memory is bounded by the window, never by the tables: the target's changed keys with their
times (one dict entry each, the time as a float), one float per changed source record, and
the `sample` slowest records past the SLA. Rows changed before the window are never read.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from checks.reconcile.canonical_form import key_text
from checks.reconcile.plan import Column, Plan, build_plan
from checks.reconcile.session_settings import prepared
from checks.reconcile.sql_columns import describe
from checks.reconcile.sql_side import SqlSide
from checks.spec import LatencySpec, ReconcileSpec
from datasources import canonical as c
from datasources.connection import read_only, translate_error
from datasources.dataset import SqlSystem

STREAM_ROWS = 10_000
_CLOCK_CHANGE = timedelta(hours=1)
_ANY_OFFSET = timedelta(hours=14)
_EPOCH = datetime(1970, 1, 1)


class WindowError(Exception):
    """The latency window cannot be read from these datasets (e.g. a files system)."""


@dataclass
class Window:
    """What the window holds: each changed source record's latency (arrived: target minus
    source time) or wait so far (still waiting: now minus source time)."""

    delays: list[float] = field(default_factory=list)
    arrived: int = 0
    waiting: int = 0
    oldest_waiting_s: float | None = None
    slowest: list[tuple[float, int, dict[str, Any]]] = field(default_factory=list)  # a heap


def read_window(spec: LatencySpec, now: datetime) -> Window:
    """The window's records of both sides, matched by key; raises ReconcileError (bad column,
    types), DatasourceError (system) or WindowError."""
    for dataset in (spec.source, spec.target):
        if not isinstance(dataset.system, SqlSystem):
            raise WindowError(
                f"{dataset.label}: latency reads SQL databases and API datasets, not files"
            )
    now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    start = now - timedelta(seconds=spec.window_s)
    with ExitStack() as stack:
        conns: dict[str, sa.Connection] = {}
        columns: dict[str, dict[str, Column]] = {}
        for role, dataset in (("source", spec.source), ("target", spec.target)):
            assert isinstance(dataset.system, SqlSystem)
            conn = stack.enter_context(read_only(dataset.system))
            conns[role] = stack.enter_context(prepared(conn))
            columns[role], _ = describe(dataset, conns[role])
        plan = build_plan(_pairing(spec), columns["source"], columns["target"], now)
        sides = {
            role: SqlSide(dataset, conns[role], plan, role, columns[role])
            for role, dataset in (("source", spec.source), ("target", spec.target))
        }
        arrived_at: dict[str, float] = {}
        for key, _parts, stamp in _changes(sides["target"], plan, start):
            if stamp > arrived_at.get(key, -math.inf):
                arrived_at[key] = stamp
        window = Window()
        for key, parts, stamp in _changes(sides["source"], plan, start):
            _add(window, spec, parts, stamp, arrived_at.get(key), now.timestamp())
        return window
    raise AssertionError("unreachable")  # pragma: no cover


def _pairing(spec: LatencySpec) -> ReconcileSpec:
    """The keys and updated columns as reconcile pairs and checks them (its rules for key
    types across engines and for what counts as a timestamp); `grace_s` makes the plan's
    cutoff the window's start."""
    return ReconcileSpec(
        source=spec.source,
        target=spec.target,
        source_key=spec.source_key,
        target_key=spec.target_key,
        fields=(),
        severity=spec.severity,
        grace_s=spec.window_s,
        source_updated_column=spec.source_updated_column,
        target_updated_column=spec.target_updated_column,
    )


def _changes(
    side: SqlSide, plan: Plan, start: datetime
) -> Iterator[tuple[str, tuple[Any, ...], float]]:
    """(key text, key values, POSIX time) of each row of one side changed since `start`,
    streamed; rows with a NULL key part are skipped."""
    updated = plan.source_updated if side.role == "source" else plan.target_updated
    assert updated is not None and plan.cutoff is not None
    raw = side.relation.c[updated.name]
    stamp = c.canonical(side.dialect, raw, "timestamp", side.zone, updated.zoned)
    query = (
        sa.select(*side.keys, stamp)
        .select_from(side.relation)
        .where(raw >= _coarse_bound(side.dialect, start, side.zone, updated.zoned))
    )
    try:
        result = side.conn.execute(
            query.execution_options(stream_results=True, yield_per=STREAM_ROWS)
        )
        for row in result:
            *parts, when = row
            if when is None or when < plan.cutoff or None in parts:
                continue
            yield key_text(parts), tuple(parts), _seconds(str(when))
    except sa.exc.SQLAlchemyError as exc:  # named after this side, not the outer block's
        assert isinstance(side.dataset.system, SqlSystem)
        raise translate_error(side.dataset.system, exc, side.dataset.label) from exc


def _coarse_bound(dialect: str, start: datetime, zone: str, zoned: bool) -> object:
    """A value below the window's start in the column's own terms: everything changed within
    the window compares at or above it."""
    if dialect == "postgresql" and zoned:
        return start
    if zoned:  # MariaDB TIMESTAMP, read in the session zone, which dxq sets to UTC
        return start.astimezone(UTC).replace(tzinfo=None)
    local = start.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    if dialect == "sqlite":
        return sa.literal((local - _ANY_OFFSET).strftime("%Y-%m-%d %H:%M:%S"))
    return local - _CLOCK_CHANGE


def _add(
    window: Window,
    spec: LatencySpec,
    parts: tuple[Any, ...],
    changed: float,
    arrived: float | None,
    now: float,
) -> None:
    if arrived is not None and arrived >= changed:
        delay = round(arrived - changed, 6)
        window.arrived += 1
    else:
        delay = round(max(now - changed, 0.0), 6)
        window.waiting += 1
        window.oldest_waiting_s = max(window.oldest_waiting_s or 0.0, delay)
        arrived = None
    window.delays.append(delay)
    if not spec.sample or delay <= spec.max_p95_s:
        return  # only late records are kept, the slowest `sample` of them
    if len(window.slowest) == spec.sample and delay <= window.slowest[0][0]:
        return
    row = {
        "key": dict(zip(spec.source_key, parts, strict=True)),
        "source_updated": _text(changed),
        "target_updated": None if arrived is None else _text(arrived),
        "latency_s": round(delay, 3),
        "waiting": arrived is None,
    }
    entry = (delay, len(window.delays), row)  # the count breaks ties: rows never compared
    if len(window.slowest) < spec.sample:
        heapq.heappush(window.slowest, entry)
    else:
        heapq.heapreplace(window.slowest, entry)


def _seconds(text: str) -> float:
    """A canonical UTC text ("2026-11-20 09:00:00.000000") as POSIX seconds (naive arithmetic:
    4x faster than an aware datetime's timestamp(), and the text is UTC)."""
    return (datetime.fromisoformat(text) - _EPOCH).total_seconds()


def _text(seconds: float) -> str:
    """POSIX seconds as ISO 8601 UTC text, for samples."""
    return datetime.fromtimestamp(seconds, UTC).isoformat()
