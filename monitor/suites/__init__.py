"""Editing GX suite files from the dashboard: validation, dry run, saves with versions."""
