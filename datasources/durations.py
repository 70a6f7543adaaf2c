"""Durations: the one parser of the monitor file's shorthand ("90s", "15m", "2h", "1d") and the
one formatter every message, page and report uses ("2h 14m", "1h", "45s").

It lives in the lowest layer so that checks, alerts, the monitor and the dashboard all read and
write durations the same way.
"""

from __future__ import annotations

import re

_PLAIN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*$")
_PARTS = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*[smhd]\s*)+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LARGEST_FIRST = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
EXAMPLES = "90s, 15m, 2h or 1d"


def parse_duration(value: object) -> float:
    """Seconds from "90s", "15m", "2h", "1d", what `format_duration` writes ("2h 14m") or a
    plain number of seconds; ValueError with a message naming the accepted forms otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like {EXAMPLES}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    text = str(value)
    plain = _PLAIN.match(text)
    if plain is not None:
        return float(plain.group(1))
    parts = _PART.findall(text) if _PARTS.match(text) else []
    units = [unit for _, unit in parts]
    if not parts or units != sorted(set(units), key=lambda u: -_UNITS[u]):
        raise ValueError(f"invalid duration '{value}'; expected a duration like {EXAMPLES}")
    return sum(float(number) * _UNITS[unit] for number, unit in parts)


def format_duration(seconds: float) -> str:
    """Seconds in words, in their two largest units with zero units left out (rounded to the
    second): 3601 -> "1h", 8040 -> "2h 14m", 812 -> "13m 32s", 86400 -> "1d", 0 -> "0s".
    A negative duration gets a minus sign: -90 -> "-1m 30s"."""
    remaining = round(seconds)
    if remaining < 0:
        return "-" + format_duration(-remaining)
    parts: list[str] = []
    for unit, size in _LARGEST_FIRST:
        count, remaining = divmod(remaining, size)
        if count or parts:
            parts.append(f"{count}{unit}")
        if len(parts) == 2:
            break
    return " ".join(p for p in parts if not p.startswith("0")) or "0s"
