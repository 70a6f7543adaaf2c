"""The identity of this results store (one dxq installation): a random id made once by the
migration that created its table, read by whatever must tell installations apart (the
idempotency keys of notifications)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from store.schema import installation


def installation_id(connection: sa.Connection) -> str:
    """This store's installation id; made here if the row is missing (a store whose table was
    emptied by hand), and the same for every caller after that."""
    found = connection.execute(sa.select(installation.c.installation_id)).scalar_one_or_none()
    if found is not None:
        return str(found)
    row = {"id": 1, "installation_id": uuid.uuid4().hex, "created_at": datetime.now(UTC)}
    try:
        with connection.begin_nested():
            connection.execute(installation.insert(), row)
    except sa.exc.IntegrityError:  # another process made it first: use theirs
        pass
    return str(connection.execute(sa.select(installation.c.installation_id)).scalar_one())
