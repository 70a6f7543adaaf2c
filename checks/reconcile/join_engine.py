"""Two datasets in one database: one outer-join query computes every count in the database.

PostgreSQL runs a FULL OUTER JOIN; MariaDB and SQLite get the same rows from a LEFT JOIN
UNION ALL the anti-join of the other side. A second, bounded query fetches the differing keys.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import sqlalchemy as sa

from checks.reconcile.plan import Pair, Plan
from checks.reconcile.session_settings import session_variable
from checks.reconcile.sql_side import SqlSide
from checks.reconcile.tally import MAX_KEYS, Tally
from datasources import canonical as c


def _canonical(side: SqlSide, name: str) -> sa.Subquery | sa.CTE:
    rows = side.canonical_select().add_columns(sa.literal(1).label("p"))
    if side.dialect == "sqlite":  # materialised, so SQLite builds an automatic index on keys
        return rows.cte(name).prefix_with("MATERIALIZED")
    return rows.subquery(name)


def _joined(plan: Plan, source: SqlSide, target: SqlSide) -> sa.Subquery:
    d = source.dialect
    s, t = _canonical(source, "s"), _canonical(target, "t")
    nk, nf = len(plan.keys), len(plan.fields)
    on = sa.and_(*[s.c[f"k{i}"] == t.c[f"k{i}"] for i in range(nk)])
    cols = [
        *[s.c[f"k{i}"].label(f"sk{i}") for i in range(nk)],
        *[t.c[f"k{i}"].label(f"tk{i}") for i in range(nk)],
        *[s.c[f"f{i}"].label(f"sf{i}") for i in range(nf)],
        *[t.c[f"f{i}"].label(f"tf{i}") for i in range(nf)],
        s.c.p.label("sp"),
        t.c.p.label("tp"),
        s.c.flight.label("sfl"),
        t.c.flight.label("tfl"),
    ]
    if d == "postgresql":
        return sa.select(*cols).select_from(s.outerjoin(t, on, full=True)).subquery("j")
    left = sa.select(*cols).select_from(s.outerjoin(t, on))
    anti = sa.select(*cols).select_from(t.outerjoin(s, on)).where(s.c.p.is_(None))
    return sa.union_all(left, anti).subquery("j")


def _differs(dialect: str, pair: Pair, s: Any, t: Any) -> sa.ColumnElement[bool]:
    if pair.numeric and pair.spec is not None:
        return c.exceeds(dialect, s, t, pair.spec.tolerance, pair.spec.relative_tolerance)
    return c.distinct(dialect, s, t)


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def reconcile_joined(plan: Plan, source: SqlSide, target: SqlSide) -> Tally:
    """The exact tally from one aggregate query, plus at most MAX_KEYS differing keys."""
    d = source.dialect
    j = _joined(plan, source, target)
    keep = sa.and_(sa.func.coalesce(j.c.sfl, 0) == 0, sa.func.coalesce(j.c.tfl, 0) == 0)
    has_s, has_t = j.c.sp.is_not(None), j.c.tp.is_not(None)
    both = sa.and_(has_s, has_t)
    diffs = [_differs(d, p, j.c[f"sf{i}"], j.c[f"tf{i}"]) for i, p in enumerate(plan.fields)]
    any_diff = sa.or_(*diffs) if diffs else sa.false()
    totals = sa.select(
        _count(has_s),
        _count(has_t),
        sa.func.count(),
        _count(sa.and_(has_s, j.c.tp.is_(None))),
        _count(sa.and_(has_t, j.c.sp.is_(None))),
        _count(sa.and_(both, any_diff)),
        *[_count(sa.and_(both, diff)) for diff in diffs],
    ).where(keep)
    conn = source.conn
    # MariaDB: keep derived tables apart so it indexes their keys for the join (restored after)
    switch = (
        session_variable(conn, "optimizer_switch", "derived_merge=off")
        if d == "mysql"
        else nullcontext()
    )
    with switch:
        return _run(
            plan,
            conn,
            j,
            totals,
            differing_where=sa.or_(~has_s, ~has_t, sa.and_(both, any_diff)),
            keep=keep,
        )


def _run(
    plan: Plan,
    conn: sa.Connection,
    j: sa.Subquery,
    totals: sa.Select[Any],
    differing_where: sa.ColumnElement[bool],
    keep: sa.ColumnElement[bool],
) -> Tally:
    nk, nf = len(plan.keys), len(plan.fields)
    row = [int(v) for v in conn.execute(totals).one()]
    tally = Tally(plan)
    (
        tally.source_rows,
        tally.target_rows,
        tally.compared,
        tally.missing_in_target,
        tally.missing_in_source,
        tally.changed,
    ) = row[:6]
    for pair, value in zip(plan.fields, row[6:], strict=True):
        tally.changed_by_field[pair.spec.name if pair.spec else pair.target.name] = value
    order = [sa.func.coalesce(j.c[f"sk{i}"], j.c[f"tk{i}"]) for i in range(nk)]
    differing = sa.select(j).where(keep, differing_where).order_by(*order).limit(MAX_KEYS)
    probe = Tally(plan)
    for r in conn.execute(differing).mappings():
        key = tuple(r[f"sk{i}"] if r["sp"] is not None else r[f"tk{i}"] for i in range(nk))
        s_vals = tuple(r[f"sf{i}"] for i in range(nf)) if r["sp"] is not None else None
        t_vals = tuple(r[f"tf{i}"] for i in range(nf)) if r["tp"] is not None else None
        probe.add(tuple(_text(v) for v in key), _texts(s_vals), _texts(t_vals))
    tally.keys, tally.sample_values = probe.keys, probe.sample_values
    flying = sa.select(*[sa.func.coalesce(j.c[f"sk{i}"], j.c[f"tk{i}"]) for i in range(nk)])
    for flight in conn.execute(flying.where(~keep).order_by(*order).limit(MAX_KEYS)):
        tally.add_in_flight(tuple(_text(v) for v in flight))
    return tally


def _text(value: Any) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _texts(values: tuple[Any, ...] | None) -> tuple[str | None, ...] | None:
    return None if values is None else tuple(_text(v) for v in values)
