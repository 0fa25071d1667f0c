"""appointments (预约): bookings, booking rules and settings, messages sent

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("service_item_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("pool", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("slot_start", sa.DateTime(), nullable=True),
        sa.Column("slot_end", sa.DateTime(), nullable=True),
        sa.Column("citizen_name", sa.String(length=60), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("id_digest", sa.String(length=64), nullable=False),
        sa.Column("id_masked", sa.String(length=18), nullable=False),
        sa.Column("proxy", sa.Boolean(), nullable=False),
        sa.Column("proxy_reason", sa.String(length=16), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("assigned_clerk_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("outcome_note", sa.String(length=200), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("moves", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"], name=op.f("fk_bookings_hall_id_halls")),
        sa.ForeignKeyConstraint(
            ["service_item_id"],
            ["service_items.id"],
            name=op.f("fk_bookings_service_item_id_service_items"),
        ),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_bookings_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["clerks.id"], name=op.f("fk_bookings_agent_id_clerks")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_clerk_id"], ["clerks.id"], name=op.f("fk_bookings_assigned_clerk_id_clerks")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_bookings_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("code", name=op.f("uq_bookings_code")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bookings_pool_slot", ["hall_id", "pool", "slot_start"], unique=False
        )
        batch_op.create_index("ix_bookings_hall_day", ["hall_id", "day"], unique=False)
        batch_op.create_index("ix_bookings_hall_person", ["hall_id", "id_digest"], unique=False)

    op.create_table(
        "booking_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("service_item_id", sa.Integer(), nullable=True),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["halls.id"], name=op.f("fk_booking_rules_hall_id_halls")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_booking_rules_category_id_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["service_item_id"],
            ["service_items.id"],
            name=op.f("fk_booking_rules_service_item_id_service_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_rules")),
    )
    with op.batch_alter_table("booking_rules", schema=None) as batch_op:
        batch_op.create_index("ix_booking_rules_hall", ["hall_id"], unique=False)

    op.create_table(
        "booking_settings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("id_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["halls.id"], name=op.f("fk_booking_settings_hall_id_halls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_settings")),
        sa.UniqueConstraint("hall_id", name="uq_booking_settings_hall_id"),
    )

    op.create_table(
        "booking_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("phone_masked", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("text_en", sa.String(length=800), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["halls.id"], name=op.f("fk_booking_messages_hall_id_halls")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_messages_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_messages")),
    )
    with op.batch_alter_table("booking_messages", schema=None) as batch_op:
        batch_op.create_index("ix_booking_messages_booking", ["booking_id"], unique=False)
        batch_op.create_index("ix_booking_messages_hall", ["hall_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("booking_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_booking_messages_hall")
        batch_op.drop_index("ix_booking_messages_booking")
    op.drop_table("booking_messages")
    op.drop_table("booking_settings")
    with op.batch_alter_table("booking_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_booking_rules_hall")
    op.drop_table("booking_rules")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_bookings_hall_person")
        batch_op.drop_index("ix_bookings_hall_day")
        batch_op.drop_index("ix_bookings_pool_slot")
    op.drop_table("bookings")
