"""Ticket numbers: prefix + three digits, per hall, category and service day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .errors import CapacityReached, InvalidInput


def service_day(
    now: datetime, timezone: str = "Asia/Shanghai", day_starts_at_minute: int = 0
) -> date:
    """The hall's service day for an instant: local date, shifted by the day's start minute."""
    if now.tzinfo is None:
        raise InvalidInput("时间须带时区", "A time must carry its time zone")
    local = now.astimezone(ZoneInfo(timezone))
    return (local - timedelta(minutes=day_starts_at_minute)).date()


def format_number(prefix: str, seq: int) -> str:
    """A001: the prefix and the day's sequence on three digits."""
    return f"{prefix}{seq:03d}"


def next_seq(last_seq: int | None, daily_cap: int, category_name: str) -> int:
    """The next sequence of the day, refusing past the category's daily cap."""
    seq = (last_seq or 0) + 1
    if seq > daily_cap:
        raise CapacityReached(
            f"今日「{category_name}」的号已取完（每日 {daily_cap} 个），请明天再来或预约办理",
            f"Today's tickets for {category_name} are all taken ({daily_cap} a day); "
            "please come back tomorrow or book an appointment",
        )
    return seq
