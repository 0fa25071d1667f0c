"""A booking as its holder (with the code) or staff see it: personal data masked."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ...domain.booking import (
    HOME_VISIT_OUTCOME_NAMES,
    PROXY_REASON_NAMES,
    STATE_NAMES,
    Booking,
    BookingPolicy,
    ProxyReason,
    format_code,
    parse_home_visit_outcome,
)
from ...domain.calendar import CalendarYearMissing
from ...domain.hours import MONTH_NAMES_EN, WEEKDAY_NAMES_EN, WEEKDAY_NAMES_ZH
from ...domain.identity import mask_name, mask_phone
from ...domain.model import Category, Clerk, Hall, ServiceItem, Ticket
from .. import views
from ..guide import item_view
from ..hours import official_calendar
from ..schedule import deadline_view
from .records import hall_zone


def when_text(booking: Booking, zone: ZoneInfo) -> tuple[str, str]:
    """The booking's time in words: 11月27日（周五）09:00–09:30 / Fri 27 Nov 09:00–09:30."""
    day = booking.day
    zh = f"{day.month}月{day.day}日（{WEEKDAY_NAMES_ZH[day.weekday()]}）"
    en = f"{WEEKDAY_NAMES_EN[day.weekday()]} {day.day} {MONTH_NAMES_EN[day.month - 1]} {day.year}"
    if booking.slot_start is not None and booking.slot_end is not None:
        span = (
            f"{booking.slot_start.astimezone(zone):%H:%M}–{booking.slot_end.astimezone(zone):%H:%M}"
        )
        return f"{zh}{span}", f"{en}, {span}"
    return zh, en


def check_in_span(booking: Booking, policy: BookingPolicy) -> tuple[datetime, datetime] | None:
    """From when and until when a check-in keeps appointment priority."""
    if booking.slot_start is None:
        return None
    return (
        booking.slot_start - timedelta(minutes=policy.check_in_before_minutes),
        booking.slot_start + timedelta(minutes=policy.check_in_after_minutes),
    )


def local_iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """A moment as ISO 8601 in the hall's time, as people read it (None stays None)."""
    return moment.astimezone(zone).isoformat() if moment is not None else None


def citizen_view(booking: Booking) -> dict[str, str]:
    """The citizen as every page, list and printout shows them: masked."""
    return {
        "name": mask_name(booking.citizen_name) if booking.citizen_name else "",
        "phone": mask_phone(booking.phone) if booking.phone else "",
        "id_number": booking.id_masked,
    }


def booking_view(
    session: Session,
    booking: Booking,
    hall: Hall,
    policy: BookingPolicy,
    *,
    include_code: bool = False,
    staff: bool = False,
) -> dict[str, Any]:
    """A booking as its holder (with the code) or staff see it; personal data masked."""
    zone = hall_zone(hall)
    item = session.get(ServiceItem, booking.service_item_id)
    category = session.get(Category, booking.category_id) if booking.category_id else None
    when_zh, when_en = when_text(booking, zone)
    state_zh, state_en = STATE_NAMES[booking.state]
    span = check_in_span(booking, policy)
    view: dict[str, Any] = {
        "id": booking.id,
        "kind": booking.kind.value,
        "kind_name": "上门服务" if booking.is_home_visit else "到厅办理",
        "kind_name_en": "Home visit" if booking.is_home_visit else "At the hall",
        "state": booking.state.value,
        "state_name": state_zh,
        "state_name_en": state_en,
        "hall": views.hall_view(hall),
        "item": item_view(item, category) if item is not None else None,
        "day": booking.day.isoformat(),
        "start": local_iso(booking.slot_start, zone),
        "end": local_iso(booking.slot_end, zone),
        "when": when_zh,
        "when_en": when_en,
        "check_in_from": local_iso(span[0], zone) if span else None,
        "check_in_until": local_iso(span[1], zone) if span else None,
        "check_in_text": (
            f"请于 {span[0].astimezone(zone):%H:%M}–{span[1].astimezone(zone):%H:%M} "
            "到大厅自助机“预约签到”"
            if span
            else "工作人员将与您电话联系上门时间"
        ),
        "check_in_text_en": (
            f"Check in at the hall's kiosk between {span[0].astimezone(zone):%H:%M} and "
            f"{span[1].astimezone(zone):%H:%M}"
            if span
            else "Staff will phone you to agree the time of the visit"
        ),
        "citizen": citizen_view(booking),
        "proxy": booking.proxy,
        "proxy_reason": booking.proxy_reason,
        "proxy_reason_name": PROXY_REASON_NAMES[ProxyReason(booking.proxy_reason)][0]
        if booking.proxy_reason
        else None,
        "late": booking.late,
        "moves": booking.moves,
        "created_at": local_iso(booking.created_at, zone),
        "ticket": None,
        "deadline": None,
    }
    if booking.agent_id is not None:
        agent = session.get(Clerk, booking.agent_id)
        view["agent"] = {"name": agent.name, "staff_no": agent.staff_no} if agent else None
    if booking.ticket_id is not None:
        ticket = session.get(Ticket, booking.ticket_id)
        if ticket is not None:
            view["ticket"] = {"number": ticket.number, "state": ticket.state.value}
    # The day's year has no official schedule yet: the booking stands on the statutory days.
    view["provisional"] = official_calendar(session).is_provisional(booking.day.year)
    if item is not None:
        try:
            view["deadline"] = deadline_view(item, booking.day, official_calendar(session))
        except CalendarYearMissing as missing:
            view["deadline"] = {"due": None, "text": missing.message, "text_en": missing.message_en}
    if booking.is_home_visit:
        view["outcome"] = booking.outcome
        if booking.outcome:
            names = HOME_VISIT_OUTCOME_NAMES[parse_home_visit_outcome(booking.outcome)]
            view["outcome_name"], view["outcome_name_en"] = names
        clerk = session.get(Clerk, booking.assigned_clerk_id) if booking.assigned_clerk_id else None
        view["assigned_to"] = views.clerk_public_view(clerk)
        if staff:
            # The clerk who goes needs the address; the citizen typed it and knows it.
            view["address"] = booking.address
            view["note"] = booking.note
            view["outcome_note"] = booking.outcome_note
    if include_code:
        code = format_code(booking.code)
        view["code"] = code
        view["urls"] = {
            "manage": f"/book/{hall.id}/manage",
            "ics": f"/api/v1/bookings/{booking.code}/calendar.ics",
            "qr": f"/api/v1/bookings/{booking.code}/qr.svg",
        }
    return view
