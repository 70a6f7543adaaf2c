"""Shared fixtures: real PostgreSQL and MariaDB databases, one fresh database per test session
(and per xdist worker), dropped at the end, so concurrent runs never see each other's tables."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get(
    "DXQ_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MARIADB_ADMIN_URL = os.environ.get("DXQ_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/test")


def _fresh_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a new, empty PostgreSQL database for this session."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = _fresh_name("dxq_test")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(PG_ADMIN_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    """URL of a new, empty MariaDB database for this session."""
    admin = sa.create_engine(MARIADB_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = _fresh_name("dxq_test")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    url = sa.make_url(MARIADB_ADMIN_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    """URL of a new SQLite file for this test."""
    return f"sqlite:///{os.fspath(tmp_path)}/system.db"


DEMO_END = "2026-11-20T09:00:00+00:00"  # a fixed simulated "now", so demo facts are exact


@pytest.fixture(scope="session")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The demo built once per session (3 days of history) into a temporary state directory,
    its payment provider's API served for the session; the environment that points the demo's
    monitor file at them."""
    from datetime import datetime

    from demo.command import build_demo
    from demo.command import demo_env as env_for
    from demo.psp_api import PSP_URL, running_psp

    state = tmp_path_factory.mktemp("demo-state")
    build_demo(days=3, state_dir=state, end=datetime.fromisoformat(DEMO_END), quiet=True)
    with running_psp(state / "demo" / "psp.db") as psp_url:
        yield {**os.environ, **env_for(state), PSP_URL: psp_url}
