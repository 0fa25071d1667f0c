"""the pickup ticket of a case (统一出件): the clerk who calls it sees the case

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 23:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pickup_ticket_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_cases_pickup_ticket_id_tickets", "tickets", ["pickup_ticket_id"], ["id"]
        )
        batch_op.create_index("ix_cases_pickup_ticket", ["pickup_ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_pickup_ticket")
        batch_op.drop_constraint("fk_cases_pickup_ticket_id_tickets", type_="foreignkey")
        batch_op.drop_column("pickup_ticket_id")
