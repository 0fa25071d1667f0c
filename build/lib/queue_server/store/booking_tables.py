"""The appointment tables (预约): bookings, their rules and settings, and the messages sent.

Registered on `schema.metadata` by `store/__init__.py`. The services read and write
them with SQLAlchemy Core and build `domain.booking.Booking` from the rows.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from ..domain.booking import BookingKind, BookingState
from .schema import EnumText, UTCDateTime, metadata


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


bookings = Table(
    "bookings",
    metadata,
    _id(),
    Column("hall_id", ForeignKey("halls.id"), nullable=False),
    Column("kind", EnumText(BookingKind), nullable=False),
    Column("code", String(12), nullable=False, unique=True),
    Column("state", EnumText(BookingState), nullable=False),
    Column("service_item_id", ForeignKey("service_items.id"), nullable=False),
    Column("category_id", ForeignKey("categories.id"), nullable=True),
    Column("pool", String(32), nullable=False),
    Column("day", Date, nullable=False),
    Column("slot_start", UTCDateTime, nullable=True),
    Column("slot_end", UTCDateTime, nullable=True),
    # Personal data, as little as serving needs: never the ID number itself.
    Column("citizen_name", String(60), nullable=False, default=""),
    Column("phone", String(20), nullable=False, default=""),
    Column("id_digest", String(64), nullable=False),
    Column("id_masked", String(18), nullable=False),
    Column("proxy", Boolean, nullable=False, default=False),
    Column("proxy_reason", String(16), nullable=True),
    Column("agent_id", ForeignKey("clerks.id"), nullable=True),
    Column("address", String(200), nullable=False, default=""),
    Column("note", String(200), nullable=False, default=""),
    Column("assigned_clerk_id", ForeignKey("clerks.id"), nullable=True),
    Column("outcome", String(24), nullable=True),
    Column("outcome_note", String(200), nullable=False, default=""),
    Column("ticket_id", ForeignKey("tickets.id"), nullable=True),
    Column("late", Boolean, nullable=False, default=False),
    Column("moves", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=True),
    Column("checked_in_at", UTCDateTime, nullable=True),
    Column("cancelled_at", UTCDateTime, nullable=True),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("reminded_at", UTCDateTime, nullable=True),
    Index("ix_bookings_pool_slot", "hall_id", "pool", "slot_start"),
    Index("ix_bookings_hall_day", "hall_id", "day"),
    Index("ix_bookings_hall_person", "hall_id", "id_digest"),
)

booking_rules = Table(
    "booking_rules",
    metadata,
    _id(),
    Column("hall_id", ForeignKey("halls.id"), nullable=False),
    # Both empty: the hall's default; a category; or a service item (the most specific wins).
    Column("category_id", ForeignKey("categories.id"), nullable=True),
    Column("service_item_id", ForeignKey("service_items.id"), nullable=True),
    Column("rule", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_booking_rules_hall", "hall_id"),
)

booking_settings = Table(
    "booking_settings",
    metadata,
    _id(),
    Column("hall_id", ForeignKey("halls.id"), nullable=False),
    Column("policy", JSON, nullable=False),
    # The key of the hall's ID-number digests: random per hall, never shown.
    Column("id_key", String(64), nullable=False),
    UniqueConstraint("hall_id", name="uq_booking_settings_hall_id"),
)

booking_messages = Table(
    "booking_messages",
    metadata,
    _id(),
    Column("hall_id", ForeignKey("halls.id"), nullable=False),
    Column("booking_id", ForeignKey("bookings.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # confirmation, reminder, cancellation, moved…
    Column("channel", String(16), nullable=False),  # log, sms…
    Column("phone_masked", String(20), nullable=False),
    Column("text", String(500), nullable=False),
    Column("text_en", String(800), nullable=False),
    Column("status", String(16), nullable=False),  # sent, failed
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_booking_messages_booking", "booking_id"),
    Index("ix_booking_messages_hall", "hall_id", "created_at"),
)
