"""Review findings: equal data gives equal answers on every engine, and the edge rules hold
(NULL keys, ASCII case mapping, autumn DST hour, doubles, integer vs text keys, query column
types, MariaDB session settings, in-flight keys)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import sqlalchemy as sa

from checks.reconcile import buckets, reconcile
from checks.reconcile.buckets import Buckets, coarser
from checks.result import CheckResult, Outcome, Severity
from checks.spec import FieldSpec, ReconcileSpec
from datasources.connection import engine_for
from datasources.dataset import Dataset, FileSystem, SqlSystem
from tests.reconcile.tables import load, unique

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
URLS = {"pg": "pg_url", "mariadb": "mariadb_url", "sqlite": "sqlite_url"}


def _where(kind: str, request: pytest.FixtureRequest) -> str:
    return "file" if kind == "file" else str(request.getfixturevalue(URLS[kind]))


def _run(
    source: Dataset, target: Dataset, *fields: FieldSpec, key: tuple[str, ...] = ("id",), **kw: Any
) -> CheckResult:
    spec = ReconcileSpec(source, target, key, key, fields, Severity.ERROR, sample=10, **kw)
    return reconcile(spec, NOW)


def _csv(tmp: Path, text: str, zone: str = "UTC") -> Dataset:
    name = unique("csv")
    path = tmp / f"{name}.csv"
    path.write_text(text)
    return Dataset(FileSystem(name, str(path), "csv", timezone=zone))


@pytest.mark.parametrize(
    ("source_kind", "target_kind"),
    [("pg", "pg"), ("sqlite", "sqlite"), ("mariadb", "mariadb"), ("pg", "mariadb"), ("file", "pg")],
)
def test_null_keys_are_an_error_on_every_engine(
    source_kind: str, target_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    cols = [("id", "key_text"), ("name", "text")]
    rows: list[list[Any]] = [["a", "x"], [None, "orphan one"], [None, "orphan two"], ["b", "y"]]
    source = load(_where(source_kind, request), cols, rows, key=[], tmp=tmp_path)
    target = load(
        _where(target_kind, request), cols, [["a", "x"], ["b", "y"]], key=[], tmp=tmp_path
    )
    result = _run(source, target, FieldSpec("name", "name"))
    assert result.outcome is Outcome.ERROR
    assert f"2 rows of {source.label} have a NULL id" in str(result.reason)
    assert "needs a key on every row" in str(result.reason)
    if source_kind != "file":
        assert "orphan one" in str(result.reason)  # examples of the other columns


def test_null_key_in_a_csv_names_the_rows(pg_url: str, tmp_path: Path) -> None:
    source = _csv(tmp_path, "id,name\n1,a\n,b\n3,c\n")
    target = load(pg_url, [("id", "key_int"), ("name", "text")], [[1, "a"]], key=["id"])
    result = _run(source, target, FieldSpec("name", "name"))
    assert result.outcome is Outcome.ERROR
    assert "1 row of" in str(result.reason) and "row=2" in str(result.reason)


CASE_PAIRS = [
    ("pg", "sqlite"),
    ("mariadb", "sqlite"),
    ("pg", "mariadb"),
    ("file", "pg"),
    ("pg", "pg"),
    ("mariadb", "mariadb"),
]


@pytest.mark.parametrize(("source_kind", "target_kind"), CASE_PAIRS)
def test_case_normalisers_map_ascii_only_on_every_engine(
    source_kind: str, target_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    cols = [("id", "key_int"), ("name", "text")]
    source_rows = [[1, "ABC Straße"], [2, "ΣΑΣ"], [3, "İSTANBUL"], [4, "ÄRGER"], [5, "straße"]]
    target_rows = [[1, "abc straße"], [2, "ΣΑΣ"], [3, "İstanbul"], [4, "ärger"], [5, "STRASSE"]]
    source = load(_where(source_kind, request), cols, source_rows, key=["id"], tmp=tmp_path)
    target = load(_where(target_kind, request), cols, target_rows, key=["id"], tmp=tmp_path)
    lower = _run(source, target, FieldSpec("name", "name", normalize=("lower",)))
    assert lower.outcome is Outcome.FAILED, lower.reason
    assert {k.key["id"] for k in lower.mismatched_keys} == {4, 5}  # Ä and ß stay as they are
    upper = _run(source, target, FieldSpec("name", "name", normalize=("upper",)))
    assert {k.key["id"] for k in upper.mismatched_keys} == {4, 5}


@pytest.mark.parametrize("target_kind", ["sqlite", "file", "mariadb"])
def test_ambiguous_autumn_hour_is_winter_time_everywhere(
    target_kind: str, request: pytest.FixtureRequest, pg_url: str, tmp_path: Path
) -> None:
    """2026-10-25 02:30 in Paris happens twice; PostgreSQL reads it as winter time (01:30 UTC),
    and so must Python and MariaDB. A spring 02:30 (skipped) is read with the offset before the
    change. The hours around both changes, the days either side and a summer time with
    microseconds are read with their one offset."""
    local = [(2026, 10, 25, 2, 30), (2026, 3, 29, 2, 30), (2026, 10, 25, 1, 30)]
    local += [(2026, 10, 25, 3, 30), (2026, 3, 29, 1, 30), (2026, 3, 29, 3, 30)]
    local += [(2026, 10, 24, 2, 30), (2026, 10, 26, 2, 30), (2026, 7, 1, 12, 0, 0, 5)]
    naive = [[i, datetime(*parts)] for i, parts in enumerate(local, start=1)]
    source = load(pg_url, [("id", "key_int"), ("at", "ts")], naive, key=["id"], zone="Europe/Paris")
    target_where = _where(target_kind, request)
    if target_kind == "mariadb":
        engine = sa.create_engine(target_where)
        with engine.connect() as conn:
            probe = "SELECT CONVERT_TZ('2026-10-25 02:30:00', 'Europe/Paris', '+00:00')"
            if conn.exec_driver_sql(probe).scalar() is None:
                engine.dispose()
                pytest.skip("MariaDB has no time zone tables (mariadb-tzinfo-to-sql)")
        engine.dispose()
    target = load(
        target_where,
        [("id", "key_int"), ("at", "ts")],
        naive,
        key=["id"],
        zone="Europe/Paris",
        tmp=tmp_path,
    )
    instants = [(2026, 10, 25, 1, 30), (2026, 3, 29, 1, 30), (2026, 10, 24, 23, 30)]
    instants += [(2026, 10, 25, 2, 30), (2026, 3, 29, 0, 30), (2026, 3, 29, 1, 30)]
    instants += [(2026, 10, 24, 0, 30), (2026, 10, 26, 1, 30), (2026, 7, 1, 10, 0, 0, 5)]
    utc = [[i, datetime(*parts, tzinfo=UTC)] for i, parts in enumerate(instants, start=1)]
    truth = load(pg_url, [("id", "key_int"), ("at", "tstz")], utc, key=["id"])
    for a, b in ((source, target), (target, source), (target, truth), (source, truth)):
        result = _run(a, b, FieldSpec("at", "at"))
        assert result.outcome is Outcome.PASSED, (result.reason, result.sample)
        assert result.metrics["compared"] == len(local)


@pytest.mark.parametrize(
    ("source_kind", "target_kind"), [("pg", "mariadb"), ("mariadb", "sqlite"), ("file", "mariadb")]
)
def test_doubles_agree_on_every_engine(
    source_kind: str, target_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    values = [123456789.1234565, 0.1 + 0.2, 1.0000005, -0.0000005, 2.5e-7, 1e20, 0.0]
    rows = [[i, v] for i, v in enumerate(values)]
    cols = [("id", "key_int"), ("x", "float")]
    source = load(_where(source_kind, request), cols, rows, key=["id"], tmp=tmp_path)
    target = load(_where(target_kind, request), cols, rows, key=["id"], tmp=tmp_path)
    result = _run(source, target, FieldSpec("x", "x"))
    assert result.outcome is Outcome.PASSED, result.sample
    assert result.metrics["compared"] == len(values)
    changed = load(
        _where(target_kind, request), cols, [[0, 123456789.123457]], key=["id"], tmp=tmp_path
    )
    one = _run(source, changed, FieldSpec("x", "x"))
    assert (
        one.metrics["changed"] == 0 and one.metrics["missing_in_source"] == 0
    )  # .1234565 -> .123457


def _text_keyed(url: str, rows: list[list[Any]]) -> Dataset:
    name = unique()
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    table = sa.Table(
        name,
        meta,
        sa.Column("id", sa.String(20), primary_key=True),
        sa.Column("name", sa.String(20)),
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": r[0], "name": r[1]} for r in rows])
    engine.dispose()
    return Dataset(SqlSystem(name, url), table=name)


def test_integer_key_meets_text_key_as_digits(
    pg_url: str, mariadb_url: str, tmp_path: Path
) -> None:
    source = load(
        pg_url, [("id", "key_int"), ("name", "text")], [[1, "a"], [2, "b"], [3, "c"]], key=["id"]
    )
    target = _text_keyed(mariadb_url, [["1", "a"], ["2", "B"], ["4", "d"]])
    result = _run(source, target, FieldSpec("name", "name"))
    assert result.outcome is Outcome.FAILED, result.reason
    got = {(k.kind, k.key["id"]) for k in result.mismatched_keys}
    assert got == {("changed", 2), ("missing_in_target", 3), ("missing_in_source", 4)}
    csv = _csv(tmp_path, "id,name\n1,a\n2,b\n3,c\n")  # typed int64 by the file reader
    text_pg = _text_keyed(pg_url, [["1", "a"], ["2", "b"], ["3", "c"]])
    assert _run(csv, text_pg, FieldSpec("name", "name")).outcome is Outcome.PASSED
    same_db = _text_keyed(pg_url, [["1", "a"], ["2", "b"], ["3", "x"]])
    joined = _run(source, same_db, FieldSpec("name", "name"))
    assert joined.metrics["engine"] == "join" and joined.metrics["changed"] == 1


def test_incomparable_pair_names_both_columns_types_and_a_fix(pg_url: str) -> None:
    source = load(pg_url, [("id", "key_int"), ("at", "ts")], [[1, None]], key=["id"])
    target = load(pg_url, [("id", "key_int"), ("at", "int")], [[1, None]], key=["id"])
    result = _run(source, target, FieldSpec("at", "at"))
    reason = str(result.reason)
    assert result.outcome is Outcome.ERROR
    assert f"{source.label}.at (TIMESTAMP" in reason and f"{target.label}.at (BIGINT)" in reason
    assert "fix:" in reason


def test_unreadable_number_names_column_and_other_type(pg_url: str, tmp_path: Path) -> None:
    source = _csv(tmp_path, "id,price\n1,12.5\n2,abc\n")
    target = load(
        pg_url, [("id", "key_int"), ("price", "decimal")], [[1, 12.5], [2, 3]], key=["id"]
    )
    result = _run(source, target, FieldSpec("price", "price"))
    reason = str(result.reason)
    assert result.outcome is Outcome.ERROR
    assert "column 'price' holds 'abc'" in reason and "NUMERIC(18, 4)" in reason, reason


def test_query_column_types_come_from_the_database(pg_url: str, sqlite_url: str) -> None:
    rows = [[i, None if i <= 150 else i / 4] for i in range(1, 201)]
    table = load(pg_url, [("id", "key_int"), ("amount", "decimal")], rows, key=["id"])
    query = Dataset(table.system, query=f'SELECT id, amount FROM "{table.table}" ORDER BY id')
    target = load(sqlite_url, [("id", "key_int"), ("amount", "float")], rows, key=["id"])
    result = _run(query, target, FieldSpec("amount", "amount", tolerance=0.001))
    assert result.outcome is Outcome.PASSED, result.reason


def _session(url: str) -> tuple[Any, ...]:
    with engine_for(SqlSystem("probe", url)).connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT @@SESSION.time_zone, @@SESSION.optimizer_switch, "
            "@@SESSION.tmp_table_size, @@SESSION.max_heap_table_size, "
            "@@SESSION.group_concat_max_len"
        ).one()
        return tuple(row)


def test_mariadb_session_settings_do_not_leak(mariadb_url: str, pg_url: str) -> None:
    before = _session(mariadb_url)
    cols = [("id", "key_int"), ("name", "text")]
    source = load(mariadb_url, cols, [[1, "a"]], key=["id"])
    target = load(mariadb_url, cols, [[1, "b"]], key=["id"])
    source = Dataset(SqlSystem("probe", mariadb_url), table=source.table)
    target = Dataset(SqlSystem("probe", mariadb_url), table=target.table)
    assert _run(source, target, FieldSpec("name", "name")).metrics["engine"] == "join"
    assert _session(mariadb_url) == before
    other = load(pg_url, cols, [[1, "a"]], key=["id"])
    assert _run(source, other, FieldSpec("name", "name")).metrics["engine"] == "checksum"
    assert _session(mariadb_url) == before
    assert before[0] != "+00:00"  # otherwise the test could not see a leak


@pytest.mark.parametrize(("source_kind", "target_kind"), [("pg", "mariadb"), ("pg", "pg")])
def test_in_flight_rows_are_left_out_and_listed(
    source_kind: str, target_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Key 2 is equal on both sides but in flight: its bucket sums agree, yet it must not be
    counted; key 3 differs and is in flight. Both are listed in in_flight_keys."""
    cols = [("id", "key_int"), ("name", "text"), ("updated", "tstz")]
    old, new = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 29, 9, 59, tzinfo=UTC)
    rows = [[1, "a", old], [2, "b", new], [3, "c", new], [4, "d", old]]
    target_rows = [[1, "a", old], [2, "b", new], [3, "C", new], [4, "D", old]]
    source = load(_where(source_kind, request), cols, rows, key=["id"], tmp=tmp_path)
    target = load(_where(target_kind, request), cols, target_rows, key=["id"], tmp=tmp_path)
    with mock.patch.object(buckets, "BUCKET_ROWS", 1):  # one key per bucket
        result = _run(
            source,
            target,
            FieldSpec("name", "name"),
            grace_s=600,
            source_updated_column="updated",
            target_updated_column="updated",
        )
    assert result.metrics["compared"] == 2
    assert result.metrics["source_rows"] == 2 and result.metrics["changed"] == 1
    assert sorted(k["id"] for k in result.metrics["in_flight_keys"]) == [2, 3]


def test_pii_key_columns_are_masked_alike(pg_url: str, mariadb_url: str) -> None:
    cols = [("id", "key_text"), ("name", "text")]
    source = load(pg_url, cols, [["ann@example.com", "a"]], key=["id"])
    target = load(mariadb_url, cols, [["ann@example.com", "b"]], key=["id"])
    result = _run(source, target, FieldSpec("name", "name"), FieldSpec("id", "id", pii=True))
    key = result.mismatched_keys[0].key["id"]
    assert str(key).startswith("***") and "ann" not in str(result.sample)


def test_many_differing_buckets_coarsen_instead_of_streaming_everything() -> None:
    modulus, listed = coarser(1024, list(range(0, 1024, 4)), 100)
    assert modulus == 256 and listed == list(range(0, 256, 4))
    assert coarser(8, [1, 2, 3], 1) == (1, [0])
    spans = Buckets(100, low=0, width=10).bounds([0, 2, 3, 7, 50, 52], limit=2)
    assert spans == [(0, 79), (500, 529)]
    assert len(Buckets(100, low=0, width=10).bounds(list(range(0, 100, 2)), limit=7)) <= 7
