"""Tail buckets (checks/reconcile/key_tails.py): every engine computes the bucket Python does,
byte for byte, for keys that collations, padding or multi-byte characters could blur; keys
whose tails are alike keep MD5 buckets; counts stay exact either way."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from checks.reconcile import buckets, checksum_engine, key_tails, reconcile
from checks.reconcile.canonical_form import install_sqlite_functions
from checks.result import Outcome, Severity
from checks.spec import FieldSpec, ReconcileSpec
from tests.reconcile.tables import load

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
ODD_KEYS = [
    "",
    "a",
    "A",
    "a ",
    " a",
    "\t",
    "ß",
    "Ω",
    "é",
    "e\u0301",
    "日本語のキー",
    "ab😀cdefgh",  # a 4-byte character across the 8-byte window's edge
    "€€€€",
    "SKU-000000123",
    "x" * 40,
    "k\x1f-5",
    "\U0010ffff",
]
COUNTS = (1, 8, 65_536, 1 << 18)


def test_python_twin_reads_the_last_eight_bytes() -> None:
    assert key_tails.tail_of("") == 0
    assert key_tails.tail_of("a") == 0x61
    assert key_tails.tail_of("xxabcdefgh") == int.from_bytes(b"abcdefgh", "big") % (10**9 + 7)
    assert key_tails.tail_of("€") == 0xE282AC  # UTF-8 bytes, not the code point
    assert {key_tails.bucket_of(k, 1) for k in ODD_KEYS} == {0}
    spread = {key_tails.bucket_of(f"SKU-{i:09d}", 64) for i in range(1_000)}
    assert spread == set(range(64))  # neighbouring keys reach every bucket


@pytest.mark.parametrize("where", ["pg_url", "mariadb_url", "sqlite_url"])
def test_every_engine_computes_the_python_bucket(
    where: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(where)
    collate = "utf8mb4_general_ci" if where == "mariadb_url" else None  # case/pad-insensitive
    rows = [[i, k] for i, k in enumerate(ODD_KEYS)]
    dataset = load(url, [("id", "key_int"), ("k", "key_text")], rows, key=["id"], collate=collate)
    dialect = {"pg_url": "postgresql", "mariadb_url": "mysql", "sqlite_url": "sqlite"}[where]
    table = sa.table(str(dataset.table), sa.column("id"), sa.column("k"))
    text: Any = sa.cast(table.c.k, sa.Text) if dialect == "postgresql" else table.c.k
    wanted = [key_tails.bucket_sql(dialect, text, n).label(f"b{n}") for n in COUNTS]
    query = sa.select(table.c.id, key_tails.tail_sql(dialect, text), *wanted)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        if dialect == "sqlite":
            install_sqlite_functions(conn.connection.dbapi_connection)  # type: ignore[arg-type]
        found = {row[0]: tuple(row[1:]) for row in conn.execute(query.order_by(table.c.id))}
    engine.dispose()
    for i, key in enumerate(ODD_KEYS):
        expected = (key_tails.tail_of(key), *[key_tails.bucket_of(key, n) for n in COUNTS])
        assert found[i] == expected, repr(key)


def test_hash_bucket_counts_are_the_nearest_power_of_two() -> None:
    """About BUCKET_ROWS / 2 rows a bucket, rounded on a log scale: a row estimate just over
    2**20 for a 1M-row table keeps 131,072 buckets (rounding up gave 262,144, 4 rows each,
    and runs 40% slower)."""
    assert buckets.hashed_count(0) == 1
    assert buckets.hashed_count(1_000_000) == 131_072
    assert buckets.hashed_count(1_050_000) == 131_072
    assert buckets.hashed_count(1_500_000) == 262_144
    for rows in (10, 1_000, 77_777, 3_000_000):
        fill = rows / buckets.hashed_count(rows)
        assert buckets.BUCKET_ROWS / 2 / 2**0.5 < fill <= buckets.BUCKET_ROWS / 2 * 2**0.5
    assert buckets.hashed_count(10**12) == buckets.MAX_BUCKETS


def test_bucket_counts_must_be_powers_of_two() -> None:
    with pytest.raises(AssertionError):
        key_tails.bucket_sql("postgresql", sa.column("k"), 12)


def _chosen(monkeypatch: pytest.MonkeyPatch) -> list[buckets.Buckets]:
    """The buckets each pass of a reconcile used."""
    seen: list[buckets.Buckets] = []
    real_choose, real_hashed = buckets.choose, buckets.hashed

    def choose(*extents: Any) -> buckets.Buckets:
        seen.append(real_choose(*extents))
        return seen[-1]

    def hashed(rows: int) -> buckets.Buckets:
        seen.append(real_hashed(rows))
        return seen[-1]

    monkeypatch.setattr(checksum_engine, "choose", choose)
    monkeypatch.setattr(buckets, "hashed", hashed)
    return seen


def _reconciled(
    pg_url: str,
    target_at: str,
    keys: Sequence[str | tuple[str, ...]],
    target_keys: Sequence[str | tuple[str, ...]],
    tmp: Any = None,
) -> dict[str, Any]:
    """Reconcile PostgreSQL rows (key, name) against rows at `target_at` (a MariaDB URL, under a
    case- and pad-insensitive collation, or "file"); every tenth common key changed. A key is
    one text (column id) or a tuple of texts (columns k0, k1, ...)."""
    source_keys, other_keys = [_parts(k) for k in keys], [_parts(k) for k in target_keys]
    width = len(source_keys[0])
    names = ["id"] if width == 1 else [f"k{i}" for i in range(width)]
    cols = [(n, "key_text") for n in names] + [("name", "text")]
    common = set(source_keys) & set(other_keys)
    changed = {k for i, k in enumerate(sorted(common)) if i % 10 == 3}
    source = load(pg_url, cols, [[*k, f"n {k}"] for k in source_keys], key=names)
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:  # statistics, as autovacuum keeps them (distinct_columns)
        conn.exec_driver_sql(f"ANALYZE {source.table}")
    engine.dispose()
    target_rows = [[*k, f"n {k}" + ("!" if k in changed else "")] for k in other_keys]
    collate = "utf8mb4_general_ci" if target_at != "file" else None
    target = load(target_at, cols, target_rows, key=names, collate=collate, tmp=tmp)
    pairs = (FieldSpec("name", "name"),)
    spec = ReconcileSpec(source, target, tuple(names), tuple(names), pairs, Severity.ERROR)
    result = reconcile(spec, NOW)
    assert result.outcome is Outcome.FAILED, result.reason
    m = result.metrics
    assert (m["missing_in_target"], m["missing_in_source"], m["changed"]) == (
        len(set(source_keys) - set(other_keys)),
        len(set(other_keys) - set(source_keys)),
        len(changed),
    )
    return m


def _parts(key: str | tuple[str, ...]) -> tuple[str, ...]:
    return key if isinstance(key, tuple) else (key,)


def test_tail_buckets_count_odd_keys_exactly(
    monkeypatch: pytest.MonkeyPatch, pg_url: str, mariadb_url: str
) -> None:
    """Mixed case, trailing spaces and composed/decomposed letters are different keys to
    dxq, even where MariaDB's collation takes them for one."""
    seen = _chosen(monkeypatch)
    monkeypatch.setattr(buckets, "BUCKET_ROWS", 2)
    keys = [f"Key-{i * 7919 % 10007:05d}" for i in range(300)]
    source = [*keys, "Case-1", "pad ", "é", "日本", "ab😀cdefgh"]
    target = [k for i, k in enumerate(keys) if i % 9 != 4]
    target += ["CASE-1", "pad", "e\u0301", "日本", "ab😀cdefgh", "only-in-target"]
    _reconciled(pg_url, mariadb_url, source, target)
    assert [b.tail for b in seen] == [True]


def test_keys_with_alike_tails_keep_md5_buckets(
    monkeypatch: pytest.MonkeyPatch, pg_url: str, mariadb_url: str
) -> None:
    seen = _chosen(monkeypatch)
    keys = [f"user{i}@example.com" for i in range(200)]
    _reconciled(pg_url, mariadb_url, keys, [*keys[5:], "new@example.com"])
    assert [b.tail for b in seen] == [False]


def test_a_too_full_tail_bucket_falls_back_to_md5(
    monkeypatch: pytest.MonkeyPatch, pg_url: str, mariadb_url: str
) -> None:
    seen = _chosen(monkeypatch)
    monkeypatch.setattr(buckets, "BUCKET_ROWS", 50)
    monkeypatch.setattr(checksum_engine, "MAX_RANGED_ROWS", 10)
    keys = [f"k{i:04d}" for i in range(120)]
    _reconciled(pg_url, mariadb_url, keys, keys[3:])
    assert [b.tail for b in seen] == [True, False]


def test_buckets_take_the_tail_every_sample_found_apart() -> None:
    """A column of a composite key whose tails alone are apart on every sampled side is
    bucketed alone (the first such column); else the whole key text; else MD5."""
    rows = 1_000

    def chosen(
        *samples: frozenset[int | None] | None, distinct: frozenset[int] = frozenset({0, 1})
    ) -> tuple[bool, int | None]:
        known = [distinct, *[frozenset[int]()] * (len(samples) - 1)]  # the first side knows
        found = buckets.choose(
            *[
                buckets.Extent(rows, tails=s, distinct=k)
                for s, k in zip(samples, known, strict=True)
            ]
        )
        return found.tail, found.tail_column

    assert chosen(frozenset({None, 1}), frozenset({None, 1})) == (True, 1)
    assert chosen(frozenset({None, 0, 1}), frozenset({None, 1, 0})) == (True, 0)
    assert chosen(frozenset({None, 0, 1}), frozenset({None, 1, 0}), distinct=frozenset({1})) == (
        True,
        1,
    )
    assert chosen(frozenset({None, 1}), frozenset({None})) == (True, None)
    assert chosen(frozenset({None, 1}), None) == (True, 1)  # a file side is not sampled
    assert chosen(frozenset({1}), frozenset({None})) == (False, None)
    assert chosen(frozenset(), frozenset({None})) == (False, None)
    assert chosen(None, None) == (False, None)
    # apart in the samples, but no database knows the column distinct: the whole key
    assert chosen(frozenset({None, 1}), frozenset({None, 1}), distinct=frozenset()) == (True, None)
    column = buckets.Buckets(64, tail=True, tail_column=1)
    assert column.of_key(("DE", "SKU-1")) == key_tails.bucket_of("SKU-1", 64)
    whole = buckets.Buckets(64, tail=True)
    assert whole.of_key(("DE", "SKU-1")) == key_tails.bucket_of("DE\x1fSKU-1", 64)


@pytest.mark.parametrize("where", ["mariadb_url", "file"])
def test_a_composite_key_is_bucketed_by_the_column_whose_tails_are_apart(
    where: str,
    monkeypatch: pytest.MonkeyPatch,
    pg_url: str,
    tmp_path: Any,
    request: pytest.FixtureRequest,
) -> None:
    """(country, SKU): the SKUs' tails alone are apart and PostgreSQL's statistics know them
    distinct, so buckets are theirs, computed alike by PostgreSQL, MariaDB and Python, odd keys
    included."""
    seen = _chosen(monkeypatch)
    monkeypatch.setattr(buckets, "BUCKET_ROWS", 2)
    countries = ["DE", "FR", "GB"]
    keys = [(countries[i % 3], f"SKU-{i * 7919 % 10007:05d}") for i in range(300)]
    odd = [("DE", "Case-1"), ("FR", "pad "), ("GB", "é"), ("DE", "日本"), ("FR", "ab😀cdefgh")]
    target = [k for i, k in enumerate(keys) if i % 9 != 4]
    target += [("DE", "CASE-1"), ("FR", "pad"), ("GB", "e\u0301"), ("DE", "日本")]
    target += [("FR", "ab😀cdefgh"), ("GB", "only-in-target")]
    target_at = where if where == "file" else request.getfixturevalue(where)
    _reconciled(pg_url, target_at, [*keys, *odd], target, tmp_path)
    assert [(b.tail, b.tail_column) for b in seen] == [(True, 1)]


def test_a_composite_key_with_no_column_apart_alone_is_bucketed_by_its_whole_text(
    monkeypatch: pytest.MonkeyPatch, pg_url: str, mariadb_url: str, tmp_path: Any
) -> None:
    """(order, line): neither column's tails are apart alone, the joined key's are."""
    seen = _chosen(monkeypatch)
    keys = [(f"ORD-{i // 4:05d}", f"{i % 4}") for i in range(400)]
    target = [k for i, k in enumerate(keys) if i % 11 != 5] + [("ORD-99999", "0")]
    _reconciled(pg_url, mariadb_url, keys, target)
    assert [(b.tail, b.tail_column) for b in seen] == [(True, None)]


def test_a_column_that_repeats_under_the_others_is_not_bucketed_alone(
    monkeypatch: pytest.MonkeyPatch, pg_url: str, mariadb_url: str
) -> None:
    """(store, SKU), each store's SKUs the same, loaded store by store: both samples (a
    table's first rows: one store) find the SKUs' tails apart, but PostgreSQL's statistics know
    each SKU three times, so the SKUs alone, which would put each SKU's three rows in one
    bucket, are not taken."""
    seen = _chosen(monkeypatch)
    skus = [f"SKU-{i * 7919 % 10007:05d}" for i in range(key_tails.SAMPLE_ROWS + 100)]
    keys = [(store, sku) for store in ("s1", "s2", "s3") for sku in skus]
    target = [k for i, k in enumerate(keys) if i % 13 != 6]
    _reconciled(pg_url, mariadb_url, keys, target)
    assert [(b.tail, b.tail_column) for b in seen] == [(True, None)]


@pytest.mark.parametrize("indexed", [True, False])
def test_a_unique_index_on_the_column_alone_makes_it_known_distinct(
    indexed: bool, monkeypatch: pytest.MonkeyPatch, mariadb_url: str, tmp_path: Any
) -> None:
    """MariaDB keeps no column statistics here: a unique index on the SKUs alone is what tells
    that they are distinct (against a file, which is not sampled); without it, the whole key."""
    seen = _chosen(monkeypatch)
    cols = [("k0", "key_text"), ("k1", "key_text"), ("name", "text")]
    rows = [[f"c{i % 3}", f"SKU-{i * 7919 % 10007:05d}", f"n {i}"] for i in range(300)]
    source = load(mariadb_url, cols, rows, key=["k0", "k1"])
    if indexed:
        engine = sa.create_engine(mariadb_url)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE UNIQUE INDEX u_sku ON {source.table} (k1)")
        engine.dispose()
    target = load("file", cols, [r for i, r in enumerate(rows) if i % 7 != 2], key=[], tmp=tmp_path)
    pairs = (FieldSpec("name", "name"),)
    spec = ReconcileSpec(source, target, ("k0", "k1"), ("k0", "k1"), pairs, Severity.ERROR)
    result = reconcile(spec, NOW)
    assert result.outcome is Outcome.FAILED, result.reason
    assert result.metrics["missing_in_target"] == len([i for i in range(300) if i % 7 == 2])
    assert [(b.tail, b.tail_column) for b in seen] == [(True, 1 if indexed else None)]
