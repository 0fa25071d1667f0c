"""Idempotency keys of ticket requests: a kiosk that retries a tap whose reply was lost gets the
ticket it already has, never a second one. Registered on `schema.metadata` by `store/__init__.py`.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from .schema import UTCDateTime, metadata

issue_requests = Table(
    "issue_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Who asked ("device:12", "clerk:5") and the key it sent: a key counts per issuer only.
    Column("issuer", String(40), nullable=False),
    Column("key", String(64), nullable=False),
    Column("hall_id", ForeignKey("halls.id"), nullable=False),
    Column("ticket_id", ForeignKey("tickets.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("issuer", "key", name="uq_issue_requests_issuer_key"),
    Index("ix_issue_requests_created_at", "created_at"),
)
