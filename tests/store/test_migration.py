"""Opening and migrating the results database."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from store import store as store_module
from store.errors import StoreError, StoreUnavailable
from store.migration import (
    MIGRATIONS,
    alembic_config,
    current_revision,
    head_revision,
    is_current,
    newest_file_revision,
)
from store.schema import metadata, runs
from store.store import ResultStore


def test_open_migrates_an_empty_database_to_head(store_url: str) -> None:
    store = ResultStore.open(store_url)
    tables = set(sa.inspect(store.engine).get_table_names())
    assert tables == set(metadata.tables) | {"alembic_version"}
    with store.engine.connect() as connection:
        assert current_revision(connection) == head_revision() is not None
    store.dispose()


def test_migration_matches_the_declared_schema(store: ResultStore) -> None:
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []


def test_open_and_upgrade_are_idempotent(store_url: str) -> None:
    first = ResultStore.open(store_url)
    run_id = first.begin_run("orders", _t0())
    second = ResultStore.open(store_url)
    second.upgrade()
    with second.engine.connect() as connection:
        versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    assert versions == [(head_revision(),)]
    assert second.fail_stale_runs("kept across upgrades") == 1  # the run survived
    assert run_id == 1
    first.dispose()
    second.dispose()


def test_open_false_migrate_leaves_the_database_empty(sqlite_url: str) -> None:
    store = ResultStore.open(sqlite_url, migrate=False)
    assert sa.inspect(store.engine).get_table_names() == []
    store.dispose()


def test_sqlite_directory_is_created_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = ResultStore.open("sqlite:///.dxq/nested/results.db")
    assert (tmp_path / ".dxq" / "nested" / "results.db").is_file()
    assert "runs" in sa.inspect(store.engine).get_table_names()
    store.dispose()


def test_concurrent_opens_on_postgresql_migrate_once(pg_schema_url: str) -> None:
    errors: list[BaseException] = []
    stores: list[ResultStore] = []

    def open_store() -> None:
        try:
            stores.append(ResultStore.open(pg_schema_url))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with stores[0].engine.connect() as connection:
        assert current_revision(connection) == head_revision()
    for store in stores:
        store.dispose()


def test_a_new_sqlite_store_opens_while_another_connection_writes_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new SQLite file is not yet in WAL mode; while another connection holds a write lock on
    it, SQLite refuses the switch to WAL at once ("database is locked"), whatever the busy
    timeout: connections opening a new store together (a scheduler and workers started at once,
    the four senders of test_digests) failed so about once in 50 races. Opening waits for the
    lock as a write would (store.store._write_ahead_log). The lock is released only once the
    store has been refused and waits to try again, so the retry runs in every run of this
    test, however slow the machine."""
    path = tmp_path / "new.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE other (x INTEGER)")  # a file in rollback mode, as sqlite3 makes
    writer.execute("BEGIN IMMEDIATE")
    with closing(sqlite3.connect(path, timeout=5)) as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="locked"):  # what SQLite does itself
            other.execute("PRAGMA journal_mode=WAL")
        assert time.monotonic() - started < 1, "at once, not after its 5 s busy timeout"
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the store's wait before trying WAL mode again
        if not waits:
            writer.execute("ROLLBACK")
        waits.append(seconds)
        time.sleep(seconds)

    clock = SimpleNamespace(monotonic=time.monotonic, sleep=sleep)
    monkeypatch.setattr(store_module, "time", clock)
    try:
        store = ResultStore.open(f"sqlite:///{path}")
    finally:
        writer.close()
    assert waits == [store_module.WAL_RETRY_S]  # refused once while locked, then switched
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert current_revision(connection) == head_revision()
    store.dispose()


def test_a_new_sqlite_store_still_locked_after_the_busy_timeout_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_S", 0.3)
    path = tmp_path / "new.db"
    with closing(sqlite3.connect(path, isolation_level=None)) as writer:
        writer.execute("CREATE TABLE other (x INTEGER)")
        writer.execute("BEGIN IMMEDIATE")  # never released while the store opens
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="database is locked"):
            ResultStore.open(f"sqlite:///{path}")
        assert 0.25 < time.monotonic() - started < 5, "waited for the busy timeout, then gave up"


def test_unreachable_database_is_reported_with_the_password_masked() -> None:
    with pytest.raises(StoreUnavailable) as caught:
        ResultStore.open("postgresql+psycopg://dxq:s3cret@127.0.0.1:1/results?connect_timeout=2")
    message = str(caught.value)
    assert "s3cret" not in message
    assert "dxq:***@127.0.0.1:1/results" in message


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql+pymysql://root:pw@127.0.0.1/x", "must be sqlite or postgresql, not mysql"),
        ("not a url", "not a database URL"),
    ],
)
def test_unsupported_urls_are_refused(url: str, words: str) -> None:
    with pytest.raises(StoreError, match=words) as caught:
        ResultStore.open(url)
    assert ":pw@" not in str(caught.value)


def _t0() -> datetime:
    return datetime(2026, 11, 2, tzinfo=UTC)


def test_one_initial_migration_creates_the_schema_and_downgrades_to_nothing(
    store_url: str,
) -> None:
    assert head_revision() == "0006"
    store = ResultStore.open(store_url, migrate=False)
    with store.engine.connect() as connection:
        command.upgrade(alembic_config(connection), "0001")
        connection.commit()
    run_id = store.begin_run("orders", _t0())
    store.complete_run(run_id, _t0(), [])
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(runs.c.id, runs.c.status)).all() == [(run_id, "passed")]
        command.downgrade(alembic_config(connection), "base")
        connection.commit()
    assert set(sa.inspect(store.engine).get_table_names()) == {"alembic_version"}
    store.upgrade()
    with store.engine.connect() as connection:
        assert current_revision(connection) == head_revision()
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []
        assert connection.execute(sa.select(runs.c.id)).all() == []
    store.dispose()


def test_the_quick_revision_check_agrees_with_alembic(sqlite_url: str) -> None:
    """Runs check `alembic_version` against the newest file's name without Alembic; each file's
    name must start with its revision for that, and a database behind is still upgraded."""
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        declared = re.search(r'^revision = "([^"]+)"', path.read_text(), re.MULTILINE)
        assert declared and path.name.startswith(f"{declared[1]}_"), path.name
    assert newest_file_revision() == head_revision()
    store = ResultStore.open(sqlite_url, migrate=False)
    assert not is_current(store.engine)  # no alembic_version yet
    with store.engine.connect() as connection:
        command.upgrade(alembic_config(connection), "0001")
        connection.commit()
    assert not is_current(store.engine)
    store.upgrade()
    assert is_current(store.engine)
    store.dispose()
