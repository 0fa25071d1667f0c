"""A booking as an iCalendar file (RFC 5545): time, place, code, materials; no personal data."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ...domain.booking import Booking, BookingPolicy, BookingState, format_code, normalize_code
from ...domain.model import Hall, ServiceItem
from .. import views
from ..context import Deps
from .records import hall_zone, load_by_code
from .rules import load_policy
from .view import check_in_span


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """RFC 5545 folding: lines of at most 75 octets, never splitting a character."""
    parts: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not parts else 74
        if len((current + char).encode()) > limit:
            parts.append(current)
            current = char
        else:
            current += char
    parts.append(current)
    return [parts[0], *(" " + p for p in parts[1:])]


def _ics_time(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")


def booking_ics(deps: Deps, code: Any) -> tuple[str, str]:
    """The booking as an iCalendar file (filename, text): time, place, code, materials.

    It carries no personal data: the citizen's calendar knows who they are.
    """
    key = normalize_code(code)
    with deps.db.reading() as session:  # built inside: a rollback expires the objects read
        booking = load_by_code(session, key)
        hall = views.get_hall(session, booking.hall_id)
        policy = load_policy(session, hall.id or 0)
        item = session.get(ServiceItem, booking.service_item_id)
        return _ics(booking, hall, policy, item, key)


def _ics(
    booking: Booking, hall: Hall, policy: BookingPolicy, item: ServiceItem | None, key: str
) -> tuple[str, str]:
    name = item.name if item else ""
    materials = "、".join(item.materials) if item and item.materials else ""
    span = check_in_span(booking, policy)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//hallq//booking//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:booking-{booking.id}-{hashlib.sha256(key.encode()).hexdigest()[:12]}@hallq",
        f"DTSTAMP:{_ics_time(booking.updated_at or booking.created_at)}",
    ]
    if booking.slot_start is not None and booking.slot_end is not None and span is not None:
        opens = span[0].astimezone(hall_zone(hall))
        closes = span[1].astimezone(hall_zone(hall))
        lines += [
            f"DTSTART:{_ics_time(booking.slot_start)}",
            f"DTEND:{_ics_time(booking.slot_end)}",
        ]
        description = (
            f"预约码 {format_code(key)}。请于 {opens:%H:%M}–{closes:%H:%M} 到大厅自助机“预约签到”。"
            + (f"请带齐材料：{materials}。" if materials else "")
            + f"\nBooking code {format_code(key)}. Check in at the kiosk between "
            f"{opens:%H:%M} and {closes:%H:%M}."
        )
        summary = f"预约办理：{name}"
    else:
        lines += [
            f"DTSTART;VALUE=DATE:{booking.day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{booking.day + timedelta(days=1):%Y%m%d}",
        ]
        description = f"上门服务申请编号 {format_code(key)}。工作人员将电话联系您。"
        summary = f"上门服务：{name}"
    lines += [
        f"SUMMARY:{_ics_text(summary)}",
        f"LOCATION:{_ics_text(hall.name)}",
        f"DESCRIPTION:{_ics_text(description)}",
        "STATUS:CANCELLED" if booking.state == BookingState.CANCELLED else "STATUS:CONFIRMED",
    ]
    if booking.slot_start is not None:
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "TRIGGER:-PT1H",
            f"DESCRIPTION:{_ics_text(summary)}",
            "END:VALARM",
        ]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    folded = [part for line in lines for part in _fold(line)]
    return f"booking-{key}.ics", "\r\n".join(folded) + "\r\n"
