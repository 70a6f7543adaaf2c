"""Declarations of an HTTP JSON API system and its datasets: plain frozen data, no connections.

An `ApiSystem` is a `SqlSystem` whose tables are read from the API at the start of each run
(`datasources.http_api.materialise`) into a temporary SQLite file; every check then reads that
file as it reads any SQL system. Until then its `url` names no database (`api://<name>`), so a
caller that skipped the materialisation gets a clear "cannot use this URL" error, never data.
Secrets (`auth`) are kept out of `repr`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from datasources.dataset import SqlSystem

FieldType = Literal["auto", "text", "integer", "number", "boolean", "timestamp"]


@dataclass(frozen=True)
class ApiAuth:
    """How requests authenticate: one header, built from the monitor file's `auth`."""

    kind: Literal["none", "bearer", "basic", "header"] = "none"
    header: str = ""  # e.g. "Authorization" or "X-Api-Key"
    value: str = field(default="", repr=False)  # the header's value: a secret

    def headers(self) -> dict[str, str]:
        return {} if self.kind == "none" else {self.header: self.value}


@dataclass(frozen=True)
class Pagination:
    """How the next page is asked for: none, a cursor, a page number or the `Link` header."""

    kind: Literal["none", "cursor", "page", "link_header"] = "none"
    param: str = ""  # cursor: the query parameter carrying the cursor; page: the page number
    field: str = ""  # cursor: the dotted path of the next cursor in the response body
    size_param: str = ""  # page: the query parameter of the page size
    size: int = 100  # page: the page size asked for
    first: int = 1  # page: the number of the first page


@dataclass(frozen=True)
class ApiField:
    """A column of the dataset: the dotted path of its value in an item, and its type."""

    column: str
    path: str
    type: FieldType = "auto"


@dataclass(frozen=True)
class ApiDataset:
    """One dataset of an API system: `path` answered page by page, the items under `items`."""

    name: str
    path: str  # e.g. "/v1/charges"
    items: str = ""  # dotted path of the list of items in the body; "" = the body is the list
    pagination: Pagination = Pagination()
    params: tuple[tuple[str, str], ...] = ()
    fields: tuple[ApiField, ...] = ()  # none: every top-level key of the items


@dataclass(frozen=True)
class ApiSystem(SqlSystem):
    """An HTTP JSON API (see the module docstring). `query_timeout_s` is each request's."""

    base_url: str = ""
    auth: ApiAuth = field(default=ApiAuth(), repr=False)
    max_pages: int = 1000
    max_rows: int = 1_000_000
    datasets: tuple[ApiDataset, ...] = ()

    def dataset(self, name: str) -> ApiDataset | None:
        return next((d for d in self.datasets if d.name == name), None)


def api_url(name: str) -> str:
    """The placeholder URL of an API system that has not been read yet."""
    return f"api://{name}"
