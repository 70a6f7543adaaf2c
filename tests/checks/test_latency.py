"""Propagation latency on real databases with injected ground truth: each record's delay is
chosen here, written to a source in PostgreSQL and a target in MariaDB (and to a SQLite pair),
and the check must report the percentiles of exactly those delays (numpy's inverted-CDF
percentile, the nearest-rank rule, is the independent oracle), the exact waiting count, and
pass or fail its SLA on either side of the true p95."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import sqlalchemy as sa

from checks.latency import check_latency, nearest_rank
from checks.result import Outcome, Severity
from checks.spec import LatencySpec
from datasources.dataset import Dataset, FileSystem, SqlSystem

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Truth:
    """What was injected: per changed source record its latency (or wait so far)."""

    source: list[tuple[str, int, datetime]]  # region, id, updated (UTC)
    target: list[tuple[str, int, datetime]]
    delays: list[float]  # of every source record changed within the window
    waiting: int


def make_truth(seed: int, records: int = 240) -> Truth:
    """Records changed within the window arrive after a chosen delay, or wait (missing in the
    target, or the target holds an older version); records changed before the window, and
    target rows whose source change is older than the window, must be left out."""
    r = random.Random(seed)
    source, target, delays = [], [], []
    waiting = 0
    for i in range(records):
        region = r.choice(["eu", "us", "apac"])
        changed = NOW - timedelta(seconds=r.randrange(60, int(WINDOW.total_seconds()) - 60))
        source.append((region, i, changed))
        fate = r.random()
        if fate < 0.06:  # never arrived
            waiting += 1
            delays.append((NOW - changed).total_seconds())
        elif fate < 0.1:  # the target still holds the version before this change
            target.append((region, i, changed - timedelta(minutes=r.randrange(1, 600))))
            waiting += 1
            delays.append((NOW - changed).total_seconds())
        else:
            delay = r.choice([r.randrange(0, 300), r.randrange(300, 3600), r.randrange(0, 90)])
            arrived = min(changed + timedelta(seconds=delay), NOW)
            target.append((region, i, arrived))
            delays.append((arrived - changed).total_seconds())
    for i in range(records, records + 40):  # changed before the window: not measured
        old = NOW - WINDOW - timedelta(minutes=r.randrange(1, 3000))
        source.append(("eu", i, old))
        target.append(("eu", i, old + timedelta(minutes=r.randrange(0, 2000))))
    return Truth(source, target, delays, waiting)


def oracle(delays: list[float], percent: float) -> float:
    return float(np.percentile(np.array(delays), percent, method="inverted_cdf"))


def spec_for(source: Dataset, target: Dataset, max_p95_s: float, **kw: object) -> LatencySpec:
    base = LatencySpec(
        source=source,
        target=target,
        source_key=("region", "id"),
        target_key=("region", "id"),
        source_updated_column="updated_at",
        target_updated_column="updated_at",
        window_s=WINDOW.total_seconds(),
        max_p95_s=max_p95_s,
        severity=Severity.ERROR,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def load(
    url: str, table: str, rows: list[tuple[str, int, datetime]], column: str, zone: str
) -> None:
    """Rows into a fresh table; times written as naive wall-clock times in `zone`."""
    engine = sa.create_engine(url)
    local = ZoneInfo(zone)
    with engine.begin() as conn:
        if conn.dialect.name in ("mysql", "mariadb"):  # TIMESTAMP values are read in UTC
            conn.exec_driver_sql("SET time_zone = '+00:00'")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        conn.exec_driver_sql(
            f"CREATE TABLE {table} (region VARCHAR(8) NOT NULL, id INTEGER NOT NULL, "
            f"updated_at {column}, PRIMARY KEY (region, id))"
        )
        meta = sa.Table(table, sa.MetaData(), autoload_with=conn)
        conn.execute(
            meta.insert(),
            [
                {"region": g, "id": i, "updated_at": at.astimezone(local).replace(tzinfo=None)}
                for g, i, at in rows
            ],
        )
    engine.dispose()


def assert_matches(truth: Truth, spec: LatencySpec) -> None:
    result = check_latency(spec, NOW)
    assert result.outcome is not Outcome.ERROR, result.reason
    m = result.metrics
    assert m["changed"] == len(truth.delays)
    assert m["waiting"] == truth.waiting
    assert m["arrived"] == len(truth.delays) - truth.waiting
    assert m["p50_s"] == oracle(truth.delays, 50)
    assert m["p95_s"] == oracle(truth.delays, 95)
    assert m["max_s"] == max(truth.delays)
    # the SLA on either side of the true p95
    p95 = oracle(truth.delays, 95)
    assert check_latency(replace(spec, max_p95_s=p95), NOW).outcome is Outcome.PASSED
    failed = check_latency(replace(spec, max_p95_s=p95 - 1), NOW)
    assert failed.outcome is Outcome.FAILED
    assert failed.reason and "95% of the" in failed.reason and "still waiting" in failed.reason
    assert failed.headline_value == p95
    late = [d for d in sorted(truth.delays, reverse=True) if d > p95 - 1][: spec.sample]
    assert [row["latency_s"] for row in failed.sample] == late  # the slowest, past the SLA


def test_percentiles_equal_the_injected_delays_postgresql_to_mariadb(
    pg_url: str, mariadb_url: str
) -> None:
    truth = make_truth(seed=17)
    # PostgreSQL: naive timestamps in the system's zone (Berlin); MariaDB: DATETIME in UTC
    load(pg_url, "lat_source", truth.source, "TIMESTAMP(6)", "Europe/Berlin")
    load(mariadb_url, "lat_target", truth.target, "DATETIME(6)", "UTC")
    source = Dataset(SqlSystem("pg", pg_url, timezone="Europe/Berlin"), "lat_source")
    target = Dataset(SqlSystem("maria", mariadb_url), "lat_target")
    assert_matches(truth, spec_for(source, target, 900))


def test_percentiles_equal_the_injected_delays_sqlite_pair(tmp_path: object) -> None:
    truth = make_truth(seed=5, records=120)
    shop, erp = f"sqlite:///{tmp_path}/shop.db", f"sqlite:///{tmp_path}/erp.db"
    load(shop, "orders", truth.source, "TIMESTAMP", "UTC")
    load(erp, "orders", truth.target, "TIMESTAMP", "Asia/Tokyo")
    source = Dataset(SqlSystem("shop", shop), "orders")
    target = Dataset(SqlSystem("erp", erp, timezone="Asia/Tokyo"), "orders")
    assert_matches(truth, spec_for(source, target, 900, sample=5))


def test_zoned_postgresql_source_and_timestamp_mariadb_target(
    pg_url: str, mariadb_url: str
) -> None:
    """timestamptz and MariaDB TIMESTAMP hold instants: the system's zone does not apply."""
    truth = make_truth(seed=3, records=60)
    load(pg_url, "lat_zoned", truth.source, "TIMESTAMPTZ", "UTC")
    load(mariadb_url, "lat_zoned", truth.target, "TIMESTAMP(6) NULL", "UTC")
    source = Dataset(SqlSystem("pg", pg_url, timezone="America/New_York"), "lat_zoned")
    target = Dataset(SqlSystem("maria", mariadb_url), "lat_zoned")
    result = check_latency(spec_for(source, target, 3600), NOW)
    assert result.metrics["p95_s"] == oracle(truth.delays, 95), result.reason
    assert result.metrics["p50_s"] == oracle(truth.delays, 50)
    assert result.metrics["waiting"] == truth.waiting


def test_no_change_in_the_window_passes_and_says_so(sqlite_url: str) -> None:
    old = [("eu", 1, NOW - 2 * WINDOW)]
    load(sqlite_url, "quiet", old, "TIMESTAMP", "UTC")
    dataset = Dataset(SqlSystem("s", sqlite_url), "quiet")
    result = check_latency(spec_for(dataset, dataset, 60), NOW)
    assert result.outcome is Outcome.PASSED
    assert result.metrics["changed"] == 0 and result.metrics["p95_s"] is None
    assert result.observed == "no record of s.quiet changed in the last 1d"


def test_bad_columns_and_files_are_errors_naming_the_dataset(
    sqlite_url: str, tmp_path: object
) -> None:
    load(sqlite_url, "t", [("eu", 1, NOW)], "TIMESTAMP", "UTC")
    dataset = Dataset(SqlSystem("s", sqlite_url), "t")
    missing = check_latency(spec_for(dataset, dataset, 60, target_updated_column="synced"), NOW)
    assert missing.outcome is Outcome.ERROR and "s.t: no column 'synced'" in str(missing.reason)
    not_time = check_latency(spec_for(dataset, dataset, 60, source_updated_column="region"), NOW)
    assert not_time.outcome is Outcome.ERROR and "not a timestamp" in str(not_time.reason)
    files = Dataset(FileSystem("wms", f"{tmp_path}/*.csv", "csv"))
    on_files = check_latency(spec_for(files, dataset, 60), NOW)
    assert on_files.outcome is Outcome.ERROR and "wms: latency reads SQL" in str(on_files.reason)


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        (list(range(1, 21)), 50, 10),
        (list(range(1, 21)), 95, 19),
        (list(range(1, 21)), 100, 20),
        ([7.0], 95, 7.0),
        ([1, 2], 50, 1),
        ([], 50, None),
    ],
)
def test_nearest_rank(values: list[float], percent: float, expected: float | None) -> None:
    assert nearest_rank(values, percent) == expected
    if values:
        assert nearest_rank(values, percent) == oracle(values, percent)
