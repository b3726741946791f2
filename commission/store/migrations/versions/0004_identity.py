"""Who is who: users, their roles, settings, and an append-only audit log.

The audit log cannot be edited in the database itself, whichever program tries:
triggers refuse UPDATE and DELETE of its rows (and TRUNCATE on PostgreSQL).

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None

ROLES = ("rep", "manager", "planner", "finance", "approver", "admin")
OUTCOMES = ("allowed", "refused", "failed")
MESSAGE = "the audit log is append-only: its entries cannot be changed or deleted"


def _create_tables() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("rep_id", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.CheckConstraint(f"role IN {ROLES!r}", name="ck_user_roles_role"),
        sa.ForeignKeyConstraint(["user_id"], ["users.user_id"],
                                name="fk_user_roles_user_id_users"),
        sa.PrimaryKeyConstraint("user_id", "role", name="pk_user_roles"),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_settings"),
    )
    op.create_table(
        "audit_log",
        sa.Column("audit_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("object", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.CheckConstraint(f"outcome IN {OUTCOMES!r}", name="ck_audit_log_outcome"),
        sa.PrimaryKeyConstraint("audit_id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])


PG_FUNCTION = f"""
BEGIN
  RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
END"""


def upgrade() -> None:
    _create_tables()
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for timing in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_{timing.lower()} BEFORE {timing} ON audit_log "
                       f"FOR EACH ROW BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
    elif dialect == "postgresql":
        # SET search_path FROM CURRENT: the function sees the schema it was created in
        op.execute("CREATE FUNCTION commission_guard_audit_log() RETURNS trigger "
                   "LANGUAGE plpgsql SET search_path FROM CURRENT "
                   f"AS $body${PG_FUNCTION}$body$")
        op.execute("CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION commission_guard_audit_log()")
        op.execute("CREATE TRIGGER audit_log_guard_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION commission_guard_audit_log()")
    else:  # pragma: no cover - the store supports these two
        raise NotImplementedError(f"no append-only triggers for {dialect}")


def downgrade() -> None:
    for table in ("audit_log", "settings", "user_roles", "users"):
        op.drop_table(table)  # drops its triggers too
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION commission_guard_audit_log()")
