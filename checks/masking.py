"""Masking of PII values in samples and messages: "***" plus a short hash, so equal values
stay recognisable without being shown. Shared by reconcile and the GX adapter."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from typing import Any

MASK = "***"


def mask(value: Any) -> Any:
    """A PII value as "***" plus a short hash, so equal values stay recognisable."""
    if value is None:
        return None
    return f"{MASK}{hashlib.sha256(str(value).encode()).hexdigest()[:6]}"


def mask_deep(value: Any) -> Any:
    """Every value inside lists and dicts masked (dict keys kept); a scalar masked."""
    if isinstance(value, Mapping):
        return {k: mask_deep(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_deep(v) for v in value]
    return mask(value)


def is_pii(column: str, pii: Collection[str]) -> bool:
    """Whether a column is one of the PII columns (names compared case-insensitively)."""
    return column.casefold() in {p.casefold() for p in pii}


def mask_columns(row: Mapping[str, Any], pii: Collection[str]) -> dict[str, Any]:
    """The row with the values of its PII columns masked."""
    return {k: mask_deep(v) if is_pii(k, pii) else v for k, v in row.items()}
