"""runs by time: an index for the newest runs of every integration

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 12:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_runs_started_at"), "runs", ["started_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_runs_started_at"), table_name="runs")
