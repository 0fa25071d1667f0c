"""The case tables (办件, 受审分离): one row per application, from 受理 to 出件.

Registered on `schema.metadata` by `store/__init__.py`. The services read and write
them with SQLAlchemy Core and build `domain.cases.Case` from the rows; the review steps, the
spells in 需补正 and the extensions are small lists kept as JSON beside the case.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from ..domain.cases import CaseState, Source
from .schema import EnumText, UTCDateTime, metadata

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hall_id", ForeignKey("halls.id"), nullable=False),
    Column("number", String(24), nullable=False, unique=True),  # XL-20261208-0007
    Column("seq", Integer, nullable=False),  # the number's sequence in the hall's day
    Column("token", String(40), nullable=False, unique=True),  # the citizen's page (QR)
    Column("service_item_id", ForeignKey("service_items.id"), nullable=False),
    Column("source", EnumText(Source), nullable=False),
    Column("ticket_id", ForeignKey("tickets.id"), nullable=True),
    Column("booking_id", Integer, nullable=True),
    Column("window_id", ForeignKey("windows.id"), nullable=True),
    Column("clerk_id", ForeignKey("clerks.id"), nullable=True),  # 受理人
    # Personal data as bookings keep it: never the ID number itself, a keyed digest and its
    # masked form; the name and phone to serve and to send notices.
    Column("applicant_name", String(60), nullable=False, default=""),
    Column("phone", String(20), nullable=False, default=""),
    Column("id_digest", String(64), nullable=False, default=""),
    Column("id_masked", String(18), nullable=False, default=""),
    Column("materials", JSON, nullable=False, default=dict),  # name → provided|missing|na
    Column("state", EnumText(CaseState), nullable=False),
    Column("steps", JSON, nullable=False, default=list),
    Column("pauses", JSON, nullable=False, default=list),
    Column("extensions", JSON, nullable=False, default=list),
    Column("missing", JSON, nullable=False, default=list),
    Column("refusal_reason", String(500), nullable=False, default=""),
    Column("received_on", Date, nullable=False),
    Column("time_limit_days", Integer, nullable=False),
    Column("decided_on", Date, nullable=True),
    Column("delivery", String(16), nullable=True),
    Column("tracking", String(60), nullable=False, default=""),
    # The kiosk's pickup ticket (统一出件): the clerk who calls it sees the case.
    Column("pickup_ticket_id", ForeignKey("tickets.id"), nullable=True),
    # 代办: the village station that received it for the town's back office (转报), and the
    # day the decision was sent back there to be handed out.
    Column("station_id", ForeignKey("halls.id"), nullable=True),
    Column("sent_to_station_on", Date, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("hall_id", "received_on", "seq", name="uq_cases_hall_day_seq"),
    Index("ix_cases_hall_state", "hall_id", "state"),
    Index("ix_cases_ticket", "ticket_id"),
    Index("ix_cases_pickup_ticket", "pickup_ticket_id"),
    Index("ix_cases_station", "station_id"),
    Index("ix_cases_hall_received", "hall_id", "received_on"),
)
