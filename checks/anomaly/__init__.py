"""Anomaly detection over a metric's history (placeholder; the full note follows)."""
