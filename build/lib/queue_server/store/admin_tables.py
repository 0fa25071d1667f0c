"""Tables of the manager console: complaints (投诉处理), 差评 follow-ups, sign-in attempts and
target service times of service items. Defined on the shared `schema.metadata`."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from .schema import UTCDateTime, metadata


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


complaints = Table(
    "complaints",
    metadata,
    _id(),
    Column("hall_id", ForeignKey("halls.id"), nullable=False, index=True),
    # What the complaint is about: a ticket, a window, a clerk (any of them, or none).
    Column("ticket_id", ForeignKey("tickets.id"), nullable=True),
    Column("window_id", ForeignKey("windows.id"), nullable=True),
    Column("clerk_id", ForeignKey("clerks.id"), nullable=True),
    Column("channel", String(16), nullable=False),
    Column("summary", Text, nullable=False),
    Column("contact", String(80), nullable=False, default=""),
    Column("status", String(16), nullable=False),  # open, assigned, resolved
    Column("assignee_id", ForeignKey("clerks.id"), nullable=True),
    Column("registered_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(80), nullable=False),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("resolution", Text, nullable=False, default=""),
    Column("upheld", Boolean, nullable=True),  # 属实 / 不属实, once resolved
)

follow_ups = Table(
    "follow_ups",
    metadata,
    _id(),
    # One follow-up per 差评 (ratings are never deleted; the id is kept without a foreign key so
    # the evaluations table's own migration checks stay about that table alone).
    Column("evaluation_id", Integer, nullable=False, unique=True),
    Column("hall_id", ForeignKey("halls.id"), nullable=False, index=True),
    Column("ticket_id", ForeignKey("tickets.id"), nullable=False),
    Column("window_id", ForeignKey("windows.id"), nullable=True),
    Column("clerk_id", ForeignKey("clerks.id"), nullable=True),
    Column("level", String(24), nullable=False),
    Column("stage", String(16), nullable=False),  # verify, rectify, callback, closed
    Column("opened_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("steps", JSON, nullable=False, default=list),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    _id(),
    Column("staff_no", String(32), nullable=False),
    Column("address", String(64), nullable=False, default=""),
    Column("at", UTCDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Index("ix_login_attempts_staff_at", "staff_no", "at"),
    Index("ix_login_attempts_address_at", "address", "at"),
)

# Wrong booking codes by source (a client address or a device), for every process to count.
code_guesses = Table(
    "code_guesses",
    metadata,
    _id(),
    Column("source", String(80), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_code_guesses_source_at", "source", "at"),
)

# Uploaded staff photos, in the database so that every process serves them and a backup has them.
staff_photos = Table(
    "staff_photos",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("clerk_id", ForeignKey("clerks.id"), nullable=False, index=True),
    Column("content_type", String(20), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

service_targets = Table(
    "service_targets",
    metadata,
    # How long serving one citizen for this item should take; the live monitor flags longer.
    Column("service_item_id", ForeignKey("service_items.id"), primary_key=True),
    Column("minutes", Integer, nullable=False),
)
