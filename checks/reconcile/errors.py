"""The exceptions of reconcile: bad input that becomes an `error` result, never a traceback."""

from __future__ import annotations


class ReconcileError(Exception):
    """The reconcile check could not be evaluated."""


class DuplicateKeys(ReconcileError):
    """A key is not unique on one side."""


class IncomparableTypes(ReconcileError):
    """Two columns hold types that cannot be compared."""


class BadColumn(ReconcileError):
    """A key, field or updated column named in the spec does not exist."""


class NullKeys(ReconcileError):
    """A key column is NULL on some rows."""
