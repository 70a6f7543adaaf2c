"""Every typed datasource error carries a machine-readable cause, classified once from the
driver's error on real engines (datasources/connection.py, datasources/errors.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from checks.reconcile.errors import BadColumn, DuplicateKeys
from datasources.connection import read_only
from datasources.dataset import SqlSystem
from datasources.errors import (
    AuthenticationFailed,
    Cause,
    DatasourceError,
    SystemUnreachable,
    cause_of,
)


def _cause(url: str, sql: str = "SELECT 1", **system: float) -> tuple[DatasourceError, Cause]:
    with pytest.raises(DatasourceError) as info, read_only(SqlSystem("crm", url, **system)) as c:
        c.exec_driver_sql(sql)
    return info.value, cause_of(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://dxq:topsecret@127.0.0.1:1/nothing",
        "mysql+pymysql://dxq:topsecret@127.0.0.1:1/nothing",
    ],
)
def test_a_closed_port_is_unreachable(url: str) -> None:
    error, cause = _cause(url, connect_timeout_s=2)
    assert cause is Cause.UNREACHABLE and isinstance(error, SystemUnreachable)


def test_a_refused_login_is_auth_not_unreachable(pg_url: str, mariadb_url: str) -> None:
    for base in (pg_url, mariadb_url):
        stranger = sa.make_url(base).set(username="no_such_role_dxq", password="wrong")
        error, cause = _cause(stranger.render_as_string(hide_password=False))
        assert cause is Cause.AUTH, error
        assert isinstance(error, AuthenticationFailed) and "refused the login" in str(error)
        assert "wrong" not in str(error)
        assert not isinstance(error, SystemUnreachable)  # not worth a retry


@pytest.mark.parametrize("fixture", ["sqlite_url", "pg_url", "mariadb_url"])
def test_missing_table_and_bad_query(request: pytest.FixtureRequest, fixture: str) -> None:
    url = str(request.getfixturevalue(fixture))
    assert _cause(url, "SELECT * FROM no_such_table_dxq")[1] is Cause.MISSING_TABLE
    assert _cause(url, "SELEC nonsense")[1] is Cause.BAD_QUERY


@pytest.mark.parametrize(
    ("fixture", "sleep_sql"),
    [("pg_url", "SELECT pg_sleep(5)"), ("mariadb_url", "SELECT SLEEP(5) FROM (SELECT 1) t")],
)
def test_a_cancelled_query_is_timeout(
    request: pytest.FixtureRequest, fixture: str, sleep_sql: str
) -> None:
    url = str(request.getfixturevalue(fixture))
    system = SqlSystem("slow", url, query_timeout_s=1)
    try:
        with read_only(system) as conn:
            conn.exec_driver_sql(sleep_sql).scalar_one()
    except DatasourceError as exc:
        assert cause_of(exc) is Cause.TIMEOUT
    else:
        pytest.skip("MariaDB interrupted SLEEP without an error")


def test_other_exceptions_are_internal_and_reconcile_errors_say_why() -> None:
    assert cause_of(ValueError("odd")) is Cause.INTERNAL
    assert cause_of(KeyError("x")) is Cause.INTERNAL
    assert cause_of(DuplicateKeys("k")) is Cause.BAD_QUERY
    assert cause_of(BadColumn("c")) is Cause.MISSING_TABLE
