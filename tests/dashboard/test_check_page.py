"""The Check page for on-call (AppTest on a copy of the demo store): what the check means,
where to reproduce it, the sample records, and values from the systems shown as data."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from dashboard import sample
from dashboard.format import literal
from store.schema import latest_results
from tests.dashboard.support import open_page, text_of

pytestmark = pytest.mark.usefixtures("demo_dashboard")

HOSTILE = {
    "observed": "[Click to re-authenticate](http://evil.example/login)",
    "expected": "![t](http://evil.example/pixel.png) :red[alarm] $x^2$",
    "reason": "<img src=http://evil.example/a.png> **bold** HTTPS://evil.example "
    "www.evil.example mallory@evil.example",
}
# What markdown would turn into a link, an image, a directive, LaTeX, emphasis or HTML.
ACTIVE = re.compile(r"(?<!\\)[\[\]()!:$*<>_`]")
LIVE = re.compile(r"(?<!\\)(\]\(|<img|:red\[|\$x)")  # a link, an image, a directive, LaTeX
# GFM links bare URLs and e-mail addresses even when escaped: a word joiner must split them.
AUTOLINKED = re.compile(r"(?i)https?\\?:|www\\?\.|\w\\?@")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def test_source_side_freshness_names_the_source_system() -> None:
    at = open_page("check", integration="stock-levels", check="freshness")
    text = text_of(at)
    assert "Is the newest record on the wms side recent enough?" in text, text


def test_reconcile_reproduce_query_says_where_to_run_it() -> None:
    at = open_page("check", integration="orders", check="reconcile")
    assert at.code
    assert "Run on **erp (target)**" in text_of(at)


@pytest.mark.parametrize("value", [*HOSTILE.values(), "a\\b_c*d\nnext line", ""])
def test_literal_escapes_every_markdown_construct_and_loses_nothing(value: str) -> None:
    shown = literal(value)
    assert not ACTIVE.search(shown) and not AUTOLINKED.search(shown), shown
    assert _unescape(shown).replace("  \n", "\n").replace("\u2060", "") == value


def test_values_from_the_systems_render_as_text_not_links_or_images(demo_dashboard: str) -> None:
    engine = sa.create_engine(demo_dashboard)
    with engine.begin() as c:
        c.execute(
            latest_results.update()
            .where(latest_results.c.integration == "orders", latest_results.c.check == "reconcile")
            .values(**HOSTILE)
        )
    engine.dispose()
    at = open_page("check", integration="orders", check="reconcile")
    shown = [m.value for m in at.markdown] + [w.value for w in at.warning]
    for value in HOSTILE.values():
        matches = [s for s in shown if literal(value) in s]
        assert matches, (value, shown)
    for text in shown:
        # The page's own markdown (badges, bold) is fine; nothing of the hostile values is live.
        assert not LIVE.search(text) and not AUTOLINKED.search(text), text


def test_sample_records_show_both_sides_real_values_and_mark_what_differs() -> None:
    at = open_page("check", integration="orders", check="reconcile")
    table = next(d.value for d in at.dataframe if "differs in" in d.value.columns)
    value_columns = [c for c in table.columns if " · " in c]
    assert {"amount · shop", "amount · erp", "customer_ref · shop", "customer_ref · erp"} <= set(
        value_columns
    )
    cells = table[value_columns].astype(str)
    assert not cells.isin(["None", "nan", ""]).any().any(), table
    assert not cells.apply(lambda c: c.str.contains(r"\.\d*0{3,}$")).any().any(), table
    missing = table[table["problem"] == "missing in erp (only in shop)"]
    assert not missing.empty
    assert (missing["amount · erp"] == sample.MISSING).all()
    assert missing["amount · shop"].map(float).gt(0).all()  # the shop's real amount
    changed = table[table["problem"] == "values differ"]
    assert (changed["differs in"] == "amount").all()
    assert (changed["amount · shop"] != changed["amount · erp"]).all()
    assert (changed["customer_ref · shop"] == changed["customer_ref · erp"]).all()


def test_the_differing_cells_are_shaded_and_named() -> None:
    rows = [
        {
            "key": {"id": 1},
            "kind": "changed",
            "fields": {"price": ["9.5", "9"]},
            "values": {"price": ["9.5", "9"], "name": ["Mug", "Mug"]},
        },
        {
            "key": {"id": 2},
            "kind": "missing_in_target",
            "fields": {},
            "values": {"price": ["3", None], "name": [None, None]},
        },
    ]
    table = sample.sample_table(rows, "pim", "shop")
    assert table.to_dict("records") == [
        {
            "key id": "1",
            "problem": "values differ",
            "differs in": "price",
            "price · pim": "9.5",
            "price · shop": "9",
            "name · pim": "Mug",
            "name · shop": "Mug",
        },
        {
            "key id": "2",
            "problem": "missing in shop (only in pim)",
            "differs in": "",
            "price · pim": "3",
            "price · shop": "—",
            "name · pim": "(empty)",
            "name · shop": "—",
        },
    ]
    marks = sample.differing_cells(table, "pim", "shop")
    assert marks.values.sum() == 2 and marks.loc[0, "price · pim"] and marks.loc[0, "price · shop"]


def test_a_sample_stored_before_values_were_kept_shows_no_none() -> None:
    old = [
        {"key": {"id": 1}, "kind": "changed", "fields": {"price": ["9.500000", "9.000000"]}},
        {"key": {"id": 2}, "kind": "missing_in_target", "fields": {}},
    ]
    table = sample.sample_table(old, "pim", "shop")
    assert "None" not in table.astype(str).to_numpy().tolist().__str__()
    assert table.loc[1, "problem"] == "missing in shop (only in pim)"
