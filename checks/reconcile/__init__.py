"""Reconcile: records matched by key across two systems, compared in canonical form."""

from __future__ import annotations

from checks.reconcile.check import reconcile

__all__ = ["reconcile"]
