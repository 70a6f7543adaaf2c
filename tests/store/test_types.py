"""UTC timestamps and JSON documents, on both engines."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from checks.result import CheckKind, CheckResult, Outcome, Severity
from store.errors import NotStorable
from store.schema import check_results, runs
from store.store import ResultStore
from store.types import UTCDateTime, fingerprint, same_document, to_jsonable

BERLIN_WINTER = timezone(timedelta(hours=1))


def test_aware_timestamps_come_back_as_the_same_instant_in_utc(store: ResultStore) -> None:
    local = datetime(2026, 11, 2, 11, 30, 15, 123456, tzinfo=BERLIN_WINTER)
    run_id = store.begin_run("orders", local)
    with store.engine.connect() as connection:
        started = connection.execute(
            sa.select(runs.c.started_at).where(runs.c.id == run_id)
        ).scalar_one()
    assert started == local
    assert started.tzinfo is UTC
    assert started.hour == 10 and started.microsecond == 123456


def test_naive_timestamps_are_refused_and_nothing_is_written(store: ResultStore) -> None:
    with pytest.raises(NotStorable, match="no time zone"):
        store.begin_run("orders", datetime(2026, 11, 2, 10, 0))
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(runs)).scalar() == 0


def test_timestamp_comparisons_follow_time_not_text(store: ResultStore) -> None:
    early = datetime(2026, 11, 2, 9, 59, 59, tzinfo=UTC)
    late = datetime(2026, 11, 2, 10, 0, 0, 1, tzinfo=UTC)
    store.begin_run("a", early)
    store.begin_run("b", late)
    cutoff = datetime(2026, 11, 2, 11, 0, tzinfo=BERLIN_WINTER)  # 10:00 UTC
    with store.engine.connect() as connection:
        before = connection.execute(
            sa.select(runs.c.integration).where(runs.c.started_at < cutoff)
        ).scalars()
        assert list(before) == ["a"]


def test_metrics_are_normalised_to_json(store: ResultStore) -> None:
    run_id = store.begin_run("orders", datetime(2026, 11, 2, tzinfo=UTC))
    result = CheckResult(
        "freshness",
        CheckKind.FRESHNESS,
        Outcome.PASSED,
        Severity.ERROR,
        metrics={
            "lag_seconds": Decimal("812.5"),
            "newest": datetime(2026, 11, 2, 10, tzinfo=BERLIN_WINTER),
            "day": date(2026, 11, 2),
            "ratio": math.nan,
            "columns": ("a", "b"),
        },
        headline="lag_seconds",
        sample=[{"sku": "A-1", "updated_at": datetime(2026, 11, 1, tzinfo=UTC)}],
    )
    store.complete_run(run_id, datetime(2026, 11, 2, 0, 1, tzinfo=UTC), [result])
    with store.engine.connect() as connection:
        row = connection.execute(sa.select(check_results)).one()
    assert row.metrics == {
        "lag_seconds": 812.5,
        "newest": "2026-11-02T09:00:00+00:00",
        "day": "2026-11-02",
        "ratio": None,
        "columns": ["a", "b"],
    }
    assert row.headline_value == 812.5
    assert row.sample == [{"sku": "A-1", "updated_at": "2026-11-01T00:00:00+00:00"}]


def test_unstorable_metrics_roll_the_whole_run_back(store: ResultStore) -> None:
    run_id = store.begin_run("orders", datetime(2026, 11, 2, tzinfo=UTC))
    good = CheckResult("volume", CheckKind.VOLUME, Outcome.PASSED, Severity.ERROR)
    bad = CheckResult(
        "reconcile", CheckKind.RECONCILE, Outcome.PASSED, Severity.ERROR, metrics={"x": object()}
    )
    with pytest.raises(NotStorable, match=r"reconcile: metrics\.x: object"):
        store.complete_run(run_id, datetime(2026, 11, 2, 0, 1, tzinfo=UTC), [good, bad])
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(runs.c.status)).scalar_one() == "running"
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(check_results)).scalar() == 0
        )


def test_fingerprint_ignores_key_order_but_not_values() -> None:
    assert fingerprint({"country": "DE", "sku": "A"}) == fingerprint({"sku": "A", "country": "DE"})
    assert fingerprint({"sku": "A"}) != fingerprint({"sku": "B"})
    assert fingerprint({"id": 1}) != fingerprint({"id": "1"})


@pytest.mark.parametrize(
    "key",
    [
        {"sku": "SKU-1"},
        {"sku": "A", "country": "DE", "n": 7, "flag": True, "gone": None},
        {"z": 0, "minus": -12345678901234567890, "no": False, "line": "a\nb\x01"},
        {"Z": "upper sorts first", "a": "lower"},
        {"sku": "Ümlaut"},
        {"sku": "nul\x00inside"},
        {"nul\x00name": "x"},
        {"sku": 'quote " and back\\slash\ttab'},
        {"at": datetime(2026, 1, 1, tzinfo=UTC), "price": Decimal("1.50"), "f": 0.5},
        {"nested": {"b": [1, 2], "a": None}},
        {},
        ["not", "a", "dict"],
    ],
)
def test_fingerprint_is_the_digest_of_the_stored_json(key: object) -> None:
    """The fast path for flat keys digests the same text as the normalised key's JSON: the
    key_hash of rows stored before it stays their key's fingerprint."""
    text = json.dumps(to_jsonable(key), sort_keys=True, separators=(",", ":"))
    assert fingerprint(key) == hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=BERLIN_WINTER),
        datetime(1000, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 0, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ],
)
def test_sqlite_timestamp_text_is_the_fixed_width_format(at: datetime) -> None:
    """The text SQLite keeps, whichever way it is written: the one format every stored
    timestamp has, so text order stays time order."""
    stored = UTCDateTime().process_bind_param(at, sa.create_engine("sqlite://").dialect)
    assert stored == at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def test_same_document_is_json_equality_with_types_and_key_order() -> None:
    assert same_document(
        {"p": ["1.5", None], "q": [1, 2.5, True]}, {"p": ["1.5", None], "q": [1, 2.5, True]}
    )
    assert not same_document({"q": [1]}, {"q": [1.0]})
    assert not same_document({"q": [1]}, {"q": [True]})
    assert not same_document({"q": [1, 2]}, {"q": (1, 2)})  # to_jsonable's to convert
    assert not same_document({"q": 1.5}, {"q": Decimal("1.5")})
    assert not same_document({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert not same_document({"a": [1]}, {"a": [1, 2]})
    assert same_document(None, None) and same_document({}, {})


def test_to_jsonable_converts_sets_and_infinities() -> None:
    assert to_jsonable({1: {3, 2}, "x": -math.inf, "d": Decimal("NaN")}) == {
        "1": [2, 3],
        "x": None,
        "d": None,
    }


def test_an_unstorable_value_deep_inside_is_named_by_its_place() -> None:
    """The fast walk names no place; a value it cannot store is looked for again by place."""
    doc = {"queries": [{"sql": "SELECT 1", "took": 0.1}, {"params": (1, {"at": object()})}]}
    with pytest.raises(NotStorable, match=r"^m\.queries\[1\]\.params\[1\]\.at: object cannot"):
        to_jsonable(doc, "m")
    two_hours_east = timezone(timedelta(hours=2))
    assert to_jsonable(
        {
            "t": (1, "a\x00"),
            "m": {"k": [Decimal("1.5")]},
            "at": [datetime(2020, 1, 1, 2, 0, 0, 0, two_hours_east)],
        }
    ) == {"t": [1, "a\ufffd"], "m": {"k": [1.5]}, "at": ["2020-01-01T00:00:00+00:00"]}
