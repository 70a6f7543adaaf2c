"""Declarations of systems and datasets: plain frozen data, no connections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FileFormat = Literal["csv", "parquet", "jsonl"]


@dataclass(frozen=True)
class SqlSystem:
    """A system reached through a SQLAlchemy URL. `url` may hold a password: show `masked_url`."""

    name: str
    url: str
    timezone: str = "UTC"  # the zone of naive timestamps stored in this system
    connect_timeout_s: float = 10.0
    query_timeout_s: float = 300.0
    description: str = ""


@dataclass(frozen=True)
class FileSystem:
    """A system known through exported files; `pattern` is an absolute glob."""

    name: str
    pattern: str
    format: FileFormat
    timezone: str = "UTC"
    description: str = ""


System = SqlSystem | FileSystem


@dataclass(frozen=True)
class Dataset:
    """A table, a SQL query or (for a files system) the files, inside one system.

    Exactly one of `table` / `query` is set for a SQL system; neither for a files system.
    `table` may be schema-qualified ("sales.orders").
    """

    system: System
    table: str | None = None
    query: str | None = None

    @property
    def label(self) -> str:
        """How users name the dataset: "pim.products", "shop (query)", "wms"."""
        if self.table is not None:
            return f"{self.system.name}.{self.table}"
        if self.query is not None:
            return f"{self.system.name} (query)"
        return self.system.name
