"""alert episodes: episode number, the whole alert document, pending and dead_letter

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 12:00:00

`alerts.fingerprint` holds the SHA-256 hex of `kind|integration|check`; `episode` numbers the
episodes of one fingerprint; `document` keeps the whole `alerts.Alert` (routed targets, who was
notified, escalation step) so the lifecycle can continue from the store.

On SQLite the table is rebuilt (batch mode); alerts written before 0002 do not exist, because
nothing wrote them before this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_KINDS_0001 = "kind IN ('data_quality', 'run_error', 'missed')"
_STATES_0001 = "state IN ('firing', 'acknowledged', 'resolved')"
_KINDS = "kind IN ('data_quality', 'run_error', 'missed', 'dead_letter')"
_STATES = "state IN ('pending', 'firing', 'acknowledged', 'resolved')"


def _alerts_0001(kinds: str, states: str) -> sa.Table:
    """The alerts table as revision 0001 created it (batch mode on SQLite copies from it)."""
    return sa.Table(
        "alerts",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("integration", sa.String(length=255), nullable=False),
        sa.Column("check", sa.String(length=1024), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("labels", store.types.JSONDocument(), nullable=False),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("opened_at", store.types.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", store.types.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=255), nullable=True),
        sa.Column("resolved_at", store.types.UTCDateTime(), nullable=True),
        sa.Column("last_notified_at", store.types.UTCDateTime(), nullable=True),
        sa.Column("escalation_step", sa.Integer(), server_default="0", nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(kinds, name=op.f("ck_alerts_kind")),
        sa.CheckConstraint(states, name=op.f("ck_alerts_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )


def _open_index() -> None:
    op.create_index(
        "uq_alerts_open_fingerprint",
        "alerts",
        ["fingerprint"],
        unique=True,
        sqlite_where=sa.text("state <> 'resolved'"),
        postgresql_where=sa.text("state <> 'resolved'"),
    )


def upgrade() -> None:
    op.drop_index("uq_alerts_open_fingerprint", table_name="alerts")
    with op.batch_alter_table("alerts", copy_from=_alerts_0001(_KINDS_0001, _STATES_0001)) as batch:
        batch.drop_constraint(op.f("ck_alerts_kind"), type_="check")
        batch.drop_constraint(op.f("ck_alerts_state"), type_="check")
        batch.add_column(sa.Column("episode", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("document", store.types.JSONDocument(), nullable=True))
        batch.create_check_constraint(op.f("ck_alerts_kind"), _KINDS)
        batch.create_check_constraint(op.f("ck_alerts_state"), _STATES)
    op.create_index(
        op.f("ix_alerts_integration_check"),
        "alerts",
        ["integration", "check"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_alerts_state_opened_at"),
        "alerts",
        ["state", "opened_at"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        op.f("ix_alerts_fingerprint_episode"), "alerts", ["fingerprint", "episode"], unique=True
    )
    _open_index()


def downgrade() -> None:
    op.drop_index("uq_alerts_open_fingerprint", table_name="alerts")
    op.drop_index(op.f("ix_alerts_fingerprint_episode"), table_name="alerts")
    op.execute("DELETE FROM alerts WHERE kind = 'dead_letter' OR state = 'pending'")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint(op.f("ck_alerts_kind"), type_="check")
        batch.drop_constraint(op.f("ck_alerts_state"), type_="check")
        batch.drop_column("document")
        batch.drop_column("episode")
        batch.create_check_constraint(op.f("ck_alerts_kind"), _KINDS_0001)
        batch.create_check_constraint(op.f("ck_alerts_state"), _STATES_0001)
    _open_index()
