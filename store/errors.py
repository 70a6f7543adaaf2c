"""The exceptions of `store`: one tree, each a problem with the results database."""

from __future__ import annotations


class StoreError(Exception):
    """The results database could not be opened, migrated or written."""

    def line(self) -> str:
        """The error as one log line (a driver's message may run over several)."""
        return " ".join(part.strip() for part in str(self).splitlines() if part.strip())


class StoreUnavailable(StoreError):
    """The results database did not accept a connection."""


class MigrationFailed(StoreError):
    """The results database could not be brought to the current schema."""


class UnknownRun(StoreError):
    """No run has the given id."""


class UnknownAlert(StoreError):
    """No alert has that id."""


class RunNotRunning(StoreError):
    """The run was already completed or marked as an error, so it cannot be completed."""


class NotStorable(StoreError):
    """A value cannot be stored: a naive datetime, or something JSON cannot hold."""
