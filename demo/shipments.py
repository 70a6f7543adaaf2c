"""The courier's side of the demo: a parcel for every shipped shop order, numbered by the
courier's own parcel numbers, and the courier's table that says which parcel carries which
order (the crosswalk the `shipments` integration matches through, docs/monitor-file.md#key).

Ground truth injected each day, the same counts every day: parcels the courier returned while
the shop still says delivered (a changed field), orders whose parcel the courier never linked
to the order (missing from the crosswalk, on both sides), and one order shipped in two parcels
(one order id to two parcel numbers: ambiguous)."""

from __future__ import annotations

from datetime import datetime

from demo import data
from demo.data import Order, stamp

RETURNED = 3  # delivered in the shop, returned to sender at the courier
UNLINKED = 2  # shipped orders whose parcel is absent from the courier's order_parcels
SPLIT = 1  # orders shipped in two parcels (one order id, two parcel numbers)
COURIER_STATUS = {"shipped": "in_transit", "delivered": "delivered"}
Rows = list[tuple[object, ...]]


def parcel_number(order_id: int, parcel: int = 0) -> str:
    """The courier's own number for the order's parcel (never the shop's order id)."""
    return f"1Z{order_id * 7919 + parcel:09d}"


def courier_tables(
    seed: int, orders: list[Order], moment: datetime, day: int, counts: dict[str, int]
) -> dict[str, Rows]:
    """The courier's parcels and order_parcels at `moment` (every order the shop has shipped),
    with the day's defects; `counts` receives them as the reconcile must find them."""
    shipped: list[tuple[Order, str, datetime]] = []
    for o in orders:
        status, _ = data.order_status(o, moment)
        if status in COURIER_STATUS:
            shipped.append((o, status, o.created_at + 2 * data.HOUR))
    pick = data.rng(seed, "shipments", day)
    delivered = [i for i, (_, status, _) in enumerate(shipped) if status == "delivered"]
    returned = set(pick.sample(delivered, min(RETURNED, len(delivered))))
    rest = [i for i in range(len(shipped)) if i not in returned]
    odd = pick.sample(rest, min(UNLINKED + SPLIT, len(rest)))
    unlinked, split = set(odd[:UNLINKED]), set(odd[UNLINKED:])
    parcels: Rows = []
    links: Rows = []
    for i, (o, status, picked_up) in enumerate(shipped):
        state = "returned" if i in returned else COURIER_STATUS[status]
        numbers = [parcel_number(o.order_id, n) for n in range(2 if i in split else 1)]
        for number in numbers:
            parcels.append((number, state, stamp(picked_up)))
            if i not in unlinked:
                links.append((o.order_id, number))
    counts.update(
        parcels_returned=len(returned),
        orders_not_in_crosswalk=len(unlinked),
        orders_split=len(split),
    )
    return {"parcels": parcels, "order_parcels": links}
