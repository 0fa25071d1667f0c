"""The tables, and the mapping of the domain classes onto them (the domain stays unaware)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import registry

from ..domain import model
from .schema import EnumText, UTCDateTime, metadata


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


halls = Table(
    "halls",
    metadata,
    _id(),
    Column("name", String(100), nullable=False),
    Column("name_en", String(200), nullable=False, default=""),
    Column("kind", EnumText(model.HallKind), nullable=False),
    Column("parent_id", ForeignKey("halls.id"), nullable=True),
    Column("timezone", String(64), nullable=False, default="Asia/Shanghai"),
    Column("day_starts_at_minute", Integer, nullable=False, default=0),
    Column("settings", JSON, nullable=False, default=dict),
    Column("hours", JSON, nullable=False, default=dict),
    Column("notice", Text, nullable=False, default=""),
)

categories = Table(
    "categories",
    metadata,
    _id(),
    Column("hall_id", ForeignKey("halls.id"), nullable=False),
    Column("prefix", String(2), nullable=False),
    Column("name", String(60), nullable=False),
    Column("name_en", String(120), nullable=False, default=""),
    Column("daily_cap", Integer, nullable=False, default=999),
    Column("target_wait_minutes", Integer, nullable=False, default=20),
    Column("default_service_minutes", Integer, nullable=False, default=6),
    Column("sort_order", Integer, nullable=False, default=0),
    Column("active", Boolean, nullable=False, default=True),
    UniqueConstraint("hall_id", "prefix", name="uq_categories_hall_prefix"),
)

service_items = Table(
    "service_items",
    metadata,
    _id(),
    Column("hall_id", ForeignKey("halls.id"), nullable=False),
    Column("category_id", ForeignKey("categories.id"), nullable=True),
    Column("code", String(40), nullable=False),
    Column("name", String(120), nullable=False),
    Column("name_en", String(240), nullable=False, default=""),
    Column("item_type", String(40), nullable=False, default=""),
    Column("legal_basis", Text, nullable=False, default=""),
    Column("time_limit_days", Integer, nullable=False, default=0),
    Column("conditions", Text, nullable=False, default=""),
    Column("steps", JSON, nullable=False, default=list),
    Column("materials", JSON, nullable=False, default=list),
    Column("fee", String(120), nullable=False, default=""),
    Column("department", String(120), nullable=False, default=""),
    # 并联办理: the back-office departments that sign a case of the item off (empty: `department`)
    Column("review_departments", JSON, nullable=False, default=list),
    Column("village_proxy", Boolean, nullable=False, default=False),
    Column("online", Boolean, nullable=False, default=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("conditions_en", Text, nullable=False, default=""),
    Column("steps_en", JSON, nullable=False, default=list),
    Column("materials_en", JSON, nullable=False, default=list),
    Column("fee_en", String(240), nullable=False, default=""),
    Column("department_en", String(240), nullable=False, default=""),
    UniqueConstraint("hall_id", "code", name="uq_service_items_hall_code"),
)

clerks = Table(
    "clerks",
    metadata,
    _id(),
    Column("hall_id", ForeignKey("halls.id"), nullable=False),
    Column("staff_no", String(32), nullable=False, unique=True),
    Column("name", String(60), nullable=False),
    Column("role", EnumText(model.Role), nullable=False),
    Column("department", String(120), nullable=False, default=""),
    Column("photo_url", String(300), nullable=False, default=""),
    Column("password_hash", String(200), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    # Set by an admin's password reset: the next sign-in must choose a new password first.
    Column("must_change_password", Boolean, nullable=False, default=False),
)

windows = Table(
    "windows",
    metadata,
    _id(),
    Column("hall_id", ForeignKey("halls.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("name", String(60), nullable=False),
    Column("type", EnumText(model.WindowType), nullable=False),
    Column("category_ids", JSON, nullable=False, default=list),
    Column("status", EnumText(model.WindowStatus), nullable=False),
    Column("pause_reason", String(80), nullable=False, default=""),
    Column("active_clerk_id", ForeignKey("clerks.id"), nullable=True),
    Column("priority_streak", Integer, nullable=False, default=0),
    # When a clerk last put the window into service (opened or resumed it): the day-end job
    # closes the windows nobody put into service since the hall's day ended.
    Column("opened_at", UTCDateTime, nullable=True),
    UniqueConstraint("hall_id", "number", name="uq_windows_hall_number"),
)

# A hall's version: bumped by every change its screens are told of, in the change's own
# transaction, so a screen that missed events sees that its hall moved (shared by processes).
hall_versions = Table(
    "hall_versions",
    metadata,
    Column("hall_id", ForeignKey("halls.id"), primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
    # Bumped by triggers (migration 0017) on every write to the hall's row, categories,
    # windows or booking rules: what a process keeps of the hall's settings is valid while
    # this stays put.
    Column("config", BigInteger, nullable=False, server_default="0"),
)

window_posts = Table(
    "window_posts",
    metadata,
    _id(),
    Column("window_id", ForeignKey("windows.id"), nullable=False),
    Column("post", EnumText(model.Post), nullable=False),
    Column("clerk_id", ForeignKey("clerks.id"), nullable=False),
    UniqueConstraint("window_id", "post", name="uq_window_posts_window_post"),
)

tickets = Table(
    "tickets",
    metadata,
    _id(),
    Column("hall_id", ForeignKey("halls.id"), nullable=False),
    Column("category_id", ForeignKey("categories.id"), nullable=False),
    Column("service_day", Date, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("number", String(8), nullable=False),
    Column("token", String(40), nullable=False, unique=True),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("sort_key", Float(53), nullable=False),
    Column("priority", EnumText(model.Priority), nullable=False),
    Column("state", EnumText(model.TicketState), nullable=False),
    Column("phone", String(20), nullable=True),
    Column("source", String(16), nullable=False, default="kiosk"),
    Column("service_item_id", ForeignKey("service_items.id"), nullable=True),
    Column("appointment_id", Integer, nullable=True),
    Column("appointment_due_at", UTCDateTime, nullable=True),
    Column("target_window_id", ForeignKey("windows.id"), nullable=True),
    Column("target_clerk_id", ForeignKey("clerks.id"), nullable=True),
    Column("window_id", ForeignKey("windows.id"), nullable=True),
    Column("clerk_id", ForeignKey("clerks.id"), nullable=True),
    Column("times_called", Integer, nullable=False, default=0),
    Column("called_at", UTCDateTime, nullable=True),
    Column("last_called_at", UTCDateTime, nullable=True),
    Column("started_at", UTCDateTime, nullable=True),
    Column("held_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("outcome", EnumText(model.Outcome), nullable=True),
    Column("items", JSON, nullable=False, default=list),
    Column("note", String(200), nullable=False, default=""),
    Column("device_id", Integer, nullable=True),
    Column("agent_id", ForeignKey("clerks.id"), nullable=True),
    # Uniqueness of a number is the database's promise, not a count's.
    UniqueConstraint("hall_id", "category_id", "service_day", "seq", name="uq_tickets_number"),
    Index("ix_tickets_hall_state", "hall_id", "state"),
    # Today's queue of a hall: waiting counts per category and places read from the index
    # alone, however many tickets the hall took on other days or has finished today.
    Index("ix_tickets_hall_day_state", "hall_id", "service_day", "state", "category_id"),
    Index("ix_tickets_window_state", "window_id", "state"),
)

service_records = Table(
    "service_records",
    metadata,
    _id(),
    Column("ticket_id", ForeignKey("tickets.id"), nullable=False, index=True),
    Column("hall_id", ForeignKey("halls.id"), nullable=False),
    Column("window_id", ForeignKey("windows.id"), nullable=False),
    Column("clerk_id", ForeignKey("clerks.id"), nullable=True),
    Column("category_id", ForeignKey("categories.id"), nullable=False),
    Column("called_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=True),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("outcome", EnumText(model.Outcome), nullable=True),
    Column("items", JSON, nullable=False, default=list),
    Column("previous_id", ForeignKey("service_records.id"), nullable=True),
    Index("ix_service_records_category_ended", "category_id", "ended_at"),
)

devices = Table(
    "devices",
    metadata,
    _id(),
    Column("hall_id", ForeignKey("halls.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # kiosk, printer, board, evaluator, screen
    Column("name", String(60), nullable=False),
    Column("token_hash", String(64), nullable=True, unique=True),
    Column("config", JSON, nullable=False, default=dict),
    Column("window_id", ForeignKey("windows.id"), nullable=True),
    Column("last_seen_at", UTCDateTime, nullable=True),
    Column("health", JSON, nullable=False, default=dict),
)

auth_tokens = Table(
    "auth_tokens",
    metadata,
    _id(),
    Column("clerk_id", ForeignKey("clerks.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    _id(),
    Column("at", UTCDateTime, nullable=False),
    Column("hall_id", Integer, nullable=True),
    Column("actor", String(80), nullable=False),
    Column("action", String(40), nullable=False),
    Column("subject", String(80), nullable=False, default=""),
    Column("detail", JSON, nullable=False, default=dict),
    # A hall's entries, and of those the old ones of a kind (the retention sweep's search).
    Index("ix_audit_log_hall_action_at", "hall_id", "action", "at"),
)

alarms = Table(
    "alarms",
    metadata,
    _id(),
    Column("hall_id", ForeignKey("halls.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("device_id", Integer, nullable=True),
    Column("message", String(200), nullable=False),
    Column("message_en", String(300), nullable=False),
    Column("raised_at", UTCDateTime, nullable=False),
    Column("cleared_at", UTCDateTime, nullable=True),
    Column("detail", JSON, nullable=False, default=dict),
)

evaluations = Table(
    "evaluations",
    metadata,
    _id(),
    # 一次一评: one rating per ticket, whatever its source.
    Column("ticket_id", ForeignKey("tickets.id"), nullable=False, unique=True),
    Column("hall_id", ForeignKey("halls.id"), nullable=False, index=True),
    Column("window_id", ForeignKey("windows.id"), nullable=True),
    Column("clerk_id", ForeignKey("clerks.id"), nullable=True, index=True),
    Column("level", String(24), nullable=False),
    Column("score", Integer, nullable=False),
    Column("reason", String(24), nullable=True),
    Column("comment", String(200), nullable=False, default=""),
    Column("source", String(16), nullable=False),  # pad, keypad, phone
    Column("created_at", UTCDateTime, nullable=False),
)

mapper_registry = registry(metadata=metadata)
_mapped = False


def map_domain() -> None:
    """Map the domain classes onto the tables, once per process."""
    global _mapped
    if _mapped:
        return
    for cls, table in (
        (model.Hall, halls),
        (model.Category, categories),
        (model.ServiceItem, service_items),
        (model.Clerk, clerks),
        (model.Window, windows),
        (model.WindowPost, window_posts),
        (model.Ticket, tickets),
        (model.ServiceRecord, service_records),
    ):
        mapper_registry.map_imperatively(cls, table)
    _mapped = True
