"""The exceptions of `datasources`: one tree, each a finding about reaching a system."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class Cause(StrEnum):
    """Why a check could not be evaluated, for machines (retry, alerting, the dashboard).

    - `unreachable`: the system did not accept a connection (down, refused, too many clients);
      worth retrying.
    - `timeout`: a query ran past its timeout, or no pooled connection came free in time.
    - `auth`: the system refused the credentials or the role's access to the database.
    - `missing_table`: the table, files or a named column do not exist.
    - `bad_query`: the system (or dxq) rejected a query or the data it returned.
    - `internal`: anything else: a defect in dxq or a library.
    """

    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    AUTH = "auth"
    MISSING_TABLE = "missing_table"
    BAD_QUERY = "bad_query"
    INTERNAL = "internal"


class DatasourceError(Exception):
    """A system or dataset could not be read."""

    cause: ClassVar[Cause] = Cause.INTERNAL


class SystemUnreachable(DatasourceError):
    """The system did not accept a connection (down, wrong host, bad credentials)."""

    cause: ClassVar[Cause] = Cause.UNREACHABLE


class AuthenticationFailed(DatasourceError):
    """The system refused the credentials (or the role's access to the database)."""

    cause: ClassVar[Cause] = Cause.AUTH


class DatasetNotFound(DatasourceError):
    """The table, query or files named by a dataset do not exist."""

    cause: ClassVar[Cause] = Cause.MISSING_TABLE


class ColumnNotFound(DatasourceError):
    """A column named in the monitor file is not in the dataset."""

    cause: ClassVar[Cause] = Cause.MISSING_TABLE


class QueryTimeout(DatasourceError):
    """A query ran longer than the system's query timeout and was cancelled."""

    cause: ClassVar[Cause] = Cause.TIMEOUT


class QueryFailed(DatasourceError):
    """The system rejected or failed a query (bad SQL, permissions, type errors)."""

    cause: ClassVar[Cause] = Cause.BAD_QUERY


class QueryRefused(QueryFailed):
    """dxq refused to run query text: it is not exactly one read statement."""


def cause_of(exc: BaseException) -> Cause:
    """The machine-readable cause of an exception: its own `cause` when it declares one (the
    `datasources` tree, reconcile's errors), `internal` otherwise."""
    cause = getattr(type(exc), "cause", None)
    return cause if isinstance(cause, Cause) else Cause.INTERNAL
