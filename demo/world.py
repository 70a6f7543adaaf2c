"""The e-commerce demo world: PIM, web shop, ERP, CRM, payment provider and courier as SQLite
files plus the warehouse's CSV stock export, rebuilt for any moment of a 30-day history with
its defects.

Defects follow the day plan of `demo_plan`, counted back from the last day, so the final
moment always holds price mismatches, a stale stock feed, orders missing in the ERP, null
e-mails and duplicate customers. Counts are measured on the rows written, the way a reconcile
with a 15-minute grace sees them, so `defects()` states exactly what the checks must find."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from demo import data, shipments
from demo import defects as demo_plan
from demo.data import DAY, HOUR, MINUTE, Order, stamp
from demo.defects import Defects

GRACE = 15 * MINUTE  # the grace the demo's reconcile checks use
SHIPPING = 4.95  # what the ERP leaves out of a mismatching order total
DUPLICATE_IDS = 900_001
Rows = list[tuple[object, ...]]


@dataclass(frozen=True)
class Snapshot:
    """Every system's rows at one moment, and the defects they hold."""

    tables: dict[str, dict[str, Rows]]
    export_at: datetime | None
    export_rows: Rows
    defects: Defects


class DemoWorld:
    """The demo company's systems under `root`, rebuilt for any moment of its history."""

    def __init__(self, root: Path, seed: int = 7, days: int = 30, *, end: datetime) -> None:
        if end.tzinfo is None:
            raise ValueError("end must be timezone-aware (UTC)")
        if days < 1:
            raise ValueError("days must be at least 1")
        self.root = Path(root)
        self.seed = seed
        self.days = days
        self.end = end
        self.first_run = end - (days - 1) * DAY
        self.origin = self.first_run - 3 * DAY  # the first orders are placed here
        self.products = data.build_products(seed, self.origin)
        self.customers = data.build_customers(seed, self.origin)
        active = [i for i, p in enumerate(self.products) if not p.retired]
        self.wrong_index = data.rng(seed, "wrong-for-weeks").choice(active)
        self.wrong_since = end - demo_plan.WRONG_FOR_DAYS * DAY - 3 * HOUR

    def run_times(self) -> list[datetime]:
        """One simulated run per day at the hour of `end`, oldest first; the last one is `end`."""
        return [self.first_run + i * DAY for i in range(self.days)]

    def advance_to(self, moment: datetime) -> None:
        """Rewrite every system so it holds exactly the company's state at moment."""
        self._write(self._snapshot(moment))

    def go_live(self) -> None:
        """Rewrite every system as the demo's live runs find them after the history: the state
        at `end`, except that the warehouse's export job, restarted in its outage, rewrote its
        last file with a third of the rows and the shop imported just those. Both sides agree,
        so only the anomaly detector notices, on the first live run: its alert is really sent
        (the history's are recorded, never sent)."""
        self._write(self._snapshot(self.end, live=True))

    def live_defects(self) -> Defects:
        """The defects the systems hold after `go_live`, with exact counts."""
        return self._snapshot(self.end, live=True).defects

    def _write(self, snapshot: Snapshot) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for name, tables in snapshot.tables.items():
            data.write_database(self.root / name, data.SCHEMAS[name], tables)
        data.write_export(self.root / data.EXPORT_DIR, snapshot.export_at, snapshot.export_rows)

    def defects(self, moment: datetime) -> Defects:
        """The defects present at moment, with exact counts."""
        return self._snapshot(moment).defects

    def _snapshot(self, moment: datetime, *, live: bool = False) -> Snapshot:
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware (UTC)")
        day = (moment - self.first_run) // DAY
        plan = max(self.days - 1 - day, 0)  # days before the end, as the defect plan counts
        counts: dict[str, int] = {}
        pim, catalog = self._catalog(moment, day, plan, counts)
        export_at = self._last_export(moment, day)
        export, stock = self._stock(export_at, day, plan, counts, short=live)
        shop_orders, sales_orders, transactions, payments, courier = self._orders(
            moment, day, plan, counts
        )
        crm, shop_customers, erp_customers = self._customers(day, plan, counts)
        categories: Rows = [(i + 1, name) for i, name in enumerate(data.CATEGORIES)]
        tables = {
            "pim.db": {"categories": categories, "products": pim},
            "shop.db": {
                "catalog_products": catalog,
                "stock": stock,
                "orders": shop_orders,
                "customers": shop_customers,
            },
            "erp.db": {
                "sales_orders": sales_orders,
                "payments": payments,
                "customers": erp_customers,
            },
            "crm.db": {"customers": crm},
            "psp.db": {"transactions": transactions},
            "courier.db": courier,
        }
        wrong = moment >= self.wrong_since
        defects = Defects(
            moment=moment,
            wrong_for_weeks=self.products[self.wrong_index].sku if wrong else None,
            wrong_since=self.wrong_since if wrong else None,
            stock_last_export=export_at,
            **counts,
        )
        return Snapshot(tables, export_at, export, defects)

    def _catalog(
        self, m: datetime, day: int, plan: int, counts: dict[str, int]
    ) -> tuple[Rows, Rows]:
        changes = data.price_changes(self.seed, self.origin, m, self.products, {self.wrong_index})
        pick = data.rng(self.seed, "catalog", day)
        candidates = [
            i
            for i, p in enumerate(self.products)
            if not p.retired
            and i != self.wrong_index
            and (i not in changes or changes[i].at <= m - HOUR)
        ]
        wrong_prices = set(
            pick.sample(candidates, min(demo_plan.price_count(plan), len(candidates)))
        )
        retired = [i for i, p in enumerate(self.products) if p.retired]
        still_enabled = set(pick.sample(retired, min(demo_plan.retired_count(plan), len(retired))))
        counts.update(price_mismatches=0, retired_enabled=0, catalog_in_flight=0)
        pim: Rows = []
        shop: Rows = []
        for i, p in enumerate(self.products):
            change = changes.get(i)
            price, pim_at = (change.price, change.at) if change else (p.price, p.updated_at)
            shop_price, shop_at = price, pim_at + self._sync_lag(pim_at)
            if change and shop_at > m:  # the shop has not picked the change up yet
                shop_price = change.previous
                shop_at = change.previous_at + self._sync_lag(change.previous_at)
            if i == self.wrong_index:  # a price cut in the PIM that never reached the shop
                shop_price = round(p.price + 10, 2)
                price, pim_at = (
                    (p.price, self.wrong_since)
                    if m >= self.wrong_since
                    else (shop_price, p.updated_at)
                )
            if i in wrong_prices:
                shop_price = round(price * 1.1, 2)
            status = "retired" if p.retired else "active"
            state = "enabled" if not p.retired or i in still_enabled else "disabled"
            pim.append((p.sku, p.name, p.category_id, price, status, stamp(pim_at)))
            shop.append((p.sku, p.name, p.category_id, shop_price, state, stamp(shop_at)))
            price_differs = abs(shop_price - price) > 0.01
            state_differs = p.retired and state == "enabled"
            if (price_differs or state_differs) and max(pim_at, shop_at) > m - GRACE:
                counts["catalog_in_flight"] += 1
            else:
                counts["price_mismatches"] += price_differs
                counts["retired_enabled"] += state_differs
        return pim, shop

    def _sync_lag(self, at: datetime) -> timedelta:
        """The delay of the PIM -> shop sync for a change at `at` (the latency check's data)."""
        return data.price_sync_lag(self.seed, at, int((self.end - at) // DAY))

    def _last_export(self, m: datetime, day: int) -> datetime | None:
        windows = []
        for d in (day - 1, day, day + 1):
            hours = demo_plan.STOCK_OUTAGES.get(self.days - 1 - d)
            if hours is not None:
                run = self.first_run + d * DAY
                windows.append((run + hours[0] * HOUR, run + hours[1] * HOUR))
        at = data.floor_to(m, data.EXPORT_EVERY, self.origin)
        while at >= self.origin and any(start <= at < stop for start, stop in windows):
            at -= data.EXPORT_EVERY
        return at if at >= self.origin else None

    def _stock(
        self, at: datetime | None, day: int, plan: int, counts: dict[str, int], *, short: bool
    ) -> tuple[Rows, Rows]:
        counts["stock_mismatches"] = 0
        if at is None:
            return [], []
        pick = data.rng(self.seed, "stock", day)
        off = set(pick.sample(range(len(self.products)), demo_plan.stock_count(plan)))
        # one day (and again live, `go_live`) the export brought a third of its rows and the
        # shop imported just those: both sides agree, so only the anomaly detector notices
        # (docs/monitor-file.md#anomalies)
        every = 3 if short or plan == demo_plan.SHORT_EXPORT_PLAN else 1
        off = {i for i in off if i % every == 0}
        export: Rows = []
        shop: Rows = []
        for i, p in enumerate(self.products):
            if i % every:
                continue
            qty = data.stock_level(self.seed, i, at, self.origin)
            export.append((p.sku, qty, stamp(at)))
            shop.append((p.sku, qty + 5 if i in off else qty, stamp(at)))
        counts["stock_mismatches"] = len(off)
        counts["stock_export_rows"] = len(export)
        return export, shop

    def _orders(
        self, m: datetime, day: int, plan: int, counts: dict[str, int]
    ) -> tuple[Rows, Rows, Rows, Rows, dict[str, Rows]]:
        orders = data.build_orders(self.seed, self.origin, m, self.customers)
        emails = {c.customer_id: c.email for c in self.customers}
        amended: dict[int, list[datetime]] = {}
        for index, at in data.amendments(self.seed, self.origin, m, orders):
            amended.setdefault(index, []).append(at)
        shop: list[tuple[Order, float, str, datetime]] = []
        erp: dict[int, tuple[float, datetime]] = {}
        for index, o in enumerate(orders):
            status, changed = data.order_status(o, m)
            times = amended.get(index, [])
            shop_at = max([changed, *times])
            shop.append((o, o.total + data.GIFT_WRAP * len(times), status, shop_at))
            if o.created_at + data.ERP_ORDER_LAG <= m:
                synced = [t + data.ERP_AMEND_LAG for t in times if t + data.ERP_AMEND_LAG <= m]
                erp_at = max([o.created_at + data.ERP_ORDER_LAG, *synced])
                erp[o.order_id] = (o.total + data.GIFT_WRAP * len(synced), erp_at)
        settled = [
            row[0].order_id
            for row in shop
            if row[3] <= m - HOUR and row[0].order_id in erp and erp[row[0].order_id][1] <= m - HOUR
        ]
        created = {o.order_id: o.created_at for o in orders}
        pick = data.rng(self.seed, "orders", day)
        recent = [n for n in settled if created[n] >= m - DAY]
        missing = set(pick.sample(recent, min(demo_plan.missing_order_count(plan), len(recent))))
        if plan == demo_plan.ERP_OUTAGE_PLAN and self.days - 1 - day == demo_plan.ERP_OUTAGE_PLAN:
            run = self.first_run + day * DAY
            missing |= {n for n, at in created.items() if run - 18 * HOUR <= at <= run - 3 * HOUR}
        week = [n for n in settled if created[n] >= m - 7 * DAY and n not in missing]
        for n in pick.sample(week, min(demo_plan.total_count(plan), len(week))):
            erp[n] = (erp[n][0] - SHIPPING, erp[n][1])
        for n in missing:
            erp.pop(n, None)
        counts.update(erp_missing_orders=0, order_total_mismatches=0, orders_in_flight=0)
        shop_rows: Rows = []
        for o, total, status, shop_at in shop:
            shop_rows.append((o.order_id, o.customer_id, emails[o.customer_id], round(total, 2),
                              status, stamp(o.created_at), stamp(shop_at)))  # fmt: skip
            target = erp.get(o.order_id)
            differs = target is None or abs(round(total, 2) - round(target[0], 2)) > 0.01
            if differs and (shop_at > m - GRACE or (target and target[1] > m - GRACE)):
                counts["orders_in_flight"] += 1
            elif differs:
                counts["erp_missing_orders" if target is None else "order_total_mismatches"] += 1
        erp_rows: Rows = [
            (n, o.customer_id, round(erp[n][0], 2), stamp(o.created_at), stamp(erp[n][1]))
            for o in orders
            if (n := o.order_id) in erp
        ]
        transactions, payments = self._payments(orders, m, day, plan, counts)
        courier = shipments.courier_tables(self.seed, orders, m, day, counts)
        return shop_rows, erp_rows, transactions, payments, courier

    def _payments(
        self, orders: list[Order], m: datetime, day: int, plan: int, counts: dict[str, int]
    ) -> tuple[Rows, Rows]:
        captured = [(o, o.created_at + data.CAPTURE_LAG) for o in orders]
        captured = [(o, at) for o, at in captured if at <= m]
        pick = data.rng(self.seed, "payments", day)
        window = [o.order_id for o, at in captured if m - 3 * DAY <= at <= m - HOUR]
        missing = set(pick.sample(window, min(demo_plan.payment_count(plan), len(window))))
        counts.update(psp_missing_payments=0, payments_in_flight=0)
        transactions: Rows = []
        payments: Rows = []
        for o, at in captured:
            txn = f"TX{o.order_id}"
            transactions.append((txn, o.order_id, o.total, "EUR", "captured", stamp(at)))
            if o.order_id in missing or at + data.ERP_PAYMENT_LAG > m:
                counts["payments_in_flight" if at > m - GRACE else "psp_missing_payments"] += 1
            else:
                payments.append((txn, o.order_id, o.total, "EUR", stamp(at)))
        return transactions, payments

    def _customers(self, day: int, plan: int, counts: dict[str, int]) -> tuple[Rows, Rows, Rows]:
        pick = data.rng(self.seed, "customers", day)
        sizes = (
            demo_plan.null_count(plan),
            demo_plan.case_count(plan),
            demo_plan.duplicate_count(plan),
        )
        chosen = pick.sample(range(len(self.customers)), sum(sizes))
        nulls = set(chosen[: sizes[0]])
        variants = set(chosen[sizes[0] : sizes[0] + sizes[1]])
        twins = chosen[sizes[0] + sizes[1] :]
        crm: Rows = []
        shop: Rows = []
        for i, c in enumerate(self.customers):
            crm.append((c.customer_id, c.email, c.name, c.country, stamp(c.updated_at)))
            email: str | None = c.email
            if i in nulls:
                email = None
            elif i in variants:
                email = f" {c.email.upper()}" if i % 2 else f"{c.email.capitalize()} "
            shop.append((c.customer_id, email, c.name, c.country, stamp(c.updated_at)))
        for j, i in enumerate(twins):  # registered a second time with the same e-mail
            c = self.customers[i]
            again = c.updated_at + (j + 1) * 7 * DAY
            shop.append((DUPLICATE_IDS + j, c.email, c.name, c.country, stamp(again)))
        counts.update(null_emails=len(nulls), email_case_only=len(variants))
        counts["duplicate_customers"] = len(twins)
        return crm, shop, self._erp_customers(day, plan, nulls, counts)

    def _erp_customers(self, day: int, plan: int, nulls: set[int], counts: dict[str, int]) -> Rows:
        """The ERP's copy of the CRM's customers, with the day's disagreements; one moved
        customer is also one the shop lost the e-mail of (two systems wrong on one record)."""
        moved, renamed, missing = demo_plan.erp_customer_count(plan)
        both = sorted(nulls)[:1] if moved and nulls else []
        others = [i for i in range(len(self.customers)) if i not in nulls]
        picked = both + data.rng(self.seed, "erp-customers", day).sample(
            others, moved + renamed + missing - len(both)
        )
        old_country = set(picked[:moved])
        old_name = set(picked[moved : moved + renamed])
        absent = set(picked[moved + renamed :])
        rows: Rows = []
        for i, c in enumerate(self.customers):
            if i in absent:
                continue
            country = data.COUNTRIES[(data.COUNTRIES.index(c.country) + 1) % 8]
            name = f"{c.name.split()[0]} Lindqvist" if i in old_name else c.name
            rows.append(
                (
                    c.customer_id,
                    c.email,
                    name,
                    country if i in old_country else c.country,
                    stamp(c.updated_at),
                )
            )
        counts.update(erp_old_countries=moved, erp_old_names=renamed)
        counts.update(erp_missing_customers=missing, both_disagree=len(both))
        return rows
