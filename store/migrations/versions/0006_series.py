"""series of every run's numbers and feedback on anomalies

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 10:00:00

`metric_points` keeps every number a run measured (each result's numeric metrics, the run's
duration and the time spent per system), the series the anomaly detector judges;
`anomaly_feedback` keeps who marked a judged point as expected or as a real problem, when
and why (store/series.py, store/anomaly_feedback.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("integration", sa.String(length=255), nullable=False),
        sa.Column("check", sa.String(length=1024), nullable=False),
        sa.Column("metric", sa.String(length=255), nullable=False),
        sa.Column("at", store.types.UTCDateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_metric_points_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_points")),
    )
    op.create_index(
        op.f("ix_metric_points_integration_check_metric_at"),
        "metric_points",
        ["integration", "check", "metric", "at"],
    )
    op.create_index(op.f("ix_metric_points_run_id"), "metric_points", ["run_id"])
    op.create_table(
        "anomaly_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration", sa.String(length=255), nullable=False),
        sa.Column("check", sa.String(length=1024), nullable=False),
        sa.Column("metric", sa.String(length=255), nullable=False),
        sa.Column("at", store.types.UTCDateTime(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "verdict IN ('expected', 'real')", name=op.f("ck_anomaly_feedback_verdict")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anomaly_feedback")),
    )
    op.create_index(
        op.f("ix_anomaly_feedback_integration_check_metric_at"),
        "anomaly_feedback",
        ["integration", "check", "metric", "at"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_anomaly_feedback_integration_check_metric_at"), table_name="anomaly_feedback"
    )
    op.drop_table("anomaly_feedback")
    op.drop_index(op.f("ix_metric_points_run_id"), table_name="metric_points")
    op.drop_index(op.f("ix_metric_points_integration_check_metric_at"), table_name="metric_points")
    op.drop_table("metric_points")
