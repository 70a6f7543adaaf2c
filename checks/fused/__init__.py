"""Fused suites: the expectations of one suite on one SQL dataset that translate to SQL
conditions and aggregates run as ONE aggregate query over the dataset (as Soda computes a
table's metrics), plus at most one query for the failing rows of all failing expectations.

GX stays the oracle: each covered expectation reproduces GX 1.x's own result (success,
element/unexpected/missing counts, unexpected percent, observed value, partial unexpected list)
under GX's rules for NULLs and `mostly`; property tests compare both on every engine.
Anything not covered, an argument not understood, or a suite with `meta: {dxq: {engine: gx}}`
runs through GX as before (docs/monitor-file.md#suites).

- `plans`: which expectations are covered, as declarations (conditions, aggregates, judges);
- `engine`: the one query, GX-shaped results, and the failing rows.
"""
