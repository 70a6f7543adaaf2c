"""The integrated systems: how dxq reaches them (SQLAlchemy URLs or exported files), the
datasets inside them, and the dialect-aware SQL pieces the checks are built from.

dxq only reads from these systems: read-only transactions where the engine has them, and
identifiers are always quoted by SQLAlchemy, never pasted into SQL text.
"""
