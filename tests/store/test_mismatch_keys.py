"""Mismatched keys seen again (store/history.py, age_mismatch_keys): every one moves
`last_seen` and `last_run_id`; its kind and fields are written again only when they changed,
and then as a first sighting would write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from checks.result import CheckKind, CheckResult, MismatchedKey, Outcome, Severity
from store import history
from store.schema import mismatch_keys
from store.store import ResultStore
from store.types import to_jsonable

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def record(store: ResultStore, at: datetime, keys: dict[str, tuple[str, dict[str, Any]]]) -> int:
    found = tuple(MismatchedKey({"sku": sku}, kind, fields) for sku, (kind, fields) in keys.items())
    counted = {"changed": len(keys), "mismatch_rate": 0.1}
    result = CheckResult(
        "reconcile", CheckKind.RECONCILE, Outcome.FAILED, Severity.ERROR, counted,
        mismatched_keys=found,
    )  # fmt: skip
    run_id = store.begin_run("orders", at - timedelta(seconds=30))
    store.complete_run(run_id, at, [result])
    return run_id


def stored(store: ResultStore) -> dict[str, tuple[Any, ...]]:
    c = mismatch_keys.c
    query = sa.select(c.key, c.id, c.kind, c.fields, c.first_seen, c.last_seen, c.last_run_id)
    with store.engine.connect() as connection:
        found = connection.execute(query.where(c.resolved_at.is_(None)).order_by(c.id))
        return {key["sku"]: tuple(rest) for key, *rest in found}


def test_keys_seen_again_take_a_new_kind_or_new_fields_and_keep_the_rest(
    store: ResultStore,
) -> None:
    t1, t2 = T0, T0 + timedelta(hours=1)
    first: dict[str, tuple[str, dict[str, Any]]] = {
        "same": ("changed", {"price": ["1.50", "2.00"], "qty": [1, 2]}),
        "new fields": ("changed", {"price": ["1.50", "2.00"]}),
        "new kind": ("missing_in_target", {}),
        "int to float": ("changed", {"qty": [1, 2]}),
        "tuple": ("changed", {"qty": [1, 2]}),
        "other order": ("changed", {"price": ["1", "2"], "name": ["a", "b"]}),
    }
    run_one = record(store, t1, first)
    ids = {sku: row[0] for sku, row in stored(store).items()}
    second: dict[str, tuple[str, dict[str, Any]]] = {
        **first,
        "new fields": ("changed", {"price": ["1.50", "2.50"]}),
        "new kind": ("missing_in_source", {}),
        "int to float": ("changed", {"qty": [1.0, 2]}),  # equal in Python, not as JSON
        "tuple": ("changed", {"qty": (1, 2)}),  # to_jsonable's to convert: written again
        "other order": ("changed", {"name": ["a", "b"], "price": ["1", "2"]}),
    }
    run_two = record(store, t2, second)
    rows = stored(store)
    assert {sku: row[0] for sku, row in rows.items()} == ids  # no key opened again
    for sku, (kind, fields) in second.items():
        _, got_kind, got_fields, first_seen, last_seen, last_run = rows[sku]
        assert (got_kind, first_seen, last_seen, last_run) == (kind, t1, t2, run_two), sku
        assert got_fields == to_jsonable(fields), sku
    assert type(rows["int to float"][2]["qty"][0]) is float
    assert run_one != run_two


def test_many_keys_are_moved_and_resolved_in_chunks(
    store: ResultStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "_IDS_PER_STATEMENT", 2)
    keys = {f"K{i}": ("changed", {"price": [i, i + 1]}) for i in range(5)}
    record(store, T0, keys)
    run_two = record(store, T0 + timedelta(hours=1), keys)
    assert [row[4:] for row in stored(store).values()] == [(T0 + timedelta(hours=1), run_two)] * 5
    record(store, T0 + timedelta(hours=2), {})
    assert stored(store) == {}
