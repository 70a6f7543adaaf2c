"""From a tally to the CheckResult: metrics, words, masked samples, the query to reproduce."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from checks.limit import describe_limit, judge
from checks.masking import mask
from checks.reconcile.plan import Plan
from checks.reconcile.tally import Tally
from checks.result import CheckKind, CheckResult, MismatchedKey, Outcome
from datasources.connection import engine_for
from datasources.dataset import Dataset, SqlSystem
from datasources.percent import percent
from datasources.statement import query_clause


def build_result(
    plan: Plan, tally: Tally, duration_s: float, extra: dict[str, Any] | None = None
) -> CheckResult:
    """The reconcile result for the tally."""
    spec = plan.spec
    # records a crosswalk could not match (checks/reconcile/crosswalk.py) count as differing
    unmatched = int((extra or {}).get("unmatched_keys", 0))
    differing = tally.missing_in_target + tally.missing_in_source + tally.changed + unmatched
    compared = tally.compared + unmatched
    rate = differing / compared if compared else 0.0
    metrics: dict[str, Any] = {
        "source_rows": tally.source_rows,
        "target_rows": tally.target_rows,
        "compared": tally.compared,
        "missing_in_target": tally.missing_in_target,
        "missing_in_source": tally.missing_in_source,
        "changed": tally.changed,
        "changed_by_field": dict(tally.changed_by_field),
        "mismatch_rate": rate,
        **(extra or {}),
    }
    pii = Pii.of(plan)
    keys = tuple(pii.masked(k) for k in tally.keys)
    metrics["in_flight_keys"] = [pii.masked_key(k) for k in tally.in_flight_keys]
    sample = [
        {
            "key": k.key,
            "kind": k.kind,
            "fields": _shown(plan, k.fields),
            "values": _shown(plan, pii.masked_fields(values)),
        }
        for k, values in zip(keys[: spec.sample], tally.sample_values, strict=False)
    ]
    queries = side_queries(plan, keys[: spec.sample])
    if queries:
        metrics["queries"] = queries
    outcome = judge(rate, spec.max_mismatch_rate, spec.warn_mismatch_rate, spec.severity)
    passed = outcome is Outcome.PASSED
    return CheckResult(
        check=spec.name,
        kind=CheckKind.RECONCILE,
        outcome=outcome,
        severity=spec.severity,
        metrics=metrics,
        headline="mismatch_rate",
        observed=f"{percent(rate)} ({differing:,} of {compared:,} keys)",
        expected=describe_limit(spec.max_mismatch_rate, spec.warn_mismatch_rate, percent),
        sample=sample,
        query=reproducing(queries),
        reason=None if passed else _reason(tally, unmatched),
        duration_s=duration_s,
        mismatched_keys=keys,
    )


def _reason(tally: Tally, unmatched: int = 0) -> str:
    parts = [
        f"{tally.missing_in_target:,} missing in target",
        f"{tally.missing_in_source:,} missing in source",
        f"{tally.changed:,} changed",
    ]
    if unmatched:
        parts.append(f"{unmatched:,} not matched through the crosswalk")
    return ", ".join(parts)


@dataclass(frozen=True)
class Pii:
    """What a result masks: the values of pii fields, and the key columns a pii field names
    (on the source side). Worked out once a result: a run may hold 10,000 mismatched keys."""

    fields: frozenset[str]
    columns: frozenset[str]

    @classmethod
    def of(cls, plan: Plan) -> Pii:
        specs = [p.spec for p in plan.fields if p.spec is not None and p.spec.pii]
        return cls(frozenset(s.name for s in specs), frozenset(s.source for s in specs))

    def masked(self, key: MismatchedKey) -> MismatchedKey:
        if not self.fields and not self.columns:
            return key
        return MismatchedKey(self.masked_key(key.key), key.kind, self.masked_fields(key.fields))

    def masked_fields(self, values: dict[str, list[str | None]]) -> dict[str, list[str | None]]:
        if not self.fields:
            return values
        return {
            name: [mask(v) for v in pair] if name in self.fields else pair
            for name, pair in values.items()
        }

    def masked_key(self, key: dict[str, object]) -> dict[str, object]:
        if not self.columns:
            return key
        return {name: mask(v) if name in self.columns else v for name, v in key.items()}


def _shown(plan: Plan, fields: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Sampled values as the systems hold them: a number's canonical form (`96.820000`)
    without the zeros the comparison scale added (`96.82`, `177.1`, `5`)."""
    numbers = {
        p.spec.name if p.spec else p.target.name
        for p in plan.fields
        if "number" in (p.source_category, p.target_category)
    }
    return {
        name: [_number_text(v) for v in pair] if name in numbers else pair
        for name, pair in fields.items()
    }


def _number_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value  # masked or not a number: as it came
    if not number.is_finite():
        return value
    return f"{number.normalize():f}"


def reproducing(queries: dict[str, str]) -> str | None:
    """Of the sides' queries (`side_queries`), the one a result shows: the SELECT of the
    differing rows on the target (or the source when the target is files)."""
    return queries.get("target") or queries.get("source")


def side_queries(plan: Plan, keys: tuple[MismatchedKey, ...]) -> dict[str, str]:
    """For each SQL side, the SELECT of the sampled differing keys' rows there: a key missing
    in the target shows up in the source query, and the other way round. No query when a key
    value is masked (pii), since the masked value would select nothing."""
    if not keys or any(_is_masked(v) for k in keys for v in k.key.values()):
        return {}
    queries: dict[str, str] = {}
    for side, dataset, names in (
        ("source", plan.spec.source, [p.source.name for p in plan.keys]),
        ("target", plan.spec.target, [p.target.name for p in plan.keys]),
    ):
        if side == "source" and plan.spec.crosswalk is not None:
            continue  # keys are the target's: the source holds other ones
        if isinstance(dataset.system, SqlSystem):
            query = _select_keys(dataset, names, plan, keys)
            if query is not None:
                queries[side] = query
    return queries


def _is_masked(value: object) -> bool:
    return isinstance(value, str) and value.startswith("***")


def _select_keys(
    dataset: Dataset, names: list[str], plan: Plan, keys: tuple[MismatchedKey, ...]
) -> str | None:
    if any(p.source_category not in ("integer", "text") for p in plan.keys):
        return None
    assert isinstance(dataset.system, SqlSystem)
    cols: list[sa.ColumnClause[Any]] = [sa.column(n) for n in names]
    if dataset.query is not None:
        rel: sa.FromClause = query_clause(dataset.query).columns(*cols).subquery("q")
    else:
        schema, _, table = str(dataset.table).rpartition(".")
        rel = sa.table(table, *cols, schema=schema or None)
    source_names = [p.source.name for p in plan.keys]
    wanted = [
        sa.and_(*[rel.c[n] == k.key[s] for n, s in zip(names, source_names, strict=True)])
        for k in keys
    ]
    query = sa.select(sa.text("*")).select_from(rel).where(sa.or_(*wanted))
    try:
        dialect = engine_for(dataset.system).dialect
        return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except Exception:  # the query is a convenience: never let it break the check
        return None
