"""celery executor: firings and the worker of a run

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 08:05:00

With `executor: celery`, each firing handed to the broker is one row of `firings` (unique key:
recorded at most once), and a run records the worker that executed it, its cron slot and the
firing it serves.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("worker", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("scheduled_for", store.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("firing", sa.String(length=255), nullable=True))
    op.create_table(
        "firings",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("integration", sa.String(length=255), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("scheduled_for", store.types.UTCDateTime(), nullable=True),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.Column("until", store.types.UTCDateTime(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'queued', 'running', 'done')", name=op.f("ck_firings_state")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_firings")),
    )
    op.create_index(op.f("ix_firings_state"), "firings", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_firings_state"), table_name="firings")
    op.drop_table("firings")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("firing")
        batch.drop_column("scheduled_for")
        batch.drop_column("worker")
