"""sign-in: a forced password change after a reset, wrong booking codes counted in the
database, staff photos in the database

Revision ID: 0011
Revises: 0013
Create Date: 2026-12-07 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clerks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "code_guesses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_guesses")),
    )
    with op.batch_alter_table("code_guesses", schema=None) as batch_op:
        batch_op.create_index("ix_code_guesses_source_at", ["source", "at"], unique=False)
    op.create_table(
        "staff_photos",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("clerk_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clerk_id"], ["clerks.id"], name=op.f("fk_staff_photos_clerk_id_clerks")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_staff_photos")),
    )
    with op.batch_alter_table("staff_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_photos_clerk_id"), ["clerk_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_photos_clerk_id"))
    op.drop_table("staff_photos")
    with op.batch_alter_table("code_guesses", schema=None) as batch_op:
        batch_op.drop_index("ix_code_guesses_source_at")
    op.drop_table("code_guesses")
    with op.batch_alter_table("clerks", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
