"""The exceptions of `datasources`: one tree, each a finding about reaching a system."""

from __future__ import annotations


class DatasourceError(Exception):
    """A system or dataset could not be read."""


class SystemUnreachable(DatasourceError):
    """The system did not accept a connection (down, wrong host, bad credentials)."""


class DatasetNotFound(DatasourceError):
    """The table, query or files named by a dataset do not exist."""


class ColumnNotFound(DatasourceError):
    """A column named in the monitor file is not in the dataset."""


class QueryTimeout(DatasourceError):
    """A query ran longer than the system's query timeout and was cancelled."""


class QueryFailed(DatasourceError):
    """The system rejected or failed a query (bad SQL, permissions, type errors)."""


class QueryRefused(QueryFailed):
    """dxq refused to run query text: it is not exactly one read statement."""
