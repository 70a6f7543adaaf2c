"""Plain words for business owners: schedules as words, who holds the correct record, owner
names instead of ids, GX's own words for expectations, no internal identifiers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from monitor.daemon.cron_words import schedule_words
from store.schema import latest_results
from tests.dashboard.support import open_page, text_of


@pytest.mark.parametrize(
    ("cron", "words"),
    [
        ("*/30 * * * *", "every 30 minutes"),
        ("* * * * *", "every minute"),
        ("0 * * * *", "every hour"),
        ("5 * * * *", "every hour at :05"),
        ("0 */2 * * *", "every 2 hours"),
        ("0 6 * * *", "every day at 06:00"),
        ("0 6,18 * * *", "every day at 06:00 and 18:00"),
        ("0 9 * * 1-5", "weekdays at 09:00"),
        ("0 9 * * MON-FRI", "weekdays at 09:00"),
        ("30 8 * * 1", "Mondays at 08:30"),
        ("0 8 * * 1,3", "Mondays and Wednesdays at 08:00"),
        ("0 0 * * 0,6", "weekends at 00:00"),
        ("0 3 1 * *", "on day 1 of every month at 03:00"),
        (None, "on demand only"),
        ("*/5 9-17 * * *", "cron “*/5 9-17 * * *”"),  # unusual: the text itself
        ("0 0 1 1 *", "cron “0 0 1 1 *”"),
        ("0 9 * *", "cron “0 9 * *”"),
    ],
)
def test_cron_in_words(cron: str | None, words: str) -> None:
    assert schedule_words(cron) == words


@pytest.mark.usefixtures("demo_dashboard")
def test_integration_page_says_who_holds_the_record_and_when_it_is_checked() -> None:
    text = text_of(open_page("integration", integration="customers"))
    assert "crm holds the correct record (the reference)" in text
    assert "checked every hour" in text
    assert "golden record" not in text and "* * *" not in text
    assert "CRM owner" in text  # the owner's name, not its id


@pytest.mark.usefixtures("demo_dashboard")
def test_an_expectation_is_titled_in_gx_words(demo_dashboard: str) -> None:
    engine = sa.create_engine(demo_dashboard)
    with engine.connect() as c:
        check, metrics = c.execute(
            sa.select(latest_results.c.check, latest_results.c.metrics).where(
                latest_results.c.integration == "customers",
                latest_results.c.check.like("%expect_column_values_to_be_unique(email)"),
            )
        ).one()
    engine.dispose()
    assert metrics["description"] == "email values must be unique."
    at = open_page("check", integration="customers", check=check)
    assert at.title[0].value == "email values must be unique\\."
    overview = open_page().dataframe[0].value
    assert "email values must be unique." in set(overview["check"])


@pytest.mark.usefixtures("demo_dashboard")
def test_the_check_picker_offers_expectations_in_gx_words() -> None:
    at = open_page("check", integration="customers", check="reconcile(shop.customers)")
    picker = at.selectbox[1]
    assert "email values must be unique." in picker.options
    # one reconcile per target, each in words (integration.check_names)
    assert "records agree between crm.customers and erp.customers" in picker.options
    assert not [o for o in picker.options if "expect_" in o], picker.options
    assert picker.value == "reconcile(shop.customers)"
