"""indexes: a hall's queue of the day; a hall's audit entries by kind and time

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 21:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_hall_day_state",
            ["hall_id", "service_day", "state", "category_id"],
            unique=False,
        )
    # Replaces the index on hall_id alone (a prefix of this one): the retention sweep finds a
    # hall's old entries of a kind without reading the hall's whole log.
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_hall_id")
        batch_op.create_index(
            "ix_audit_log_hall_action_at", ["hall_id", "action", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_hall_action_at")
        batch_op.create_index("ix_audit_log_hall_id", ["hall_id"], unique=False)
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_hall_day_state")
