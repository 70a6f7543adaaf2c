"""Reading an HTTP JSON API dataset page by page, with httpx.

- Pagination: a cursor taken from the body (`pagination.cursor`), a page number
  (`pagination.page`, until a short or empty page) or the `Link: <…>; rel="next"` header
  (`pagination.link_header`, same origin only, so the credentials never leave for another
  host).
- 429 waits as its `Retry-After` says (at most the system's `timeout`); 5xx and refused
  connections are retried with backoff by the one retry policy (`datasources.retry_policy`);
  no wait goes past half of the run's budget.
- Each request times out after the system's `timeout`, capped at the run's time left.
- `max_pages` and `max_rows` cap a read: reaching a cap is an error naming it, never a silent
  partial dataset.

Every failure is a `datasources` error whose message names the system, the method and URL path
(never the query string or headers, so neither a token nor an API key can leak into a result or
a log line) and what happened; its `cause` says why for machines.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

import httpx

from datasources import budget as budgets
from datasources.api_dataset import ApiDataset, ApiSystem
from datasources.credentials import mask_credentials
from datasources.errors import (
    AuthenticationFailed,
    DatasetNotFound,
    DatasourceError,
    QueryFailed,
    QueryTimeout,
    SystemUnreachable,
)
from datasources.retry_policy import RETRY, RetryPolicy, give_up_at, may_wait, parse_retry_after

log = logging.getLogger("dxq.datasources")
Item = dict[str, Any]


class ReadCapReached(QueryFailed):
    """An API dataset has more pages or rows than the system's `max_pages` / `max_rows`."""


class Request:
    """Where the errors of one dataset's reads point: system, method and path."""

    def __init__(self, system: ApiSystem, dataset: ApiDataset) -> None:
        self.system = system
        self.dataset = dataset

    def error(self, kind: type[DatasourceError], what: str) -> DatasourceError:
        where = f"API system {self.system.name!r}, GET {self.dataset.path}"
        return kind(mask_credentials(f"{where}: {what}"))


def read_pages(
    system: ApiSystem,
    dataset: ApiDataset,
    *,
    client: httpx.Client | None = None,
    policy: RetryPolicy = RETRY,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[list[Item]]:
    """The items of `dataset`, one list per page, in the API's order."""
    request = Request(system, dataset)
    own = client is None
    http = client or httpx.Client(follow_redirects=False)
    try:
        yield from _pages(request, http, policy, sleep)
    finally:
        if own:
            http.close()


def _pages(
    request: Request, http: httpx.Client, policy: RetryPolicy, sleep: Callable[[float], None]
) -> Iterator[list[Item]]:
    system, dataset = request.system, request.dataset
    pagination = dataset.pagination
    url = system.base_url.rstrip("/") + "/" + dataset.path.lstrip("/")
    params: dict[str, str] = dict(dataset.params)
    if pagination.kind == "page":
        params[pagination.param] = str(pagination.first)
        if pagination.size_param:
            params[pagination.size_param] = str(pagination.size)
    pages = rows = 0
    while True:
        if pages >= system.max_pages:
            raise request.error(
                ReadCapReached,
                f"there are more than max_pages ({system.max_pages}) pages; raise "
                "the system's max_pages or narrow the dataset with params",
            )
        response = _get(request, http, url, params, policy, sleep)
        body = _json(request, response)
        items = _items(request, body)
        pages += 1
        rows += len(items)
        if rows > system.max_rows:
            raise request.error(
                ReadCapReached,
                f"there are more than max_rows ({system.max_rows}) rows (after {pages} "
                "page(s)); raise the system's max_rows or narrow the dataset with params",
            )
        yield items
        if not items or pagination.kind == "none":
            return
        if pagination.kind == "cursor":
            cursor = dig(body, pagination.field)
            if cursor in (None, "", False):
                return
            params[pagination.param] = str(cursor)
        elif pagination.kind == "page":
            if len(items) < pagination.size:
                return
            params[pagination.param] = str(int(params[pagination.param]) + 1)
        else:
            following = response.links.get("next", {}).get("url")
            if not following:
                return
            url, params = _next_link(request, url, following)


def _get(
    request: Request,
    http: httpx.Client,
    url: str,
    params: dict[str, str],
    policy: RetryPolicy,
    sleep: Callable[[float], None],
) -> httpx.Response:
    """One page, retried as the policy says after a 5xx, a refused connection or a 429."""
    system = request.system
    waits = policy.waits()
    give_up = give_up_at()
    attempt = 0
    while True:
        budget = budgets.current()
        timeout = (
            system.query_timeout_s if budget is None else budget.timeout_s(system.query_timeout_s)
        )
        failure: str
        wait: float | None = None
        try:
            response = http.get(url, params=params, headers=system.auth.headers(), timeout=timeout)
        except httpx.TimeoutException:
            raise request.error(
                QueryTimeout, f"no answer within the timeout ({timeout:g} s)"
            ) from None
        except httpx.TransportError as exc:
            failure = f"could not connect ({type(exc).__name__})"
        else:
            status = response.status_code
            if status < 400:
                return response
            if status == 429:
                failure = "rate limited (429)"
                wait = parse_retry_after(response.headers.get("Retry-After"))
            elif status >= 500:
                failure = f"the server answered {status} {response.reason_phrase}".rstrip()
            else:
                raise _refused(request, response)
        if attempt >= len(waits):
            raise request.error(SystemUnreachable, f"{failure}; gave up after {attempt} retries")
        wait = waits[attempt] if wait is None else wait
        if wait > max(system.query_timeout_s, policy.max_wait_s):
            raise request.error(
                SystemUnreachable,
                f"{failure}; the API asks to wait {wait:g} s, longer than the system's "
                f"timeout ({system.query_timeout_s:g} s)",
            )
        if not may_wait(wait, give_up):
            raise request.error(
                SystemUnreachable,
                f"{failure}; waiting {wait:g} s more would pass half of the run's time left",
            )
        attempt += 1
        log.info(
            "API system %r, GET %s: %s; retry %d of %d in %g s",
            system.name,
            request.dataset.path,
            failure,
            attempt,
            len(waits),
            wait,
        )
        sleep(wait)


def _refused(request: Request, response: httpx.Response) -> DatasourceError:
    status = f"{response.status_code} {response.reason_phrase}".rstrip()
    if response.status_code in (401, 403):
        return request.error(AuthenticationFailed, f"the API refused the credentials ({status})")
    if response.status_code in (404, 410):
        return request.error(DatasetNotFound, f"no such resource ({status}); check the path")
    return request.error(QueryFailed, f"the API refused the request ({status})")


def _json(request: Request, response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise request.error(QueryFailed, f"the answer is not valid JSON: {exc}") from None


def _items(request: Request, body: Any) -> list[Item]:
    found = dig(body, request.dataset.items)
    where = f"'{request.dataset.items}'" if request.dataset.items else "the body"
    if not isinstance(found, list):
        got = "nothing" if found is None else type(found).__name__
        raise request.error(QueryFailed, f"expected a list of items at {where}, found {got}")
    for item in found:
        if not isinstance(item, dict):
            got = type(item).__name__
            raise request.error(QueryFailed, f"an item at {where} is a {got}, not an object")
    return found


def dig(body: Any, path: str) -> Any:
    """The value at a dotted path ("meta.next_cursor"); the body itself for ""; None if absent."""
    value = body
    for part in path.split(".") if path else []:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _next_link(request: Request, current: str, following: str) -> tuple[str, dict[str, str]]:
    """The next page's URL (without its query) and query parameters, from a `Link` header;
    only on the same origin, so the credentials never go to another host."""
    resolved = urlsplit(urljoin(current, following))
    if resolved[:2] != urlsplit(current)[:2]:
        raise request.error(
            QueryFailed,
            "the next page's link points to another host; dxq does not send the credentials there",
        )
    url = urlunsplit((*resolved[:3], "", ""))
    return url, dict(parse_qsl(resolved.query, keep_blank_values=True))
