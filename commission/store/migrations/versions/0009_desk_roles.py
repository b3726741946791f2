"""The collections desk's roles: ``collector`` and ``credit`` join the user roles.

Only the CHECK constraint on ``user_roles.role`` changes. SQLite cannot alter a
constraint, so there the table is rebuilt (alembic's batch mode, copying the
rows); PostgreSQL drops and re-creates the constraint in place. Revision 0004
named it ``ck_user_roles_ck_user_roles_role`` (the naming convention applied
twice); from here on it is ``ck_user_roles_role``, as the model says.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BEFORE = ("rep", "manager", "planner", "finance", "approver", "admin")
AFTER = (*BEFORE, "collector", "credit")
NAME = "ck_user_roles_role"
NAMES_BEFORE = ("ck_user_roles_ck_user_roles_role", NAME)  # 0004's name, and this one


def _user_roles(roles: tuple[str, ...]) -> sa.Table:
    """user_roles as migration 0004 made it, with the CHECK over ``roles`` (batch's copy)."""
    return sa.Table(
        "user_roles", sa.MetaData(),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.CheckConstraint(f"role IN {roles!r}", name=NAME),
        sa.ForeignKeyConstraint(["user_id"], ["users.user_id"],
                                name="fk_user_roles_user_id_users"),
        sa.PrimaryKeyConstraint("user_id", "role", name="pk_user_roles"),
    )


def _swap(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("user_roles", copy_from=_user_roles(old),
                                  recreate="always") as batch:
            batch.drop_constraint(op.f(NAME), type_="check")
            batch.create_check_constraint(op.f(NAME), f"role IN {new!r}")
        return
    for name in NAMES_BEFORE:
        op.execute(f"ALTER TABLE user_roles DROP CONSTRAINT IF EXISTS {name}")
    op.create_check_constraint(op.f(NAME), "user_roles", f"role IN {new!r}")


def upgrade() -> None:
    _swap(BEFORE, AFTER)


def downgrade() -> None:
    op.execute(f"DELETE FROM user_roles WHERE role IN {AFTER[len(BEFORE):]!r}")
    _swap(AFTER, BEFORE)
