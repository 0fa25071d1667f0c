"""day end and self-healing screens: when a window was last put into service; a hall's version

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 20:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The day-end job closes the windows nobody put into service since the hall's day ended.
    with op.batch_alter_table("windows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opened_at", sa.DateTime(), nullable=True))
    # Windows in service during the upgrade count as opened now (stored as naive UTC).
    now = (
        "CURRENT_TIMESTAMP"
        if op.get_bind().dialect.name == "sqlite"
        else "(now() AT TIME ZONE 'utc')"
    )
    op.execute(f"UPDATE windows SET opened_at = {now} WHERE status <> 'closed'")
    # Bumped by every change a hall's screens are told of: a screen that asks now and then
    # whether its hall moved heals itself after missing events.
    op.create_table(
        "hall_versions",
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["halls.id"], name=op.f("fk_hall_versions_hall_id_halls")
        ),
        sa.PrimaryKeyConstraint("hall_id", name=op.f("pk_hall_versions")),
    )


def downgrade() -> None:
    op.drop_table("hall_versions")
    with op.batch_alter_table("windows", schema=None) as batch_op:
        batch_op.drop_column("opened_at")
