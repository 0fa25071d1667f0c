"""Holiday schedules an admin entered for years the `chinese_calendar` package does not cover
yet: the public holiday days and the swapped working days (调休上班). Deployment-wide, not per
hall. Registered on `schema.metadata` by `store/__init__.py`.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table

from .schema import UTCDateTime, metadata

# Day kinds in `calendar_days`.
HOLIDAY = "holiday"
WORKDAY = "workday"

calendar_years = Table(
    "calendar_years",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("entered_by", String(80), nullable=False),
    Column("entered_at", UTCDateTime, nullable=False),
)

calendar_days = Table(
    "calendar_days",
    metadata,
    Column("day", Date, primary_key=True),
    Column("year", ForeignKey("calendar_years.year"), nullable=False),
    Column("kind", String(10), nullable=False),  # HOLIDAY or WORKDAY
    Column("name", String(40), nullable=False),  # the holiday's Chinese name; "" for a workday
    Column("name_en", String(60), nullable=False),
    Index("ix_calendar_days_year", "year"),
)

# A booking told to move because its day turned out to be a holiday once the year's official
# schedule arrived: one row per booking and day, written before the message goes out, so the
# citizen is told once however many processes notice it.
holiday_notices = Table(
    "holiday_notices",
    metadata,
    Column("booking_id", ForeignKey("bookings.id"), primary_key=True, autoincrement=False),
    Column("day", Date, primary_key=True),
    Column("hall_id", ForeignKey("halls.id"), nullable=False),
    Column("holiday", String(40), nullable=False),
    Column("notified_at", UTCDateTime, nullable=False),
)
