"""Saved versions of GX suite files: who changed a suite, when, why, and its full content.

`path` is the suite file as the monitor file's directory sees it ("suites/catalog.json").
Writes go through a `Transaction`, so a version is recorded together with whatever else the
caller does in that transaction (the suite editor writes the file inside it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from store.errors import NotStorable
from store.schema import suite_versions
from store.store import ResultStore
from store.transaction import Transaction
from store.types import require_utc


@dataclass(frozen=True)
class SuiteVersion:
    """One saved content of one suite file."""

    id: int
    path: str
    content: str
    author: str
    comment: str
    created_at: datetime


def add_version(
    tx: Transaction, path: str, content: str, author: str, comment: str, created_at: datetime
) -> int:
    """Record a version of the suite at `path`; returns its id. Refuses a blank author."""
    if not author.strip():
        raise NotStorable("a suite version needs an author")
    row = {
        "path": path,
        "content": content,
        "author": author.strip(),
        "comment": comment.strip(),
        "created_at": require_utc(created_at, "created_at"),
    }
    stmt = suite_versions.insert().returning(suite_versions.c.id)
    return int(tx.connection.execute(stmt, row).scalar_one())


def latest_version(tx: Transaction, path: str) -> SuiteVersion | None:
    """The last recorded version of the suite at `path` (as `latest_versions`), inside `tx`."""
    c = suite_versions.c
    stmt = sa.select(suite_versions).where(c.path == path).order_by(c.id.desc()).limit(1)
    row = tx.connection.execute(stmt).mappings().first()
    return _version(row) if row is not None else None


def list_versions(store: ResultStore, path: str) -> list[SuiteVersion]:
    """Every version of the suite at `path`, newest first."""
    c = suite_versions.c
    stmt = (
        sa.select(suite_versions).where(c.path == path).order_by(c.created_at.desc(), c.id.desc())
    )
    with store.reading() as connection:
        return [_version(row) for row in connection.execute(stmt).mappings()]


def latest_versions(store: ResultStore, paths: list[str]) -> dict[str, SuiteVersion]:
    """The newest version of each of `paths` that has one."""
    if not paths:
        return {}
    c = suite_versions.c
    newest = sa.select(sa.func.max(c.id)).where(c.path.in_(paths)).group_by(c.path)
    stmt = sa.select(suite_versions).where(c.id.in_(newest))
    with store.reading() as connection:
        return {row["path"]: _version(row) for row in connection.execute(stmt).mappings()}


def _version(row: sa.RowMapping) -> SuiteVersion:
    created = row["created_at"]
    if not isinstance(created, datetime):
        raise NotStorable(f"suite version {row['id']} has no valid created_at")
    return SuiteVersion(
        id=int(row["id"]),
        path=str(row["path"]),
        content=str(row["content"]),
        author=str(row["author"]),
        comment=str(row["comment"] or ""),
        created_at=created,
    )
