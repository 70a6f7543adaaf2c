"""weekly digests: one row per owner and week

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 08:30:00

Each weekly digest e-mail is claimed in `digests` before it is sent and marked sent after, so
two schedulers on one store send it once (store/digests.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("week_start", store.types.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=True),
        sa.Column("until", store.types.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_at", store.types.UTCDateTime(), nullable=True),
        sa.CheckConstraint("state IN ('sending', 'failed', 'sent')", name=op.f("ck_digests_state")),
        sa.PrimaryKeyConstraint("owner", "week_start", name=op.f("pk_digests")),
    )


def downgrade() -> None:
    op.drop_table("digests")
