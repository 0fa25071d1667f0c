"""idempotency keys of ticket requests; joins the bookings (0003) and console (0004) branches

Revision ID: 0005
Revises: 0003, 0004
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = ("0003", "0004")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issue_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("issuer", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["halls.id"], name=op.f("fk_issue_requests_hall_id_halls")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_issue_requests_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_requests")),
        sa.UniqueConstraint("issuer", "key", name="uq_issue_requests_issuer_key"),
    )
    with op.batch_alter_table("issue_requests", schema=None) as batch_op:
        batch_op.create_index("ix_issue_requests_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("issue_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_issue_requests_created_at")
    op.drop_table("issue_requests")
