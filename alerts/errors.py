"""The exceptions of `alerts`: one tree, raised only for bad declarations, never for delivery."""

from __future__ import annotations


class AlertsError(Exception):
    """Something declared for alerting is invalid."""


class InvalidSilence(AlertsError):
    """A silence lacks a matcher, an author or a comment, or ends before it starts."""


class InvalidMatcher(AlertsError):
    """A matcher has an unknown operator or cannot be parsed."""
