"""The demo's defect plan: how many of each defect the day `plan` days before the end holds,
when the stock feed and the ERP interface were down, and the Defects record that states it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

WRONG_FOR_DAYS = 20  # one shop price has been wrong since this many days before the end
STOCK_OUTAGES = {0: (-5, 12), 5: (-3, 1), 9: (-9, -4), 16: (-6, 2), 23: (-4, 1)}  # hours, by plan
ERP_OUTAGE_PLAN = 12  # the day the ERP interface dropped 15 hours of orders
SHORT_EXPORT_PLAN = 3  # the day the stock export brought a third of its rows (anomaly only;
# it comes back live, DemoWorld.go_live, so the first live run's alert is really sent)


@dataclass(frozen=True)
class Defects:
    """What is wrong in the demo systems at one moment, counted as a reconcile sees it."""

    moment: datetime
    price_mismatches: int  # shop.catalog_products.unit_price vs pim.products.price
    wrong_for_weeks: str | None  # the sku whose shop price has been wrong since `wrong_since`
    wrong_since: datetime | None
    retired_enabled: int  # retired in the PIM, still enabled in the shop
    catalog_in_flight: int  # differing, but changed within the grace
    stock_last_export: datetime | None  # max(exported_at) of the warehouse feed
    stock_mismatches: int  # qty in the export vs shop.stock
    erp_missing_orders: int  # shop.orders without erp.sales_orders
    order_total_mismatches: int  # shop.orders.total vs erp.sales_orders.amount
    orders_in_flight: int  # missing or differing, but changed within the grace
    null_emails: int  # shop.customers without e-mail
    duplicate_customers: int  # extra shop.customers rows repeating an e-mail (absent in CRM)
    email_case_only: int  # differ from the CRM only in case or spaces: NOT a mismatch
    psp_missing_payments: int  # captured at the PSP, absent in erp.payments
    payments_in_flight: int  # captured within the grace, not yet in the ERP
    erp_old_countries: int = 0  # erp.customers whose country is not the CRM's (moved)
    erp_old_names: int = 0  # erp.customers whose name is not the CRM's (renamed)
    erp_missing_customers: int = 0  # crm.customers absent in erp.customers
    both_disagree: int = 0  # customers the shop (no e-mail) and the ERP both get wrong
    stock_export_rows: int = 0  # rows of the warehouse's latest export (and of shop.stock)
    parcels_returned: int = 0  # courier parcels returned while the shop says delivered
    orders_not_in_crosswalk: int = 0  # shipped orders (and their parcels) not in order_parcels
    orders_split: int = 0  # orders in two parcels: one order id mapped to two parcel numbers

    @property
    def stock_feed_age(self) -> timedelta | None:
        """How old the newest warehouse export is at the moment."""
        return None if self.stock_last_export is None else self.moment - self.stock_last_export


# Each count is the defects of the day `plan` days before the end. Normal days carry a little
# noise that stays under the limits in demo/dxq.yml; incidents push an integration over them,
# get fixed, and some come back, so every integration has good and bad days.


def price_count(plan: int) -> int:
    """Shop prices that differ from the PIM: a price import that broke yesterday (the last two
    days), two one-day bursts, otherwise 0-2."""
    if plan in (11, 19):
        return 35 + plan
    return 15 - 3 * plan if plan <= 1 else (plan * 7) % 3


def retired_count(plan: int) -> int:
    return 4 if plan <= 6 else 0 if plan <= 12 else 3 if plan <= 22 else 0


def stock_count(plan: int) -> int:
    """Shop stock levels that differ from the export: the shop's import skipped part of the
    file on two days, otherwise 0-1."""
    return 40 if plan in (13, 14) else int(plan % 3 == 0)


def missing_order_count(plan: int) -> int:
    """Orders that never reach the ERP: since yesterday the ERP rejects some (the last two
    days), otherwise at most one, none in the first days while the order book is small."""
    if plan <= 1:
        return 10 - 3 * plan
    return 0 if plan >= 26 else plan % 2


def total_count(plan: int) -> int:
    """ERP amounts without the shipping fee: an ERP update on two days, otherwise at most one,
    and none while the order book is small or a missing order is already in the noise."""
    if plan in (20, 21):
        return 6
    return int(plan <= 15 and plan % 3 == 0)


def payment_count(plan: int) -> int:
    """Captured payments missing in the ERP: two episodes of a failing payment import, fixed
    since; none at the end."""
    return 3 if 4 <= plan <= 8 else 2 if 14 <= plan <= 16 else 0


def null_count(plan: int) -> int:
    """Shop customers without e-mail: a checkout bug in the last four days, and two days of
    it two weeks earlier."""
    return 2 + plan % 3 if plan <= 3 else 2 if plan in (17, 18) else 0


def duplicate_count(plan: int) -> int:
    """Customers registered twice with one e-mail: the last five days and two days early on."""
    return 1 + (plan // 2) % 2 if plan <= 4 else 2 if plan in (25, 26) else 0


def case_count(plan: int) -> int:
    return 5 + plan % 3


def sync_delay_range(plan: int) -> tuple[int, int]:
    """Seconds a PIM price change takes to reach the shop, for a change made on the day `plan`
    days before the end (the day the run at that day's end measures): a few minutes normally;
    the shop's import job slowed down on four days a week before the end (p95 past the
    latency SLA of 15m in demo/dxq.yml), and ran a little slow two days before that."""
    if 6 <= plan <= 9:
        return 18 * 60, 45 * 60
    if plan in (11, 12):
        return 6 * 60, 14 * 60
    return 60, 9 * 60


def erp_customer_count(plan: int) -> tuple[int, int, int]:
    """ERP customers that disagree with the CRM (the golden record): (old countries, old
    names, missing). The ERP's address sync stopped three days before the end (customers who
    moved keep their old country there) and the newest customers are missing since yesterday;
    otherwise an old name now and then, under the limit."""
    countries = 2 + plan % 2 if plan <= 3 else 0
    missing = 2 - plan if plan <= 1 else 0
    return countries, int(plan % 6 == 0), missing
