"""One SQL side of a reconcile: its columns, and the canonical queries run inside its database."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from checks.reconcile import buckets as bucketing
from checks.reconcile import key_checks, key_reads, key_split, key_tails, packed_sums
from checks.reconcile.buckets import Buckets, Extent
from checks.reconcile.errors import ReconcileError
from checks.reconcile.plan import Column, Pair, Plan
from checks.reconcile.prefetch import Prefetch
from checks.reconcile.session_settings import hash_memory
from datasources import canonical as c
from datasources.connection import translate_error
from datasources.dataset import Dataset, SqlSystem
from datasources.dialect import dialect_of
from datasources.errors import DatasourceError
from datasources.statement import query_clause

Row = tuple[int, tuple[str | None, ...], tuple[str | None, ...], bool]
SPANS_PER_QUERY = 500
UNLIMITED = 2**64 - 1  # MariaDB's "no limit"
FEW_ROWS = 64_000  # rows read at once, without a cursor (PostgreSQL, one side alone)
ESTIMATE_FLOOR = 100_000  # tables estimated smaller are counted: exactly, and cheaply


class SqlSide:
    """Canonical queries over one side; `role` is "source" or "target". `spare` opens another
    connection to the same system, prepared alike and closed with the check: the second
    connection of a split scan (checks/reconcile/key_split.py). `unique`: the column sets the
    database keeps unique (sql_columns.describe)."""

    def __init__(
        self,
        dataset: Dataset,
        conn: sa.Connection,
        plan: Plan,
        role: str,
        columns: dict[str, Column],
        spare: Callable[[], sa.Connection] | None = None,
        unique: Sequence[tuple[str, ...]] = (),
    ) -> None:
        assert isinstance(dataset.system, SqlSystem)
        self.dataset, self.conn, self.plan, self.role = dataset, conn, plan, role
        self.spare, self.unique = spare, unique
        self.split: tuple[sa.Connection, Any] | None = None  # (spare connection, split point)
        self.dialect = dialect_of(conn)
        self.zone = dataset.system.timezone
        self.relation = relation(dataset, columns)
        cols = self.relation.c
        self.keys = [self._canon(cols[self.column_of(p).name], p) for p in plan.keys]
        self.fields = [self._field(cols[self.column_of(p).name], p) for p in plan.fields]
        updated = plan.source_updated if role == "source" else plan.target_updated
        self.updated = None if plan.cutoff is None else updated  # the in-flight column, if any
        self.in_flight: sa.ColumnElement[Any] = sa.literal(0)
        if self.updated is not None:  # then plan.cutoff is set
            stamp = c.canonical(
                self.dialect, cols[self.updated.name], "timestamp", self.zone, self.updated.zoned
            )
            late = c.binary(self.dialect, stamp) > c.binary(self.dialect, sa.literal(plan.cutoff))
            self.in_flight = sa.case((late, 1), else_=0)
        self._check_zone()

    def column_of(self, pair: Pair) -> Column:
        return pair.source if self.role == "source" else pair.target

    def _canon(self, expr: sa.ColumnElement[Any], pair: Pair) -> sa.ColumnElement[Any]:
        column = self.column_of(pair)
        category = pair.source_category if self.role == "source" else pair.target_category
        floating = c.is_floating(column.type_name)
        return c.canonical(self.dialect, expr, category, self.zone, column.zoned, floating)

    def _field(self, expr: sa.ColumnElement[Any], pair: Pair) -> sa.ColumnElement[Any]:
        value = c.normalized(
            self.dialect, self._canon(expr, pair), pair.spec.normalize if pair.spec else ()
        )
        mapping = pair.source_map() if self.role == "source" else {}
        if mapping:
            cases = [
                (
                    c.binary(self.dialect, value) == c.binary(self.dialect, sa.literal(k)),
                    sa.literal(v),
                )
                for k, v in mapping.items()
            ]
            value = sa.case(*cases, else_=value)
        return value

    def _check_zone(self) -> None:
        if self.dialect != "mysql" or self.zone == "UTC":
            return
        probe = sa.select(sa.func.convert_tz("2000-01-01 00:00:00", self.zone, "+00:00"))
        if self.conn.execute(probe).scalar() is None:
            raise ReconcileError(
                f"{self.dataset.label}: MariaDB/MySQL cannot convert from time zone "
                f"{self.zone!r}: load its time zone tables (mariadb-tzinfo-to-sql)"
            )

    def canonical_select(self) -> sa.Select[Any]:
        """SELECT k0.., f0.., flight FROM the dataset: the canonical rows (keys byte-comparable)."""
        labelled = [c.binary(self.dialect, k).label(f"k{i}") for i, k in enumerate(self.keys)]
        labelled += [f.label(f"f{i}") for i, f in enumerate(self.fields)]
        return sa.select(*labelled, self.in_flight.label("flight")).select_from(self.relation)

    def _integer_key(self) -> sa.ColumnElement[Any] | None:
        """The raw key column when the key's first column is an integer column on both sides:
        buckets are then ranges of it, read by index range scans (a composite key's further
        columns only tell the rows of one bucket apart)."""
        if not self.plan.keys:
            return None
        pair = self.plan.keys[0]
        if pair.source.category != "integer" or pair.target.category != "integer":
            return None
        if "BOOL" in self.column_of(pair).type_name.upper():
            return None
        column: sa.ColumnElement[Any] = self.relation.c[self.column_of(pair).name]
        return column

    def extent(self) -> Extent:
        """Rows in the dataset, with min/max of an integer (first) key column."""
        try:
            return self._extent()
        except sa.exc.SQLAlchemyError as exc:
            raise self._error(exc) from exc

    def _extent(self) -> Extent:
        key = self._integer_key()
        estimate = self._estimated_rows()
        if key is None:
            tails = key_tails.tails_apart(self)
            distinct = key_tails.distinct_columns(self, tails)
            if estimate is not None:
                self._prepare_split(estimate)
                return Extent(estimate, tails=tails, distinct=distinct)
            query = sa.select(sa.func.count()).select_from(self.relation)
            rows = int(self.conn.execute(query).scalar_one())
            return Extent(rows, tails=tails, distinct=distinct)
        if estimate is None:
            ranged = sa.select(sa.func.count(), sa.func.min(key), sa.func.max(key))
        else:  # min and max of an indexed key are index lookups, no scan
            ranged = sa.select(sa.literal(estimate), sa.func.min(key), sa.func.max(key))
        rows, low, high = tuple(self.conn.execute(ranged.select_from(self.relation)).one())
        if low is None or high is None:
            return Extent(int(rows))
        return Extent(int(rows), int(low), int(high))

    def _prepare_split(self, estimate: int) -> None:
        """For a large InnoDB table whose first key column leads its primary key: the spare
        connection, its snapshot taken now (by reading the split point), within milliseconds
        of this connection's; no split if anything fails (it only saves time)."""
        if self.dialect != "mysql" or self.spare is None or estimate < key_split.SPLIT_ROWS:
            return
        if not isinstance(self.relation, sa.TableClause):
            return
        first = self.column_of(self.plan.keys[0]).name
        try:
            if key_split.leading_column(self.conn, self.relation) != first:
                return
            spare = self.spare()
            point = key_split.split_point(spare, self.relation, first)
        except (sa.exc.SQLAlchemyError, DatasourceError):
            return
        if point is not None:
            self.split = (spare, point)

    def _estimated_rows(self) -> int | None:
        """A table's row count as its database's statistics estimate it, when that is at least
        ESTIMATE_FLOOR: bucket counts need only the size, and counting exactly costs a scan of
        each side. None (rows are counted) for queries, SQLite and small or unanalyzed tables.
        An estimate far off only makes buckets fuller or emptier; the counts stay exact."""
        if not isinstance(self.relation, sa.TableClause) or self.dialect == "sqlite":
            return None
        schema, name = self.relation.schema, self.relation.name
        if self.dialect == "postgresql":
            query = sa.text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:name)")
            found = self.conn.execute(
                query, {"name": self.conn.dialect.identifier_preparer.format_table(self.relation)}
            ).scalar()
        else:
            query = sa.text(
                "SELECT TABLE_ROWS FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME = :name"
            )
            found = self.conn.execute(query, {"schema": schema, "name": name}).scalar()
        if found is None or found < ESTIMATE_FLOOR:
            return None
        return int(found)

    def _bucketed(
        self, buckets: Buckets, where: sa.ColumnElement[bool] | None = None, fenced: bool = False
    ) -> sa.Subquery:
        key = self._integer_key()
        bucket: sa.ColumnElement[Any]
        if buckets.by_range and key is not None:
            offset = sa.type_coerce(key - int(buckets.low or 0), sa.BigInteger)
            if self.dialect == "mysql":
                bucket = offset.self_group().op("DIV", return_type=sa.BigInteger)(buckets.width)
            else:
                bucket = offset // buckets.width  # integer division on integers
        elif buckets.tail:
            text = c.key_text(self.dialect, buckets.tail_parts(self.keys))
            bucket = key_tails.bucket_sql(self.dialect, text, buckets.count)
        else:
            bucket = c.hash32(self.dialect, c.key_text(self.dialect, self.keys)) % buckets.count
        query = sa.select(bucket.label("b"), *self.canonical_columns()).select_from(self.relation)
        if fenced:  # an OFFSET keeps PostgreSQL from merging the subquery into its outer query
            query = query.offset(0)
        return (query if where is None else query.where(where)).subquery("canon")

    def canonical_columns(self) -> list[sa.ColumnElement[Any]]:
        row_hash = c.hash60(self.dialect, c.row_text(self.dialect, self.keys + self.fields))
        return [
            row_hash.label("h"),
            self.in_flight.label("flight"),
            *[k.label(f"k{i}") for i, k in enumerate(self.keys)],
            *[f.label(f"f{i}") for i, f in enumerate(self.fields)],
        ]

    def checksums(self, buckets: Buckets) -> Iterator[tuple[int, int, int, int]]:
        """(bucket, rows, sum of row hashes, rows in flight) of non-empty buckets, in no
        particular order.

        PostgreSQL groups the rows in a hash table held in memory (work_mem raised for the
        transaction to fit it: session_settings.hash_memory), fed only the buckets and row
        hashes: left to itself, it estimates as many groups as rows and sorts every row with all
        its columns, spilling to disk at the default 4 MB."""
        postgres = self.dialect == "postgresql"
        if postgres:
            try:
                hash_memory(self.conn, buckets.count)
            except sa.exc.SQLAlchemyError as exc:
                raise self._error(exc) from exc
        sub = self._bucketed(buckets, fenced=postgres)
        flight: sa.ColumnElement[Any] = sa.func.coalesce(sa.func.sum(sub.c.flight), 0)
        if self.updated is None:  # nothing in flight: no sum of zeros (MariaDB: 0.3 s at 1M)
            flight = sa.literal(0)
        query = sa.select(
            sub.c.b,
            sa.func.count().label("n"),
            sa.func.coalesce(c.hash_sum(self.dialect, sub.c.h), 0).label("h"),
            flight.label("f"),
        ).group_by(sub.c.b)
        if self.dialect == "mysql":  # MariaDB sorts by the GROUP BY columns unless told not to
            query = query.order_by(sa.null())
        if self.dialect in ("mysql", "postgresql"):
            yield from self._packed_checksums(query.subquery("sums"))
            return
        for row in self.stream(query):
            b, n, h, f = tuple(row)
            yield int(b), int(n), int(h), int(f)

    def _packed_checksums(self, sums: sa.Subquery) -> Iterator[tuple[int, int, int, int]]:
        """Bucket sums, PACKED_BUCKETS to a row (checks/reconcile/packed_sums.py)."""
        for (row,) in self.stream(packed_sums.packed(self.dialect, sums), batch=2):
            yield from packed_sums.unpacked(row)

    def rows(
        self,
        buckets: Buckets,
        wanted: Sequence[int] | None,
        modulus: int | None = None,
        alone: int | None = None,
    ) -> Iterator[Row]:
        """(bucket, key, fields, in flight) of the wanted buckets (all if None), bucket order;
        with `modulus`, of the buckets whose number mod `modulus` is wanted.

        Range buckets are read through at most MAX_LISTED key ranges (index range scans),
        SPANS_PER_QUERY ranges per query, queries in key order; hash buckets by one scan, or
        by two at once split by primary-key range where `extent` prepared a split (a large
        MariaDB table: `_split_rows`). PostgreSQL reads the listed rows without a cursor when
        this side runs alone and holds at most FEW_ROWS of them (`alone`: as many as its
        checksum pass counted, exact whatever the buckets' fill), so it may scan with a
        parallel plan (cursors never do: 0.5 s of a 1.5 s scan at 1M rows; beside the other
        side's scan, its workers would take the cores that side needs).
        """
        key = self._integer_key()
        if wanted is not None and buckets.by_range and key is not None:
            spans = buckets.bounds(wanted, bucketing.MAX_LISTED)
            for i in range(0, len(spans), SPANS_PER_QUERY):
                chunk = spans[i : i + SPANS_PER_QUERY]
                where = sa.or_(*[key.between(a, b) for a, b in chunk])
                yield from self._rows(self._bucketed(buckets, where), None)
            return
        if self.split is not None:
            yield from self._split_rows(buckets, wanted, modulus)
            return
        few = alone is not None and alone <= FEW_ROWS and self.dialect == "postgresql"
        few = few and wanted is not None and modulus is None
        yield from self._rows(self._bucketed(buckets), wanted, modulus, buffered=few)

    def _split_rows(
        self, buckets: Buckets, wanted: Sequence[int] | None, modulus: int | None
    ) -> Iterator[Row]:
        """`rows` read by two queries at once, below the split point on this connection and
        from it on on the spare one (checks/reconcile/key_split.py), merged by bucket."""
        assert self.split is not None
        spare, point = self.split
        column = self.relation.c[self.column_of(self.plan.keys[0]).name]
        below = self._rows(self._bucketed(buckets, column < point), wanted, modulus)
        above = self._rows(self._bucketed(buckets, column >= point), wanted, modulus, conn=spare)
        with Prefetch(below) as low, Prefetch(above) as high:
            yield from heapq.merge(low, high, key=lambda row: row[0])

    def _rows(
        self,
        sub: sa.Subquery,
        wanted: Sequence[int] | None,
        modulus: int | None = None,
        buffered: bool = False,
        conn: sa.Connection | None = None,
    ) -> Iterator[Row]:
        nk, nf = len(self.keys), len(self.fields)
        query = sa.select(
            sub.c.b,
            *[sub.c[f"k{i}"] for i in range(nk)],
            *[sub.c[f"f{i}"] for i in range(nf)],
            sub.c.flight,
        )
        if wanted is not None:
            listed = sa.bindparam(
                "w", list(wanted), type_=sa.BigInteger, expanding=True, literal_execute=True
            )
            chosen = sub.c.b if modulus is None else sub.c.b % modulus
            query = query.where(chosen.in_(listed))
        if self.dialect == "mysql":
            # MariaDB would sort row ids and then read every row again by id (random primary
            # key lookups: 7 s for 380,000 rows of 10M); a derived table with a LIMIT is never
            # merged, so the chosen rows are kept in one temporary table and sorted there.
            kept = query.limit(UNLIMITED).subquery("chosen")
            query = sa.select(*kept.c)
            sub = kept
        for row in self.stream(query.order_by(sub.c.b), buffered=buffered, conn=conn):
            yield (
                int(row[0]),
                tuple(row[1 : 1 + nk]),
                tuple(row[1 + nk : 1 + nk + nf]),
                bool(row[-1]),
            )

    def can_look_up(self, unique: Sequence[Sequence[str]]) -> bool:
        """Whether rows can be read by key through an index (checks/reconcile/key_reads.py)."""
        return key_reads.can_look_up(self, unique)

    def lookup(self, keys: Sequence[tuple[str | None, ...]]) -> Iterator[Row]:
        """The rows of these canonical keys, in no order (checks/reconcile/key_reads.py)."""
        return key_reads.look_up(self, keys)

    def null_keys(self, limit: int = 5) -> tuple[int, list[dict[str, Any]]]:
        """Rows with a NULL key component, and up to `limit` of them (key_checks.py)."""
        return key_checks.null_keys(self, limit)

    def duplicates(self, limit: int = 5) -> list[tuple[Any, ...]]:
        """Up to `limit` keys that occur more than once (key_checks.py)."""
        return key_checks.duplicates(self, limit)

    def stream(
        self,
        query: sa.Select[Any],
        batch: int = 1_000,
        buffered: bool = False,
        conn: sa.Connection | None = None,
    ) -> Iterator[sa.Row[Any]]:
        """The query's rows through a server-side cursor, at most `batch` rows held (all of
        them when `buffered`), on this side's connection or `conn`."""
        conn = self.conn if conn is None else conn
        try:
            if buffered:
                yield from conn.execute(query)
                return
            options = {"stream_results": True, "max_row_buffer": batch}
            with conn.execute(query, execution_options=options) as result:
                for partition in result.partitions(batch):
                    yield from partition
        except sa.exc.SQLAlchemyError as exc:
            raise self._error(exc) from exc

    def _error(self, exc: Exception) -> DatasourceError:
        """The error named after this side's system (both sides' blocks are nested)."""
        assert isinstance(self.dataset.system, SqlSystem)
        return translate_error(self.dataset.system, exc, self.dataset.label)


def relation(dataset: Dataset, columns: dict[str, Column]) -> sa.FromClause:
    """The dataset as a FROM clause: a quoted table or the query as a subquery."""
    cols = [
        sa.column(col.name, sa.Boolean() if "BOOL" in col.type_name.upper() else None)
        for col in columns.values()
    ]
    if dataset.query is not None:
        return query_clause(dataset.query).columns(*cols).subquery("q")
    schema, _, name = str(dataset.table).rpartition(".")
    return sa.table(name, *cols, schema=schema or None)
