"""The e-commerce demo world: deterministic, idempotent, and its defects are exactly as stated."""

from __future__ import annotations

import csv
import itertools
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from demo.world import GRACE, DemoWorld

END = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
PROJECT = Path(__file__).resolve().parents[2]
DATABASES = ("pim", "shop", "erp", "crm", "psp", "courier")


def dump(root: Path) -> dict[str, list[str]]:
    """Every database as SQL text and every export file as text."""
    found = {}
    for name in DATABASES:
        with sqlite3.connect(root / f"{name}.db") as conn:
            found[name] = list(conn.iterdump())
        conn.close()
    for path in sorted((root / "exports" / "wms").iterdir()):
        found[path.name] = path.read_text().splitlines()
    return found


def attach(root: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    for name in DATABASES:
        conn.execute(f"ATTACH DATABASE '{root / name}.db' AS {name}")
    return conn


def scalar(conn: sqlite3.Connection, sql: str, *args: object) -> int:
    return int(conn.execute(sql, args).fetchone()[0])


def export_rows(root: Path) -> list[dict[str, str]]:
    [path] = (root / "exports" / "wms").glob("stock_*.csv")
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> DemoWorld:
    return DemoWorld(tmp_path_factory.mktemp("demo"), end=END)


def test_run_times_are_daily_and_end_at_the_end(world: DemoWorld) -> None:
    times = world.run_times()
    assert len(times) == 30
    assert times[-1] == END
    assert {b - a for a, b in itertools.pairwise(times)} == {timedelta(days=1)}


def test_two_builds_at_one_moment_are_identical(tmp_path: Path) -> None:
    moment = END - timedelta(days=3, hours=5, minutes=7)
    one, two = DemoWorld(tmp_path / "a", end=END), DemoWorld(tmp_path / "b", end=END)
    one.advance_to(moment)
    two.advance_to(moment)
    assert dump(tmp_path / "a") == dump(tmp_path / "b")
    other = DemoWorld(tmp_path / "c", seed=8, end=END)
    other.advance_to(moment)
    assert dump(tmp_path / "c") != dump(tmp_path / "a")


def test_advance_to_is_idempotent_and_goes_back_in_time(tmp_path: Path) -> None:
    world = DemoWorld(tmp_path, days=5, end=END)
    world.advance_to(END)
    at_end = dump(tmp_path)
    world.advance_to(END - timedelta(days=2))
    earlier = dump(tmp_path)
    world.advance_to(END)
    assert dump(tmp_path) == at_end
    assert earlier != at_end
    assert len(list((tmp_path / "exports" / "wms").glob("stock_*.csv"))) == 1


def test_naive_times_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        DemoWorld(tmp_path, end=END.replace(tzinfo=None))
    with pytest.raises(ValueError, match="timezone-aware"):
        DemoWorld(tmp_path, end=END).advance_to(datetime(2026, 11, 1))


# the end, the ERP outage day (12 days before) and a price-burst day (4 days before)
@pytest.mark.parametrize("days_before", [0, 12, 4])
def test_stated_defects_are_exactly_in_the_data(world: DemoWorld, days_before: int) -> None:
    moment = END - timedelta(days=days_before)
    world.advance_to(moment)
    stated = world.defects(moment)
    settled = (moment - GRACE).strftime("%Y-%m-%d %H:%M:%S")
    conn = attach(world.root)
    catalog = "FROM pim.products p JOIN shop.catalog_products s USING (sku) WHERE max(p.updated_at, s.updated_at) <= ?"  # noqa: E501
    assert stated.price_mismatches == scalar(
        conn, f"SELECT count(*) {catalog} AND abs(p.price - s.unit_price) > 0.01", settled
    )
    assert stated.retired_enabled == scalar(
        conn, f"SELECT count(*) {catalog} AND p.status = 'retired' AND s.state = 'enabled'", settled
    )
    orders = "FROM shop.orders o LEFT JOIN erp.sales_orders e ON e.order_ref = o.order_id"
    recent = "(o.updated_at > ? OR coalesce(e.updated_at, '') > ?)"
    assert stated.erp_missing_orders == scalar(
        conn,
        f"SELECT count(*) {orders} WHERE e.order_ref IS NULL AND NOT {recent}",
        settled,
        settled,
    )
    assert stated.order_total_mismatches == scalar(
        conn, f"SELECT count(*) {orders} WHERE abs(o.total - e.amount) > 0.01 AND NOT {recent}",
        settled, settled,
    )  # fmt: skip
    assert stated.orders_in_flight == scalar(
        conn,
        f"SELECT count(*) {orders} WHERE (e.order_ref IS NULL OR abs(o.total - e.amount) > 0.01)"
        f" AND {recent}",
        settled, settled,
    )  # fmt: skip
    assert stated.null_emails == scalar(
        conn, "SELECT count(*) FROM shop.customers WHERE email IS NULL"
    )
    assert stated.duplicate_customers == scalar(
        conn, "SELECT count(email) - count(DISTINCT email) FROM shop.customers"
    )
    assert stated.duplicate_customers == scalar(
        conn, "SELECT count(*) FROM shop.customers WHERE customer_id NOT IN "
        "(SELECT customer_id FROM crm.customers)",
    )  # fmt: skip
    assert stated.email_case_only == scalar(
        conn, "SELECT count(*) FROM shop.customers s JOIN crm.customers c USING (customer_id) "
        "WHERE s.email <> c.email AND lower(trim(s.email)) = lower(trim(c.email))",
    )  # fmt: skip
    assert stated.psp_missing_payments == scalar(
        conn, "SELECT count(*) FROM psp.transactions t LEFT JOIN erp.payments p "
        "ON p.payment_ref = t.txn_id WHERE p.payment_ref IS NULL AND t.captured_at <= ?",
        settled,
    )  # fmt: skip
    shop_stock = dict(conn.execute("SELECT sku, qty FROM shop.stock").fetchall())
    exported = {row["sku"]: int(row["qty"]) for row in export_rows(world.root)}
    assert stated.stock_mismatches == sum(shop_stock[s] != q for s, q in exported.items())
    assert set(shop_stock) == set(exported)
    conn.close()


def test_the_final_moment_holds_every_required_defect(world: DemoWorld) -> None:
    stated = world.defects(END)
    assert stated.price_mismatches >= 2 and stated.wrong_for_weeks is not None
    assert stated.wrong_since is not None and END - stated.wrong_since > timedelta(days=14)
    assert stated.erp_missing_orders > 0
    assert stated.null_emails > 0 and stated.duplicate_customers > 0
    assert stated.email_case_only > 0 and stated.orders_in_flight > 0
    assert stated.stock_feed_age is not None and stated.stock_feed_age > timedelta(hours=2)


def test_the_stock_feed_is_stale_at_the_end_and_fresh_before(world: DemoWorld) -> None:
    world.advance_to(END)
    rows = export_rows(world.root)
    newest = max(datetime.fromisoformat(r["exported_at"]).replace(tzinfo=UTC) for r in rows)
    assert newest == world.defects(END).stock_last_export
    assert END - newest > timedelta(hours=2)
    [path] = (world.root / "exports" / "wms").glob("stock_*.csv")
    assert path.name == f"stock_{newest:%Y%m%d_%H%M}.csv"
    assert len(rows) == 2000 and {r["exported_at"] for r in rows} == {f"{newest:%Y-%m-%d %H:%M:%S}"}
    fresh_day = END - timedelta(days=2)
    age = world.defects(fresh_day).stock_feed_age
    assert age is not None and age < timedelta(minutes=15)


def test_defects_vary_over_the_history(world: DemoWorld) -> None:
    history = [world.defects(moment) for moment in world.run_times()]
    prices = [d.price_mismatches for d in history]
    assert max(prices) >= 35 and min(prices) <= 7  # a burst on a few days, a handful otherwise
    retired = [d.retired_enabled > 0 for d in history]
    assert retired[-1] and not all(retired)
    assert retired.index(False) < len(retired) - 1 - retired[::-1].index(False)  # fixed, then back
    assert max(d.erp_missing_orders for d in history) >= 10  # the ERP outage day
    assert sum(d.stock_feed_age is not None and d.stock_feed_age > timedelta(hours=2)
               for d in history) >= 3  # fmt: skip
    assert {d.psp_missing_payments > 0 for d in history} == {True, False}


def test_every_suite_loads_in_gx() -> None:
    from great_expectations.core import ExpectationSuite

    paths = sorted((PROJECT / "demo" / "suites").glob("*.json"))
    assert len(paths) >= 5
    for path in paths:
        suite = ExpectationSuite(**json.loads(path.read_text()))
        assert suite.name == path.stem
        assert 2 <= len(suite.expectations) <= 5


def test_the_monitor_file_validates_and_names_every_suite() -> None:
    from monitor.config.loading import load_config

    config = load_config(PROJECT / "demo" / "dxq.yml", {"DXQ_DEMO_DIR": "/tmp/dxq-demo"})
    assert len(config.integrations) == 6
    named = {Path(s.suite).stem for i in config.integrations.values() for s in i.suites}
    assert named == {p.stem for p in (PROJECT / "demo" / "suites").glob("*.json")}
    for integration in config.integrations.values():
        assert integration.owners and integration.schedule and integration.reconcile
    assert config.integrations["customers"].direction == "two-way"


def over_limits(world: DemoWorld, moment: datetime, limit: dict[str, float]) -> set[str]:
    """The integrations whose stated defects break their reconcile `limit` (or whose suites or
    freshness fail)."""
    from demo.data import build_orders

    d = world.defects(moment)
    orders = len(build_orders(world.seed, world.origin, moment, world.customers))
    customers = len(world.customers) + d.duplicate_customers
    rates = {
        "product-catalog": (d.price_mismatches + d.retired_enabled) / len(world.products),
        "stock-levels": d.stock_mismatches / len(world.products),
        "orders": (d.erp_missing_orders + d.order_total_mismatches) / orders,
        "customers": max(  # the CRM's golden record against the shop and the ERP
            (d.null_emails + d.duplicate_customers) / customers,
            (d.erp_old_countries + d.erp_old_names + d.erp_missing_customers)
            / len(world.customers),
        ),
        "payments": d.psp_missing_payments / orders,
    }
    broken = {name for name, rate in rates.items() if rate > limit[name]}
    if d.stock_feed_age is None or d.stock_feed_age > timedelta(hours=2):
        broken.add("stock-levels")
    if d.null_emails or d.duplicate_customers:  # the shop_customers suite fails on any
        broken.add("customers")
    return broken


def test_each_integration_has_good_and_bad_days_and_payments_end_healthy(
    world: DemoWorld,
) -> None:
    from monitor.config.loading import load_config

    config = load_config(PROJECT / "demo" / "dxq.yml", {"DXQ_DEMO_DIR": str(world.root)})
    limit = {n: i.reconcile.max_mismatch_rate for n, i in config.integrations.items()
             if i.reconcile is not None}  # fmt: skip
    history = [over_limits(world, moment, limit) for moment in world.run_times()]
    names = {"product-catalog", "stock-levels", "orders", "customers", "payments"}
    for name in names:
        bad = [name in day for day in history]
        assert 2 <= sum(bad) <= 10, (name, bad)
        first = bad.index(True)
        assert False in bad[first:], f"{name} is broken from its first bad day to the end"
    assert history[-1] == names - {"payments"}
    assert sum(len(day) <= 1 for day in history) >= 15  # most days at most one is broken
    final = world.defects(END)
    assert final.psp_missing_payments == 0 and final.price_mismatches > 10


def test_the_recorded_history_ends_with_payments_healthy_and_five_failing(
    demo_env: dict[str, str],
) -> None:
    path = demo_env["DXQ_STORE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        history = "FROM runs WHERE \"trigger\" = 'demo'"  # other tests add live runs
        last = dict(conn.execute(
            f"SELECT integration, status {history} AND started_at = "
            f"(SELECT max(started_at) {history})"
        ).fetchall())  # fmt: skip
        days = scalar(conn, f"SELECT count(DISTINCT date(started_at)) {history}")
    conn.close()
    assert days == 3
    assert last.pop("payments") == "passed"
    assert last == dict.fromkeys(("product-catalog", "stock-levels", "orders", "customers",
                                  "shipments"), "failed")  # fmt: skip


def test_the_demo_never_uses_an_exported_store_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from demo.command import demo_env

    monkeypatch.setenv("DXQ_STORE_URL", "postgresql+psycopg://prod@127.0.0.1:1/results")
    assert demo_env(tmp_path)["DXQ_STORE_URL"] == f"sqlite:///{tmp_path}/results.db"
    assert demo_env(tmp_path, "sqlite:///x.db")["DXQ_STORE_URL"] == "sqlite:///x.db"


def test_an_explicit_store_must_be_empty(tmp_path: Path) -> None:
    from demo.command import build_demo
    from monitor.errors import MonitorError

    used = tmp_path / "used.db"
    with sqlite3.connect(used) as conn:
        conn.execute("CREATE TABLE runs (id INTEGER)")
        conn.execute("INSERT INTO runs VALUES (1)")
    conn.close()
    with pytest.raises(MonitorError, match=r"not empty \(rows in runs\)"):
        build_demo(days=1, state_dir=tmp_path / "state", end=END, quiet=True,
                   store_url=f"sqlite:///{used}")  # fmt: skip
    with sqlite3.connect(used) as conn:
        assert list(conn.iterdump()) == [
            "BEGIN TRANSACTION;",
            "CREATE TABLE runs (id INTEGER);",
            'INSERT INTO "runs" VALUES(1);',
            "COMMIT;",
        ]
    conn.close()
    assert not (tmp_path / "state").exists()


def test_an_explicit_non_empty_postgres_store_is_refused(pg_url: str) -> None:
    import sqlalchemy as sa

    from demo.command import refuse_non_empty
    from monitor.errors import MonitorError

    engine = sa.create_engine(pg_url)
    table = f"demo_refusal_{id(engine)}"
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE TABLE "{table}" (id integer)'))
        conn.execute(sa.text(f'INSERT INTO "{table}" VALUES (1)'))
    try:
        with pytest.raises(MonitorError, match="not empty"):
            refuse_non_empty(pg_url)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP TABLE "{table}"'))
        engine.dispose()


def test_an_unreachable_explicit_store_is_a_store_error(tmp_path: Path) -> None:
    from demo.command import refuse_non_empty
    from store.errors import StoreUnavailable

    with pytest.raises(StoreUnavailable, match=r"127\.0\.0\.1:1") as caught:
        refuse_non_empty("postgresql+psycopg://dxq:hunter2@127.0.0.1:1/results")
    assert "hunter2" not in str(caught.value)


def test_an_explicit_empty_store_receives_the_history(tmp_path: Path) -> None:
    from demo.command import build_demo

    store = tmp_path / "elsewhere.db"
    sqlite3.connect(store).close()  # exists, empty
    build_demo(days=1, state_dir=tmp_path / "state", end=END, quiet=True,
               store_url=f"sqlite:///{store}")  # fmt: skip
    with sqlite3.connect(store) as conn:
        runs = dict(conn.execute("SELECT integration, status FROM runs").fetchall())
    conn.close()
    assert set(runs) == {"product-catalog", "stock-levels", "orders", "customers", "payments",
                         "shipments"}  # fmt: skip
    assert runs["payments"] == "passed" and runs["orders"] == "failed"
    assert not (tmp_path / "state" / "results.db").exists()
