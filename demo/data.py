"""The demo company's business without defects: catalogue, customers, orders, stock over time.

Everything is a pure function of the seed and a moment (no wall clock), so any moment of the
company's history can be rebuilt exactly. `demo_world` seeds the defects on top of this."""

from __future__ import annotations

import csv
import os
import random
import sqlite3
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from demo.defects import sync_delay_range

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
EXPORT_EVERY = timedelta(minutes=15)
ERP_ORDER_LAG = 5 * MINUTE  # a new order reaches the ERP this long after it is placed
ERP_AMEND_LAG = 10 * MINUTE  # an amended order total reaches the ERP this long after
CAPTURE_LAG = MINUTE  # the PSP captures the payment this long after the order
ERP_PAYMENT_LAG = 5 * MINUTE  # a captured payment reaches the ERP this long after
AMEND_BEFORE_HOUR = (6 * MINUTE, 3 * MINUTE)  # gift-wrap amendments, minutes before each hour
GIFT_WRAP = 2.50

CATEGORIES = (
    "Running shoes", "Hiking boots", "Sneakers", "T-shirts", "Jackets", "Trousers",
    "Socks", "Backpacks", "Caps", "Gloves", "Watches", "Sunglasses",
)  # fmt: skip
_ADJECTIVES = ("Classic", "Urban", "Trail", "Light", "Pro", "Eco", "Retro", "Storm", "Alpine")
_COLOURS = ("black", "white", "navy", "olive", "red", "grey", "sand", "blue")
_FIRST = ("Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas")
_LAST = ("Schmidt", "Muller", "Weber", "Fischer", "Meyer", "Wagner", "Jansen", "Dubois", "Berg")
COUNTRIES = ("DE", "AT", "CH", "NL", "BE", "FR", "DK", "SE")
_DOMAINS = ("example.com", "example.org", "example.net")


SCHEMAS = {
    "pim.db": """
        CREATE TABLE categories (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE products (sku TEXT PRIMARY KEY, name TEXT NOT NULL,
            category_id INTEGER NOT NULL, price NUMERIC(10, 2) NOT NULL,
            status TEXT NOT NULL, updated_at TIMESTAMP NOT NULL);""",
    "shop.db": """
        CREATE TABLE catalog_products (sku TEXT PRIMARY KEY, name TEXT, category_id INTEGER,
            unit_price REAL, state TEXT, updated_at TIMESTAMP);
        CREATE TABLE stock (sku TEXT PRIMARY KEY, qty INTEGER, updated_at TIMESTAMP);
        CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER, email TEXT,
            total NUMERIC(10, 2), status TEXT, created_at TIMESTAMP, updated_at TIMESTAMP);
        CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, email TEXT, name TEXT,
            country TEXT, updated_at TIMESTAMP);""",
    "erp.db": """
        CREATE TABLE sales_orders (order_ref INTEGER PRIMARY KEY, customer_ref INTEGER,
            amount NUMERIC(12, 2), created_at TIMESTAMP, updated_at TIMESTAMP);
        CREATE TABLE payments (payment_ref TEXT PRIMARY KEY, order_ref INTEGER,
            amount NUMERIC(12, 2), currency TEXT, paid_at TIMESTAMP);
        CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, email TEXT, name TEXT,
            country TEXT, updated_at TIMESTAMP);""",
    "crm.db": """
        CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, email TEXT NOT NULL,
            full_name TEXT, country TEXT, updated_at TIMESTAMP);""",
    "psp.db": """
        CREATE TABLE transactions (txn_id TEXT PRIMARY KEY, order_id INTEGER,
            amount NUMERIC(12, 2), currency TEXT, status TEXT, captured_at TIMESTAMP);""",
    "courier.db": """
        CREATE TABLE parcels (parcel_no TEXT PRIMARY KEY, status TEXT, picked_up_at TIMESTAMP);
        CREATE TABLE order_parcels (order_id INTEGER, parcel_no TEXT);""",
}
EXPORT_DIR = Path("exports") / "wms"


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category_id: int
    price: float  # the price it was created with
    retired: bool
    updated_at: datetime  # last change before the history starts


@dataclass(frozen=True)
class Customer:
    customer_id: int
    email: str
    name: str
    country: str
    updated_at: datetime


@dataclass(frozen=True)
class Order:
    order_id: int
    customer_id: int
    total: float  # as placed, before amendments
    created_at: datetime
    cancelled: bool


def rng(seed: int, *parts: object) -> random.Random:
    """A generator for one named decision: same seed and parts, same numbers."""
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def floor_to(moment: datetime, step: timedelta, origin: datetime) -> datetime:
    """The latest time origin + k * step that is not after moment."""
    return origin + step * ((moment - origin) // step)


def build_products(seed: int, origin: datetime, count: int = 2000) -> list[Product]:
    """The catalogue as it stood when the history starts; about 4% retired."""
    r = rng(seed, "products")
    products = []
    for i in range(count):
        category = r.randrange(len(CATEGORIES))
        name = f"{r.choice(_ADJECTIVES)} {CATEGORIES[category].rstrip('s')} {r.choice(_COLOURS)}"
        price = round(round(r.uniform(5, 300), 1) - 0.01, 2)
        retired = r.random() < 0.04
        updated = origin - timedelta(minutes=r.randrange(60, 60 * 24 * 200))
        products.append(Product(f"SKU-{i + 1:05d}", name, category + 1, price, retired, updated))
    return products


def build_customers(seed: int, origin: datetime, count: int = 800) -> list[Customer]:
    """The customers, all registered before the history starts."""
    r = rng(seed, "customers")
    customers = []
    for i in range(count):
        first, last = r.choice(_FIRST), r.choice(_LAST)
        local = f"{first}.{last}".lower().replace(" ", "")
        email = f"{local}{i + 1}@{r.choice(_DOMAINS)}"
        updated = origin - timedelta(minutes=r.randrange(60, 60 * 24 * 400))
        customers.append(
            Customer(10_001 + i, email, f"{first} {last}", r.choice(COUNTRIES), updated)
        )
    return customers


def build_orders(
    seed: int, origin: datetime, until: datetime, customers: list[Customer]
) -> list[Order]:
    """Every order placed from origin up to and including `until`, in creation order."""
    orders: list[Order] = []
    hour = origin
    while hour <= until:
        index = (hour - origin) // HOUR
        r = rng(seed, "orders", index)
        busy = 8 <= hour.hour <= 21
        minutes = sorted(r.sample(range(60), r.randint(1, 4) if busy else r.randint(0, 1)))
        for minute in minutes:
            created = hour + minute * MINUTE + r.randrange(60) * timedelta(seconds=1)
            if created > until:
                break
            number = 100_001 + len(orders)
            total = round(r.uniform(12, 260), 2)
            customer = r.choice(customers).customer_id
            orders.append(Order(number, customer, total, created, number % 41 == 0))
        hour += HOUR
    return orders


def order_status(order: Order, moment: datetime) -> tuple[str, datetime]:
    """The order's status at moment and when it last changed."""
    if order.cancelled:
        steps = [("paid", order.created_at), ("cancelled", order.created_at + 30 * MINUTE)]
    else:
        steps = [
            ("paid", order.created_at),
            ("shipped", order.created_at + 2 * HOUR),
            ("delivered", order.created_at + 2 * DAY),
        ]
    current = steps[0]
    for step in steps:
        if step[1] <= moment:
            current = step
    return current


def amendments(
    seed: int, origin: datetime, until: datetime, orders: list[Order]
) -> list[tuple[int, datetime]]:
    """Gift-wrap amendments (order index, time) up to until: a few minutes before every hour,
    each to an order placed one to two days earlier."""
    created = [o.created_at for o in orders]
    found: list[tuple[int, datetime]] = []
    hour = origin + 2 * DAY
    while hour - AMEND_BEFORE_HOUR[0] <= until:
        for j, before in enumerate(AMEND_BEFORE_HOUR):
            at = hour - before
            lo, hi = bisect_left(created, at - 2 * DAY), bisect_right(created, at - DAY)
            if at <= until and hi > lo:
                found.append((rng(seed, "amend", hour.isoformat(), j).randrange(lo, hi), at))
        hour += HOUR
    return found


@dataclass(frozen=True)
class PriceChange:
    price: float
    at: datetime
    previous: float  # the price before this change
    previous_at: datetime  # when the previous price was set


def price_changes(
    seed: int, origin: datetime, until: datetime, products: list[Product], frozen: set[int]
) -> dict[int, PriceChange]:
    """The latest PIM price change per product index up to until: one product at :20 each hour
    (never one in `frozen`)."""
    latest: dict[int, PriceChange] = {}
    at = origin + 20 * MINUTE
    while at <= until:
        r = rng(seed, "price", at.isoformat())
        index = r.randrange(len(products))
        if index not in frozen:
            before = latest.get(index)
            old, old_at = (
                (before.price, before.at)
                if before
                else (products[index].price, products[index].updated_at)
            )
            new = round(max(1.99, round(old * r.choice((0.9, 0.95, 1.05, 1.1)), 1) - 0.01), 2)
            latest[index] = PriceChange(new, at, old, old_at)
        at += HOUR
    return latest


def price_sync_lag(seed: int, at: datetime, plan: int) -> timedelta:
    """How long the PIM price change made at `at` takes to reach the shop (`plan`: days before
    the end, as `demo.defects.sync_delay_range` plans the delays)."""
    low, high = sync_delay_range(plan)
    return timedelta(seconds=rng(seed, "sync", at.isoformat()).randrange(low, high))


def stock_level(seed: int, index: int, at: datetime, origin: datetime) -> int:
    """Units of product `index` in the warehouse at export time `at`."""
    hours = (at - origin) // HOUR
    base = (index * 7919 + seed * 104_729) % 240
    return (base + hours * (index % 5)) % 300


def stamp(moment: datetime) -> str:
    """The naive UTC text form every demo system stores timestamps in."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def write_database(path: Path, schema: str, tables: dict[str, list[tuple[object, ...]]]) -> None:
    """Rewrite the database in place, in one transaction: a reader holding an open connection
    (a pooled engine, GX's data source) sees the old state or the new one, never a stale file."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        existing = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        for (name,) in existing.fetchall():
            connection.execute(f'DROP TABLE "{name}"')
        for statement in schema.split(";"):
            if statement.strip():
                connection.execute(statement)
        for table, rows in tables.items():
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    finally:
        connection.close()


def write_export(folder: Path, at: datetime | None, rows: list[tuple[object, ...]]) -> None:
    """Leave exactly the newest warehouse export in folder (the WMS keeps only its latest)."""
    folder.mkdir(parents=True, exist_ok=True)
    keep = f"stock_{at:%Y%m%d_%H%M}.csv" if at is not None else None
    if keep is not None:
        temporary = folder / ".stock.csv.writing"
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(("sku", "qty", "exported_at"))
            writer.writerows(rows)
        os.replace(temporary, folder / keep)
    for old in folder.glob("stock_*.csv"):
        if old.name != keep:
            old.unlink()
