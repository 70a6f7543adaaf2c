"""audit silences

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:30:00

Who created a silence, and who ended it early and when. Ending a silence early keeps its planned
`ends_at` and sets `expired_at`; a silence is active while now < min(ends_at, expired_at).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("silences") as batch:
        batch.add_column(sa.Column("created_by", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("expired_at", store.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("expired_by", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("silences") as batch:
        batch.drop_column("expired_by")
        batch.drop_column("expired_at")
        batch.drop_column("created_by")
