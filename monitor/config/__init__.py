"""The monitor file: models, values, line-numbered problems, loading (docs/monitor-file.md)."""
