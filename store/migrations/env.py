"""Alembic's environment for the results database.

dxq runs Alembic programmatically (store/migration.py) and always hands in an open connection
through `config.attributes["connection"]`; there is no alembic.ini and no offline mode.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from store.schema import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, sa.Connection):
    raise RuntimeError("run dxq's migrations through store.migration.upgrade_to_head")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
