"""The one way a fraction is written as a percentage, in check results, alert messages and the
dashboard alike: a rule shared by every layer, so it lives in the lowest, as durations do
(docs/architecture.md#import-rules).

At most `decimals` decimals, trailing zeros dropped: 0.031 -> "3.1%", 0.5 -> "50%". Rounding
never hides a difference: a rate that is not 0 but would round to 0% is written "<0.01%", and
one that is not 1 but would round to 100% is ">99.99%" (or ">100%" just above it), the bound
being the smallest step `decimals` can show. Only exactly 0 is "0%" and only 1 is "100%"."""

from __future__ import annotations

import math

_ONE = 1e-12  # a rate this close to 1 is 1 (a mean of ones may land a bit off it)


def percent(rate: float | None, decimals: int = 2, *, missing: str = "—") -> str:
    """`rate` (a fraction) as a percentage; `missing` for None, NaN or an infinite rate."""
    if rate is None or not math.isfinite(rate):
        return missing
    text = f"{rate * 100:.{decimals}f}"
    shown = float(text)
    step = f"{10.0**-decimals:.{decimals}f}"  # "0.01" for 2 decimals
    if shown == 0 and rate != 0:
        return f"<{step}%" if rate > 0 else f">-{step}%"
    if abs(shown) == 100 and abs(abs(rate) - 1) > _ONE:
        below = abs(rate) < 1
        bound = f"{100 - 10.0**-decimals:.{decimals}f}" if below else "100"
        sign = "-" if rate < 0 else ""
        return f"{'>' if rate > 0 else '<'}{sign}{bound}%"
    if shown == 0 or abs(shown) == 100:
        return f"{shown:.0f}%".replace("-0%", "0%")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"
