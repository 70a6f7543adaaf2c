"""The Check page for on-call (AppTest on a copy of the demo store): what the check means,
where to reproduce it, the sample records, and values from the systems shown as data."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from dashboard import sample
from dashboard.format import literal
from store.schema import alert_events, alerts, latest_results
from tests.dashboard.support import APP, open_page, text_of

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


@pytest.fixture
def failing(demo_dashboard: str) -> pd.DataFrame:
    """The failing checks of the demo copy, by their stored names."""
    engine = sa.create_engine(demo_dashboard)
    with engine.connect() as c:
        frame = pd.DataFrame(
            c.execute(sa.select(latest_results).where(latest_results.c.outcome != "passed"))
            .mappings()
            .all()
        )
    engine.dispose()
    assert not frame.empty
    return frame


def test_check_page_of_a_failing_check_explains_and_reproduces(failing: pd.DataFrame) -> None:
    row = failing[failing["check"] == "reconcile"].iloc[0]
    at = open_page("check", integration=row["integration"], check="reconcile")
    assert at.title[0].value.startswith("records agree between")  # integration.check_names
    text = text_of(at)
    assert "agree field by field" in text
    assert literal(row["observed"]) in text  # escaped: shown as text
    assert at.code and "SELECT" in at.code[0].value.upper()
    frames = [d.value for d in at.dataframe]
    assert any(any(str(c).startswith("key ") for c in f.columns) for f in frames)
    # the history strip waits, counted, in its expander (no Plotly for a page opened from an
    # alert link); ?history=true, or opening it, draws it
    (label,) = [e.proto.label for e in at.expander if e.proto.label.startswith("Recent results")]
    assert re.match(r"Recent results: \d+ runs, (.+, )?\d+ Failing", label), label
    assert not at.get("plotly_chart")
    opened = open_page("check", integration=row["integration"], check="reconcile", history="true")
    assert any("Recent results" in c.proto.spec for c in opened.get("plotly_chart"))


def test_acknowledging_a_firing_alert_records_who(demo_dashboard: str) -> None:
    engine = sa.create_engine(demo_dashboard)
    with engine.connect() as c:
        firing = c.execute(
            sa.select(alerts.c.id, alerts.c.integration, alerts.c.check)
            .where(alerts.c.state == "firing", alerts.c.check.is_not(None))
            .limit(1)
        ).one()
    at = open_page("check", integration=firing.integration, check=firing.check)
    assert "Firing" in text_of(at)
    at.text_input(key="dxq_actor").input("Dana On-Call")
    buttons = [b for b in at.button if b.label == "Acknowledge"]
    assert buttons, [b.label for b in at.button]
    buttons[0].click().run()
    assert not at.exception
    assert any("Acknowledged by Dana On-Call" in s.value for s in at.success)
    assert "Acknowledged" in text_of(at)
    with engine.connect() as c:
        state, who = c.execute(
            sa.select(alerts.c.state, alerts.c.acknowledged_by).where(alerts.c.id == firing.id)
        ).one()
        actors = (
            c.execute(sa.select(alert_events.c.actor).where(alert_events.c.alert_id == firing.id))
            .scalars()
            .all()
        )
    assert (state, who) == ("acknowledged", "Dana On-Call")
    assert "Dana On-Call" in actors
    engine.dispose()


def test_check_page_unknown_check_is_an_error() -> None:
    at = open_page("check", integration="orders", check="nope")
    assert "nope" in at.error[0].value


def test_signed_in_stranger_cannot_acknowledge(failing: pd.DataFrame) -> None:
    row = failing[failing["integration"] == "product-catalog"].iloc[0]
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    at.user = {"is_logged_in": True, "email": "finance@example.com"}
    at.query_params["integration"] = row["integration"]
    at.query_params["check"] = row["check"]
    at.switch_page("dashboard/pages/check.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [b for b in at.button if b.label == "Acknowledge"]
    assert "Signed in as finance@example.com" in text_of(at)


def test_the_observed_value_is_labelled_as_measured_at_the_last_run() -> None:
    at = open_page("check", integration="stock-levels", check="freshness")
    labels = [c.value for c in at.caption if c.value.startswith("Observed")]
    assert labels and labels[0].startswith("Observed at the last run (") and "ago" in labels[0]
