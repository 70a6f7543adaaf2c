"""The `api` section of a system: an HTTP JSON API whose datasets dxq reads page by page.

    systems:
      psp:
        api:
          base_url: https://api.psp.example
          auth: {bearer: "${PSP_TOKEN}"}
          datasets:
            transactions:
              path: /v1/charges
              items: data
              pagination: {cursor: {param: starting_after, field: next_cursor}}

Secrets in `auth` are kept out of `repr` so a printed model cannot show them.
"""

from __future__ import annotations

import base64
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, field_validator, model_validator

from datasources.api_dataset import (
    ApiAuth,
    ApiDataset,
    ApiField,
    ApiSystem,
    Pagination,
    api_url,
)
from monitor.config.values import Duration, Model

_DATASET_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class BasicAuth(Model):
    username: str
    password: str = Field(repr=False)


class HeaderAuth(Model):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
    value: str = Field(repr=False)


class Auth(Model):
    """Exactly one of `bearer` (a token), `basic` (user and password) or `header`."""

    bearer: str | None = Field(default=None, repr=False)
    basic: BasicAuth | None = None
    header: HeaderAuth | None = None

    @model_validator(mode="after")
    def _check_one(self) -> Auth:
        given = [k for k in ("bearer", "basic", "header") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of bearer: TOKEN, basic: {username, password} or "
                "header: {name, value}" + (f" (got {', '.join(given)})" if given else "")
            )
        if self.bearer is not None and not self.bearer.strip():
            raise ValueError("the bearer token is empty; is its environment variable set?")
        return self

    def declared(self) -> ApiAuth:
        if self.bearer is not None:
            return ApiAuth("bearer", "Authorization", f"Bearer {self.bearer.strip()}")
        if self.basic is not None:
            pair = f"{self.basic.username}:{self.basic.password}".encode()
            return ApiAuth("basic", "Authorization", "Basic " + base64.b64encode(pair).decode())
        assert self.header is not None
        return ApiAuth("header", self.header.name, self.header.value)


class CursorPages(Model):
    param: str = Field(min_length=1)  # the query parameter that carries the cursor
    field: str = Field(min_length=1)  # dotted path of the next cursor in the body


class NumberedPages(Model):
    param: str = Field(default="page", min_length=1)
    size_param: str = ""
    size: int = Field(default=100, ge=1)
    first: int = Field(default=1, ge=0)


class Paging(Model):
    """Exactly one of `cursor`, `page` or `link_header: true`."""

    cursor: CursorPages | None = None
    page: NumberedPages | None = None
    link_header: bool = False

    @model_validator(mode="after")
    def _check_one(self) -> Paging:
        given = [k for k in ("cursor", "page") if getattr(self, k) is not None]
        given += ["link_header"] if self.link_header else []
        if len(given) != 1:
            raise ValueError(
                "give exactly one of cursor: {param, field}, page: {param, size_param, size} "
                "or link_header: true" + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    def declared(self) -> Pagination:
        if self.cursor is not None:
            return Pagination("cursor", param=self.cursor.param, field=self.cursor.field)
        if self.page is not None:
            page = self.page
            return Pagination(
                "page", page.param, size_param=page.size_param, size=page.size, first=page.first
            )
        return Pagination("link_header")


class FieldDef(Model):
    path: str = Field(min_length=1)
    type: Literal["auto", "text", "integer", "number", "boolean", "timestamp"] = "auto"


def _as_field(value: object) -> object:
    return {"path": value} if isinstance(value, str) else value


ColumnName = Annotated[str, Field(pattern=_DATASET_NAME)]


class Endpoint(Model):
    """One dataset of an API: `path` under the base URL and where its items are."""

    path: str = Field(min_length=1)
    items: str = ""
    pagination: Paging | None = None
    params: dict[str, str | int | float | bool] = {}
    fields: dict[ColumnName, Annotated[FieldDef, BeforeValidator(_as_field)]] = {}

    @field_validator("path")
    @classmethod
    def _check_path(cls, path: str) -> str:
        if not path.startswith("/") or "://" in path or "?" in path:
            raise ValueError(
                f"'{path}' is not a URL path; write it from the base URL, e.g. /v1/charges, "
                "and put query parameters under params"
            )
        return path


class ApiSection(Model):
    base_url: str
    auth: Auth | None = None
    timeout: Duration = 30.0
    max_pages: int = Field(default=1000, ge=1)
    max_rows: int = Field(default=1_000_000, ge=1)
    datasets: dict[Annotated[str, Field(pattern=_DATASET_NAME)], Endpoint] = Field(min_length=1)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"expected an http:// or https:// URL with a host, got '{url}'")
        if parts.username or parts.password:
            raise ValueError("put credentials under auth, not in the base URL")
        if parts.query or parts.fragment:
            raise ValueError("the base URL takes no query; put parameters under params")
        return url

    def declared(
        self, name: str, *, timezone: str, connect_timeout: float, description: str
    ) -> ApiSystem:
        """The datasource declaration of this API system, named `name`."""
        return ApiSystem(
            name=name,
            url=api_url(name),
            timezone=timezone,
            connect_timeout_s=connect_timeout,
            query_timeout_s=self.timeout,
            description=description,
            base_url=self.base_url,
            auth=self.auth.declared() if self.auth is not None else ApiAuth(),
            max_pages=self.max_pages,
            max_rows=self.max_rows,
            datasets=tuple(
                ApiDataset(
                    name=key,
                    path=endpoint.path,
                    items=endpoint.items,
                    pagination=(
                        endpoint.pagination.declared()
                        if endpoint.pagination is not None
                        else Pagination()
                    ),
                    params=tuple((k, _param(v)) for k, v in endpoint.params.items()),
                    fields=tuple(
                        ApiField(column, f.path, f.type) for column, f in endpoint.fields.items()
                    ),
                )
                for key, endpoint in self.datasets.items()
            ),
        )


def _param(value: str | int | float | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
