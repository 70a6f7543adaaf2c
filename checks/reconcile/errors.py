"""The exceptions of reconcile: bad input that becomes an `error` result, never a traceback."""

from __future__ import annotations

from typing import ClassVar

from datasources.errors import Cause


class ReconcileError(Exception):
    """The reconcile check could not be evaluated (the spec does not fit the data)."""

    cause: ClassVar[Cause] = Cause.BAD_QUERY


class DuplicateKeys(ReconcileError):
    """A key is not unique on one side."""


class IncomparableTypes(ReconcileError):
    """Two columns hold types that cannot be compared."""


class BadColumn(ReconcileError):
    """A key, field or updated column named in the spec does not exist."""

    cause: ClassVar[Cause] = Cause.MISSING_TABLE


class NullKeys(ReconcileError):
    """A key column is NULL on some rows."""
