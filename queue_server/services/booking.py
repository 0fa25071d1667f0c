"""Appointment use cases (预约): book, look up, move and cancel by code, check in at the hall,
home visits (上门服务), the counter's list of today's bookings and rules (their periodic work is
booking_housekeeping.py).

Every change runs as one transaction under the hall's lock (`queue.run`), so a slot's places
are counted and taken by one booking at a time: never oversold, on SQLite or PostgreSQL.
Messages to the citizen go out after the commit, through a `notify.Notifier`.

Personal data: the name and phone are kept to serve and to send messages, and erased a while
after the booking ends; the ID number is never kept, only a keyed digest (for the limits) and
its masked form. Views, audit entries, logs and socket events carry masked data or none.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain.booking import (
    ACTIVE,
    DEFAULT_RULE,
    HOLDS_A_PLACE,
    HOME_VISIT_OUTCOME_NAMES,
    PROXY_REASON_NAMES,
    STATE_NAMES,
    Booking,
    BookingKind,
    BookingPolicy,
    BookingRule,
    BookingState,
    CheckInTiming,
    ProxyReason,
    RuleKey,
    format_code,
    new_booking_code,
    no_such_booking,
    normalize_code,
    parse_home_visit_outcome,
    parse_proxy_reason,
    require_free_place,
    require_no_other_booking,
    require_not_blocked,
    session_name,
    validate_address,
    validate_citizen_name,
)
from ..domain.calendar import CalendarYearMissing
from ..domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    QueueError,
    Unavailable,
)
from ..domain.hours import (
    MONTH_NAMES_EN,
    WEEKDAY_NAMES_EN,
    WEEKDAY_NAMES_ZH,
    Schedule,
    Slot,
    check_bookable,
    generate_slots,
)
from ..domain.identity import (
    mask_id_number,
    mask_name,
    mask_phone,
    validate_id_number,
    validate_phone,
)
from ..domain.model import Category, Clerk, Hall, ServiceItem, Ticket, Window
from ..store import booking_tables as bt
from ..store import calendar_tables as ct
from ..store import tables
from . import access, idempotency, lookups, views
from .context import Actor, Deps, audit
from .hours import hall_schedule, official_calendar, open_state
from .issuing import issue_ticket
from .kiosk import item_view, search_items
from .lookups import load_rules
from .notify import LogNotifier, Notice, Notifier, deliver
from .queue_messages import Outbox
from .schedule import deadline_view, parse_day
from .unit_of_work import run

B = bt.bookings
RULES = bt.booking_rules
SETTINGS = bt.booking_settings

ACTIVE_VALUES = [s.value for s in ACTIVE]
PLACE_VALUES = [s.value for s in HOLDS_A_PLACE]
BOOKING_FIELDS = [f.name for f in fields(Booking)]
NOTE_MAX = 200


# =============================================================================================
# Settings and rules


def load_policy(session: Session, hall_id: int) -> BookingPolicy:
    """The hall's booking policy (defaults until a manager sets one)."""
    stored = session.scalar(select(SETTINGS.c.policy).where(SETTINGS.c.hall_id == hall_id))
    return BookingPolicy.from_dict(stored or {})


def _id_key(session: Session, hall_id: int) -> str:
    """The hall's digest key, made on first use (call under the hall's lock)."""
    key = session.scalar(select(SETTINGS.c.id_key).where(SETTINGS.c.hall_id == hall_id))
    if key is None:
        key = secrets.token_hex(32)
        session.execute(insert(SETTINGS).values(hall_id=hall_id, policy={}, id_key=key))
    return str(key)


def id_digest(key: str, id_number: str) -> str:
    """The keyed digest that stands for an ID number in the limits."""
    return hmac.new(key.encode(), id_number.encode(), hashlib.sha256).hexdigest()


def rule_for(rules: dict[RuleKey, BookingRule], item: ServiceItem) -> tuple[BookingRule, str]:
    """The rule that applies to an item and the pool of places it books from.

    An item with its own rule has its own places; otherwise the items of a category share
    the category's places, under the category's rule or the hall's default.
    """
    if (None, item.id) in rules:
        return rules[(None, item.id)], f"item:{item.id}"
    pool = f"category:{item.category_id}" if item.category_id else f"item:{item.id}"
    if item.category_id is not None and (item.category_id, None) in rules:
        return rules[(item.category_id, None)], pool
    return rules.get((None, None), DEFAULT_RULE), pool


# =============================================================================================
# Reading helpers


def _zone(hall: Hall) -> ZoneInfo:
    return ZoneInfo(hall.timezone)


def _schedule(session: Session, hall: Hall) -> Schedule:
    schedule = hall_schedule(hall, official_calendar(session))
    if schedule is None:
        raise Conflict(
            "本厅尚未设置办公时间，暂不接受预约",
            "This hall has no opening hours set yet, so it takes no bookings",
        )
    return schedule


def _bookable_item(session: Session, hall: Hall, item_id: Any) -> tuple[ServiceItem, Category]:
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        raise InvalidInput("请选择要办理的事项", "Choose the service to book")
    item = session.get(ServiceItem, item_id)
    if item is None or item.hall_id != hall.id or not item.active:
        raise NotFound("本大厅没有该事项", "This hall has no such service item")
    category = session.get(Category, item.category_id) if item.category_id else None
    if category is None or not category.active:
        raise Conflict(
            "该事项暂不接受预约，请到大厅现场办理",
            "This service cannot be booked; please come to the hall",
        )
    return item, category


def _row_to_booking(row: Any) -> Booking:
    data = row._mapping
    return Booking(**{name: data[name] for name in BOOKING_FIELDS})


def _load_by_code(session: Session, code: str) -> Booking:
    row = session.execute(select(B).where(B.c.code == code)).first()
    if row is None:
        raise no_such_booking()
    return _row_to_booking(row)


def _load_by_id(session: Session, booking_id: int) -> Booking:
    row = session.execute(select(B).where(B.c.id == booking_id)).first()
    if row is None:
        raise NotFound("找不到该预约", "No such booking")
    return _row_to_booking(row)


def _save(session: Session, booking: Booking) -> None:
    values = {name: getattr(booking, name) for name in BOOKING_FIELDS if name != "id"}
    session.execute(update(B).where(B.c.id == booking.id).values(**values))


def _hall_of_code(deps: Deps, code: str) -> int:
    with deps.db.reading() as session:
        hall_id = session.scalar(select(B.c.hall_id).where(B.c.code == code))
    if hall_id is None:
        raise no_such_booking()
    return int(hall_id)


def _hall_of_booking(deps: Deps, booking_id: int) -> int:
    with deps.db.reading() as session:
        hall_id = session.scalar(select(B.c.hall_id).where(B.c.id == booking_id))
    if hall_id is None:
        raise NotFound("找不到该预约", "No such booking")
    return int(hall_id)


def _taken(
    session: Session, hall_id: int, pool: str, starts: list[datetime]
) -> dict[datetime, int]:
    """Places taken per slot start in one pool."""
    if not starts:
        return {}
    rows = session.execute(
        select(B.c.slot_start, func.count())
        .where(
            B.c.hall_id == hall_id,
            B.c.pool == pool,
            B.c.slot_start.in_(starts),
            B.c.state.in_(PLACE_VALUES),
        )
        .group_by(B.c.slot_start)
    ).all()
    return {start: int(n) for start, n in rows}


# =============================================================================================
# Views


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
    zone = _zone(hall)
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


# =============================================================================================
# Messages


def _hall_name(hall: Hall) -> tuple[str, str]:
    return hall.name, hall.name_en or hall.name


def _notice(hall: Hall, booking: Booking, kind: str, text: str, text_en: str) -> Notice | None:
    if not booking.phone:
        return None
    return Notice(hall.id or 0, booking.id or 0, kind, booking.phone, text, text_en)


def confirmation_notice(
    session: Session, hall: Hall, booking: Booking, policy: BookingPolicy, kind: str
) -> Notice | None:
    """预约成功 / 改约成功 / 上门服务申请已收到."""
    item = session.get(ServiceItem, booking.service_item_id)
    name = item.name if item else ""
    name_en = (item.name_en or item.name) if item else ""
    zh_hall, en_hall = _hall_name(hall)
    when_zh, when_en = when_text(booking, _zone(hall))
    code = format_code(booking.code)
    if booking.is_home_visit:
        return _notice(
            hall,
            booking,
            "confirmation",
            f"【{zh_hall}】上门服务申请已收到：{name}，{when_zh}。工作人员将电话联系您。"
            f"申请编号 {code}。",
            f"{en_hall}: home visit requested for {name_en} on {when_en}. Staff will phone you. "
            f"Reference {code}.",
        )
    span = check_in_span(booking, policy)
    assert span is not None
    zone = _zone(hall)
    opens, closes = span[0].astimezone(zone), span[1].astimezone(zone)
    materials = "、".join(item.materials) if item and item.materials else ""
    bring = f"请带齐材料：{materials}。" if materials else ""
    head = "改约成功" if kind == "moved" else "预约成功"
    head_en = "Appointment moved" if kind == "moved" else "Appointment booked"
    return _notice(
        hall,
        booking,
        kind,
        f"【{zh_hall}】{head}：{name}，{when_zh}。预约码 {code}，"
        f"请于 {opens:%H:%M}–{closes:%H:%M} 到大厅自助机“预约签到”。{bring}"
        "改约或取消请凭预约码办理。",
        f"{en_hall}: {head_en}: {name_en}, {when_en}. Booking code {code}. Check in at the "
        f"kiosk between {opens:%H:%M} and {closes:%H:%M}. Use the code to move or cancel.",
    )


def cancellation_notice(session: Session, hall: Hall, booking: Booking) -> Notice | None:
    """预约已取消."""
    item = session.get(ServiceItem, booking.service_item_id)
    zh_hall, en_hall = _hall_name(hall)
    when_zh, when_en = when_text(booking, _zone(hall))
    return _notice(
        hall,
        booking,
        "cancellation",
        f"【{zh_hall}】您的预约（{item.name if item else ''}，{when_zh}）已取消。",
        f"{en_hall}: your booking ({(item.name_en or item.name) if item else ''}, {when_en}) "
        "is cancelled.",
    )


def reminder_notice(
    session: Session, hall: Hall, booking: Booking, policy: BookingPolicy
) -> Notice | None:
    """预约提醒 before the slot."""
    item = session.get(ServiceItem, booking.service_item_id)
    zh_hall, en_hall = _hall_name(hall)
    when_zh, when_en = when_text(booking, _zone(hall))
    span = check_in_span(booking, policy)
    assert span is not None
    opens = span[0].astimezone(_zone(hall))
    code = format_code(booking.code)
    return _notice(
        hall,
        booking,
        "reminder",
        f"【{zh_hall}】预约提醒：{item.name if item else ''}，{when_zh}。"
        f"请于 {opens:%H:%M} 以后到大厅签到，预约码 {code}。",
        f"{en_hall}: reminder: {(item.name_en or item.name) if item else ''}, {when_en}. "
        f"Check in from {opens:%H:%M}, booking code {code}.",
    )


def _send(deps: Deps, notifier: Notifier | None, notice: Notice | None) -> None:
    if notice is not None:
        deliver(deps, notifier or LogNotifier(), [notice], deps.clock.now())


# =============================================================================================
# Choosing: items, days, slots


def bookable_items(deps: Deps, hall_id: int, query: Any = "") -> dict[str, Any]:
    """The hall's service items that can be booked, searched by name or pinyin initials."""
    found = search_items(deps, hall_id, query, limit=200)
    with deps.db.reading() as session:  # summaries are built inside: a rollback expires objects
        rules = load_rules(session, hall_id)
        terms = {
            item.id: rule_summary(rule_for(rules, item)[0])
            for item in session.scalars(
                select(ServiceItem).where(
                    tables.service_items.c.id.in_([v["id"] for v in found["items"]])
                )
            )
        }
    # An item without a queue (category) cannot be checked in at the hall, so it is not listed.
    result = [
        {**view, "booking": terms[view["id"]]}
        for view in found["items"]
        if view["id"] in terms and view["category"] is not None
    ]
    return {"query": found["query"], "total": len(result), "items": result}


def rule_summary(rule: BookingRule) -> dict[str, Any]:
    """What a citizen needs to know of a rule."""
    return {
        "slot_minutes": rule.slot.slot_minutes,
        "places_per_slot": rule.slot.places_per_slot,
        "days_ahead": rule.slot.days_ahead,
    }


def _item_context(
    session: Session, hall: Hall, item_id: Any
) -> tuple[ServiceItem, Category, BookingRule, str]:
    item, category = _bookable_item(session, hall, item_id)
    rule, pool = rule_for(load_rules(session, hall.id or 0), item)
    return item, category, rule, pool


def bookable_days(deps: Deps, hall_id: int, item_id: int) -> dict[str, Any]:
    """Each day from today to the booking horizon: open or not, and how many places are free."""
    with deps.db.reading() as session:
        hall = views.get_hall(session, hall_id)
        item, category, rule, pool = _item_context(session, hall, item_id)
        schedule = _schedule(session, hall)
        now = deps.clock.now()
        today = views.today(hall, now)
        last = rule.slot.last_bookable_day(today)
        per_day: dict[date, list[Slot] | CalendarYearMissing] = {}
        sessions_of: dict[date, int] = {}
        day = today
        while day <= last:
            try:
                sessions_of[day] = len(schedule.sessions_on(day))
                per_day[day] = generate_slots(schedule, rule.slot, day, now)
            except CalendarYearMissing as missing:
                per_day[day] = missing
            day += timedelta(days=1)
        starts = [s.start for slots in per_day.values() if isinstance(slots, list) for s in slots]
        taken = _taken(session, hall_id, pool, starts)
        days = []
        for day, slots in per_day.items():
            entry: dict[str, Any] = {
                "date": day.isoformat(),
                "label": f"{day.month}月{day.day}日 {WEEKDAY_NAMES_ZH[day.weekday()]}",
                "label_en": f"{WEEKDAY_NAMES_EN[day.weekday()]} {day.day} "
                f"{MONTH_NAMES_EN[day.month - 1]}",
                "today": day == today,
                "provisional": schedule.calendar.is_provisional(day.year),
            }
            if isinstance(slots, CalendarYearMissing):
                entry.update(
                    known=False, open=False, capacity=0, free=0, bookable=False,
                    reason="calendar_missing", reason_text=slots.message,
                    reason_text_en=slots.message_en,
                )  # fmt: skip
                days.append(entry)
                continue
            capacity = sum(s.capacity for s in slots)
            free = sum(max(0, s.capacity - taken.get(s.start, 0)) for s in slots)
            is_open = sessions_of[day] > 0
            if not is_open:
                reason, zh, en = "closed", "休息", "Closed"
            elif not slots:
                reason, zh, en = "no_slots", "无可约时段", "No slots"
            elif free == 0:
                reason, zh, en = "full", "已约满", "Fully booked"
            else:
                reason, zh, en = None, f"余 {free}", f"{free} free"
            entry.update(
                known=True, open=is_open, capacity=capacity, free=free, bookable=free > 0,
                reason=reason, reason_text=zh, reason_text_en=en,
            )  # fmt: skip
            days.append(entry)
        return {
            "item": item_view(item, category),
            "rule": rule_summary(rule),
            "today": today.isoformat(),
            "last_day": last.isoformat(),
            "days": days,
        }


def free_slots(deps: Deps, hall_id: int, item_id: int, day: Any) -> dict[str, Any]:
    """The slots of one day for an item, with their free places (full ones included)."""
    when = parse_day(day)
    with deps.db.reading() as session:
        hall = views.get_hall(session, hall_id)
        item, category, rule, pool = _item_context(session, hall, item_id)
        schedule = _schedule(session, hall)
        now = deps.clock.now()
        slots = generate_slots(schedule, rule.slot, when, now)  # CalendarYearMissing → 409
        sessions = schedule.sessions_on(when)
        taken = _taken(session, hall_id, pool, [s.start for s in slots])
        zone = _zone(hall)
        result = []
        for slot in slots:
            local = slot.start.astimezone(zone)
            session_of = next(s for s in sessions if s.covers(local.time()))
            appointment_only = (
                session_of.appointment_only or session_of.kind in rule.appointment_only_kinds
            )
            kind_zh, kind_en = session_name(session_of, when, appointment_only)
            used = taken.get(slot.start, 0)
            result.append(
                {
                    "start": slot.start.isoformat(),
                    "end": slot.end.isoformat(),
                    "label": f"{local:%H:%M}–{slot.end.astimezone(zone):%H:%M}",
                    "capacity": slot.capacity,
                    "taken": used,
                    "free": max(0, slot.capacity - used),
                    "session_kind": session_of.kind.value,
                    "session_name": kind_zh,
                    "session_name_en": kind_en,
                    "appointment_only": appointment_only,
                }
            )
        words = schedule.describe_day(when)
        return {
            "date": when.isoformat(),
            "text": words.zh,
            "text_en": words.en,
            "provisional": schedule.calendar.is_provisional(when.year),
            "item": {"id": item.id, "name": item.name, "name_en": item.name_en},
            "slots": result,
        }


# =============================================================================================
# Booking


@dataclass(frozen=True)
class CitizenDetails:
    """What a citizen gives when booking, checked."""

    name: str
    phone: str
    id_number: str


def _citizen(data: dict[str, Any], today: date) -> CitizenDetails:
    return CitizenDetails(
        name=validate_citizen_name(data.get("name")),
        phone=validate_phone(data.get("phone", "")),
        id_number=validate_id_number(data.get("id_number", ""), today=today),
    )


def _parse_start(raw: Any) -> datetime:
    try:
        if isinstance(raw, str):
            start = datetime.fromisoformat(raw)
            if start.tzinfo is not None:
                return start
    except ValueError:
        pass
    raise InvalidInput(
        "请选择预约时段（带时区的时间，如 2026-11-27T09:00:00+08:00）",
        "choose a slot: a time with its zone, such as 2026-11-27T09:00:00+08:00",
    )


def _parse_kind(raw: Any) -> BookingKind:
    try:
        return BookingKind(raw or BookingKind.APPOINTMENT)
    except ValueError:
        raise InvalidInput(
            "预约类型须为 appointment（到厅办理）或 home_visit（上门服务）",
            "kind must be appointment or home_visit",
        ) from None


def _note(raw: Any) -> str:
    if raw in (None, ""):
        return ""
    if not isinstance(raw, str) or len(raw) > NOTE_MAX:
        raise InvalidInput(
            f"备注不能超过 {NOTE_MAX} 字", f"the note is at most {NOTE_MAX} characters"
        )
    return raw.strip()


def _missed_days(
    session: Session, hall_id: int, digest: str, today: date, window: int
) -> list[date]:
    rows = session.scalars(
        select(B.c.day).where(
            B.c.hall_id == hall_id,
            B.c.id_digest == digest,
            B.c.kind == BookingKind.APPOINTMENT,
            B.c.day > today - timedelta(days=window),
            or_(
                B.c.state == BookingState.NO_SHOW,
                and_(B.c.state == BookingState.BOOKED, B.c.day < today),
            ),
        )
    )
    return list(rows)


def _others_that_day(
    session: Session, hall_id: int, digest: str, item_id: int, day: date, exclude: int | None
) -> int:
    query = select(func.count()).where(
        B.c.hall_id == hall_id,
        B.c.id_digest == digest,
        B.c.service_item_id == item_id,
        B.c.day == day,
        B.c.state.in_(ACTIVE_VALUES),
    )
    if exclude is not None:
        query = query.where(B.c.id != exclude)
    return int(session.scalar(query) or 0)


def _unique_code(session: Session) -> str:
    for _ in range(10):
        code = new_booking_code()
        if session.scalar(select(B.c.id).where(B.c.code == code)) is None:
            return code
    raise Conflict("预约繁忙，请再试一次", "Busy; please try again")  # pragma: no cover


def book(
    deps: Deps, actor: Actor, hall_id: int, data: Any, notifier: Notifier | None = None
) -> dict[str, Any]:
    """预约: take a place in a slot (or request a home visit); the view carries the code."""
    if not isinstance(data, dict):
        raise InvalidInput("预约内容应为对象", "the booking must be a JSON object")
    access.require(None, actor, hall_id, "booking.create")
    kind = _parse_kind(data.get("kind"))
    start = _parse_start(data.get("start")) if kind == BookingKind.APPOINTMENT else None
    visit_day = parse_day(data.get("day")) if kind == BookingKind.HOME_VISIT else None
    address = validate_address(data.get("address")) if kind == BookingKind.HOME_VISIT else ""
    note = _note(data.get("note"))
    citizen = _citizen(data, deps.clock.now().date())
    proxy = actor.is_staff
    reason = parse_proxy_reason(data.get("proxy_reason")) if proxy else None
    if data.get("proxy_reason") not in (None, ""):
        access.require(None, actor, hall_id, "booking.proxy")

    def work(out: Outbox) -> tuple[dict[str, Any], Notice | None]:
        s, hall, now = out.session, out.hall, out.now
        today = views.today(hall, now)
        policy = load_policy(s, hall.id or 0)
        item, category, rule, pool = _item_context(s, hall, data.get("item"))
        schedule = _schedule(s, hall)
        digest = id_digest(_id_key(s, hall.id or 0), citizen.id_number)
        missed = _missed_days(s, hall.id or 0, digest, today, policy.no_show_window_days)
        require_not_blocked(policy, missed, today)
        slot: Slot | None = None
        if start is not None:
            slot = check_bookable(schedule, rule.slot, start, now)
            day = slot.start.astimezone(_zone(hall)).date()
        else:
            assert visit_day is not None
            day = visit_day
            _require_visit_day(schedule, rule, day, today)
        require_no_other_booking(_others_that_day(s, hall.id or 0, digest, item.id or 0, day, None))
        if slot is not None:
            taken = _taken(s, hall.id or 0, pool, [slot.start]).get(slot.start, 0)
            require_free_place(slot.capacity, taken)
        booking = Booking(
            hall_id=hall.id or 0,
            kind=kind,
            code=_unique_code(s),
            service_item_id=item.id or 0,
            category_id=category.id,
            pool=pool,
            day=day,
            citizen_name=citizen.name,
            phone=citizen.phone,
            id_digest=digest,
            id_masked=mask_id_number(citizen.id_number),
            created_at=now,
            updated_at=now,
            slot_start=slot.start if slot else None,
            slot_end=slot.end if slot else None,
            proxy=proxy,
            proxy_reason=reason.value if reason else None,
            agent_id=actor.id if proxy else None,
            address=address,
            note=note,
        )
        values = {name: getattr(booking, name) for name in BOOKING_FIELDS if name != "id"}
        booking.id = s.execute(insert(B).values(**values).returning(B.c.id)).scalar_one()
        audit(
            s,
            at=now,
            actor=actor,
            action="booking.create",
            hall_id=hall.id,
            subject=f"booking {booking.id}",
            detail={
                "kind": kind.value,
                "item": item.id,
                "start": views.iso(booking.slot_start),
                "day": day.isoformat(),
                "proxy": proxy,
            },
        )
        _changed(out, booking)
        view = booking_view(s, booking, hall, policy, include_code=True, staff=proxy)
        return view, confirmation_notice(s, hall, booking, policy, "confirmation")

    view, notice = run(deps, hall_id, work)
    _send(deps, notifier, notice)
    return view


def _require_visit_day(schedule: Schedule, rule: BookingRule, day: date, today: date) -> None:
    last = rule.slot.last_bookable_day(today)
    if day < today:
        raise InvalidInput("不能预约过去的日期", "cannot book a date in the past")
    if day > last:
        raise InvalidInput(
            f"最多可提前 {rule.slot.days_ahead} 天申请，最晚可约 {last.month}月{last.day}日",
            f"requests can be made at most {rule.slot.days_ahead} days ahead, until "
            f"{last.isoformat()}",
        )
    if not schedule.sessions_on(day):
        raise InvalidInput(
            "当天不办公，请选择工作人员在岗的日期",
            "the hall is closed that day; choose a working day",
        )


def _changed(out: Outbox, booking: Booking) -> None:
    """Tell counter panels that a day's bookings changed (no personal data in the event)."""
    out.add(
        "bookings_changed",
        [f"hall:{booking.hall_id}"],
        {
            "hall": booking.hall_id,
            "date": booking.day.isoformat(),
            "category_id": booking.category_id,
        },
    )


def find_booking(deps: Deps, code: Any) -> dict[str, Any]:
    """A booking by its code, as its holder sees it (masked)."""
    key = normalize_code(code)
    with deps.db.reading() as session:
        booking = _load_by_code(session, key)
        hall = views.get_hall(session, booking.hall_id)
        policy = load_policy(session, hall.id or 0)
        return booking_view(session, booking, hall, policy, include_code=True)


def cancel_booking(
    deps: Deps, actor: Actor, code: Any, notifier: Notifier | None = None
) -> dict[str, Any]:
    """取消预约 by code: the place is free again at once."""
    key = normalize_code(code)

    def work(out: Outbox) -> tuple[dict[str, Any], Notice | None]:
        s, hall = out.session, out.hall
        booking = _load_by_code(s, key)
        booking.cancel(out.now)
        _save(s, booking)
        audit(s, at=out.now, actor=actor, action="booking.cancel", hall_id=hall.id,
              subject=f"booking {booking.id}")  # fmt: skip
        _changed(out, booking)
        policy = load_policy(s, hall.id or 0)
        view = booking_view(s, booking, hall, policy, include_code=True)
        return view, cancellation_notice(s, hall, booking)

    view, notice = run(deps, _hall_of_code(deps, key), work)
    _send(deps, notifier, notice)
    return view


def move_booking(
    deps: Deps, actor: Actor, code: Any, start: Any, notifier: Notifier | None = None
) -> dict[str, Any]:
    """改约 by code: the same code, another slot of the same service, on the same terms."""
    key = normalize_code(code)
    new_start = _parse_start(start)

    def work(out: Outbox) -> tuple[dict[str, Any], Notice | None]:
        s, hall, now = out.session, out.hall, out.now
        booking = _load_by_code(s, key)
        item, _category, rule, pool = _item_context(s, hall, booking.service_item_id)
        slot = check_bookable(_schedule(s, hall), rule.slot, new_start, now)
        day = slot.start.astimezone(_zone(hall)).date()
        old_day = booking.day
        booking.move(slot.start, slot.end, day, pool, now)
        require_no_other_booking(
            _others_that_day(s, hall.id or 0, booking.id_digest, item.id or 0, day, booking.id)
        )
        taken = _taken(s, hall.id or 0, pool, [slot.start]).get(slot.start, 0)
        require_free_place(slot.capacity, taken)
        _save(s, booking)
        audit(s, at=now, actor=actor, action="booking.move", hall_id=hall.id,
              subject=f"booking {booking.id}", detail={"start": views.iso(slot.start)})  # fmt: skip
        _changed(out, booking)
        if old_day != day:
            _changed(out, replace(booking, day=old_day))
        policy = load_policy(s, hall.id or 0)
        view = booking_view(s, booking, hall, policy, include_code=True)
        return view, confirmation_notice(s, hall, booking, policy, "moved")

    view, notice = run(deps, _hall_of_code(deps, key), work)
    _send(deps, notifier, notice)
    return view


# =============================================================================================
# Check-in


def _late_due(session: Session, hall: Hall, now: datetime) -> datetime | None:
    """For a late citizen while walk-ins are closed but an appointment-only session runs: the
    end of that session, so the ticket is called after those who came on time."""
    state = open_state(hall, now, official_calendar(session))
    if state.open or not state.appointment_only:
        return None
    schedule = _schedule(session, hall)
    is_open, current = schedule.is_open(now)
    if not is_open or current is None:
        return None
    local = schedule.local_time(now)
    return datetime.combine(local.date(), current.end, tzinfo=schedule.hours.zone)


# A check-in a moment ago whose ticket is not issued yet is still under way (its request runs);
# a retry within this time is asked to wait, not refused as "already checked in".
CHECK_IN_UNDER_WAY = timedelta(seconds=30)


@dataclass
class _Claim:
    """What the check-in's first transaction found: the booking and how it arrived, or, for a
    retried request, the ticket its first try made."""

    booking: Booking
    timing: CheckInTiming
    due: datetime | None
    earlier_ticket: int | None = None


def check_in(
    deps: Deps, actor: Actor, hall_id: int, code: Any, idempotency_key: str | None = None
) -> dict[str, Any]:
    """预约签到 at the kiosk or by staff: a ticket with appointment priority, or, for a late
    arrival, an ordinary one and a notice saying so.

    A request that repeats the `idempotency_key` of a recent check-in from the same issuer (a
    retry after a lost reply) gets that check-in's reply again, and nothing changes."""
    key = normalize_code(code)
    request_key = idempotency.check_key(idempotency_key)
    issuer = idempotency.issuer_of(actor) if request_key is not None else None
    if _hall_of_code(deps, key) != hall_id:
        raise no_such_booking()

    def claim(out: Outbox) -> _Claim:
        access.require(out.session, actor, out.hall, "ticket.issue")
        booking = _load_by_code(out.session, key)
        policy = load_policy(out.session, hall_id)
        if request_key is not None and issuer is not None:
            earlier = idempotency.earlier_ticket(out.session, issuer, request_key, out.now)
            if earlier is not None:
                return _replayed_claim(out, booking, earlier)
            if _under_way(booking, out.now):
                raise Unavailable(
                    "正在为您签到，请稍候", "The check-in is under way; please wait a moment"
                )
        timing = booking.check_in(policy, out.now, _zone(out.hall))
        _save(out.session, booking)
        audit(out.session, at=out.now, actor=actor, action="booking.check_in", hall_id=hall_id,
              subject=f"booking {booking.id}", detail={"timing": timing.value})  # fmt: skip
        due = (
            booking.slot_start
            if timing == CheckInTiming.ON_TIME
            else _late_due(out.session, out.hall, out.now)
        )
        return _Claim(booking, timing, due)

    claimed = run(deps, hall_id, claim)
    booking, timing = claimed.booking, claimed.timing
    if claimed.earlier_ticket is not None:
        # The first try's ticket, read through the same key: issue_ticket gives it back as it
        # stands now and issues nothing. Naming the booking as the appointment skips the
        # walk-in hours check, which the first try passed already.
        assert claimed.due is not None
        ticket = _issue(deps, actor, hall_id, booking, (booking.id or 0, claimed.due), request_key)
    else:
        appointment = (booking.id or 0, claimed.due) if claimed.due is not None else None
        try:
            ticket = _issue(deps, actor, hall_id, booking, appointment, request_key)
        except QueueError:
            _undo_check_in(deps, hall_id, key)
            raise

    def link(out: Outbox) -> dict[str, Any]:
        current = _load_by_code(out.session, key)
        if current.ticket_id != ticket["id"]:
            current.ticket_id = ticket["id"]
            _save(out.session, current)
            _changed(out, current)
        policy = load_policy(out.session, hall_id)
        return booking_view(out.session, current, out.hall, policy, staff=True)

    view = run(deps, hall_id, link)
    if timing == CheckInTiming.ON_TIME:
        message = "签到成功，请留意叫号：将在您预约的时间前后优先呼叫"
        message_en = "Checked in. You will be called first around your appointment time"
    else:
        message = "您已超过预约签到时间，预约优先已失效，已为您取普通号，请按顺序等候"
        message_en = (
            "You are past your check-in time, so the appointment priority has lapsed: this is "
            "an ordinary ticket; please wait your turn"
        )
    return {
        **ticket,
        "booking": view,
        "late": timing == CheckInTiming.LATE,
        "message": message,
        "message_en": message_en,
    }


def _under_way(booking: Booking, now: datetime) -> bool:
    """Whether another request is checking this booking in right now (no ticket yet)."""
    return (
        booking.state == BookingState.CHECKED_IN
        and booking.ticket_id is None
        and booking.checked_in_at is not None
        and now - booking.checked_in_at < CHECK_IN_UNDER_WAY
    )


def _replayed_claim(out: Outbox, booking: Booking, ticket_id: int) -> _Claim:
    """A retried check-in: the booking its first try checked in, with that try's ticket; a key
    used for another booking or another request is refused."""
    ticket = out.session.get(Ticket, ticket_id)
    linked = booking.ticket_id == ticket_id
    # The first try may have issued the ticket and stopped before linking it to the booking:
    # the ticket is this booking's when it was issued for it, after its check-in.
    unlinked = (
        ticket is not None
        and booking.state == BookingState.CHECKED_IN
        and booking.ticket_id is None
        and booking.checked_in_at is not None
        and ticket.hall_id == booking.hall_id
        and ticket.category_id == booking.category_id
        and ticket.appointment_id in (None, booking.id)
        and ticket.issued_at >= booking.checked_in_at
    )
    if ticket is None or not (linked or unlinked):
        raise Conflict(
            "该签到请求编号已用于另一次签到或取号，请重新签到",
            "This Idempotency-Key was used for another request; check in again",
        )
    timing = CheckInTiming.LATE if booking.late else CheckInTiming.ON_TIME
    return _Claim(booking, timing, booking.slot_start or out.now, earlier_ticket=ticket_id)


def _issue(
    deps: Deps,
    actor: Actor,
    hall_id: int,
    booking: Booking,
    appointment: tuple[int, datetime] | None,
    idempotency_key: str | None,
) -> dict[str, Any]:
    return issue_ticket(
        deps,
        actor,
        hall_id,
        booking.category_id,
        service_item_id=booking.service_item_id,
        appointment=appointment,
        idempotency_key=idempotency_key,
    )


def _undo_check_in(deps: Deps, hall_id: int, code: str) -> None:
    def work(out: Outbox) -> None:
        booking = _load_by_code(out.session, code)
        if booking.state == BookingState.CHECKED_IN and booking.ticket_id is None:
            booking.undo_check_in(out.now)
            _save(out.session, booking)

    run(deps, hall_id, work)


# =============================================================================================
# Staff: the counter, lists, home visits


def window_bookings(deps: Deps, actor: Actor, window_id: int) -> dict[str, Any]:
    """Today's bookings for the categories a window serves, earliest first (posted clerk)."""
    with deps.db.reading() as session:
        window = session.get(Window, window_id)
        if window is None:
            raise NotFound("找不到该窗口", "No such window")
        access.require(session, actor, window.hall_id, "window.operate", window=window)
        hall = views.get_hall(session, window.hall_id)
        now = deps.clock.now()
        today = views.today(hall, now)
        query = select(B).where(
            B.c.hall_id == hall.id,
            B.c.day == today,
            B.c.kind == BookingKind.APPOINTMENT,
            B.c.state.in_(PLACE_VALUES),
        )
        if window.category_ids:
            query = query.where(B.c.category_id.in_(window.category_ids))
        policy = load_policy(session, hall.id or 0)
        rows = session.execute(query.order_by(B.c.slot_start, B.c.id)).all()
        entries = [counter_entry(session, _row_to_booking(row), hall, policy, now) for row in rows]
        return {
            "window": views.window_brief(window),
            "date": today.isoformat(),
            "bookings": entries,
            "counts": {
                "booked": sum(1 for e in entries if e["state"] == BookingState.BOOKED),
                "checked_in": sum(1 for e in entries if e["state"] == BookingState.CHECKED_IN),
            },
        }


def counter_entry(
    session: Session, booking: Booking, hall: Hall, policy: BookingPolicy, now: datetime
) -> dict[str, Any]:
    """One line of the counter's booking list: time, service, masked citizen, status."""
    zone = _zone(hall)
    item = session.get(ServiceItem, booking.service_item_id)
    category = session.get(Category, booking.category_id) if booking.category_id else None
    span = check_in_span(booking, policy)
    assert span is not None and booking.slot_start is not None and booking.slot_end is not None
    if booking.state == BookingState.CHECKED_IN:
        status, zh, en = "checked_in", "已签到", "Checked in"
        if booking.late:
            status, zh, en = "checked_in_late", "迟到签到（普通号）", "Checked in late (ordinary)"
    elif now < span[0]:
        status, zh, en = "upcoming", "待签到", "Not yet due"
    elif now <= span[1]:
        status, zh, en = "due", "可签到", "Due now"
    else:
        status, zh, en = "overdue", "已过签到时间", "Past check-in time"
    ticket = session.get(Ticket, booking.ticket_id) if booking.ticket_id else None
    return {
        "id": booking.id,
        "time": f"{booking.slot_start.astimezone(zone):%H:%M}–{booking.slot_end.astimezone(zone):%H:%M}",
        "start": local_iso(booking.slot_start, zone),
        "state": booking.state.value,
        "status": status,
        "status_name": zh,
        "status_name_en": en,
        "item": {"id": item.id, "name": item.name, "name_en": item.name_en} if item else None,
        "category": {"id": category.id, "prefix": category.prefix, "name": category.name}
        if category
        else None,
        "citizen": citizen_view(booking),
        "proxy": booking.proxy,
        "ticket": {"number": ticket.number, "state": ticket.state.value} if ticket else None,
    }


def hall_bookings(
    deps: Deps, actor: Actor, hall_id: int, day: Any = None, kind: Any = None, state: Any = None
) -> dict[str, Any]:
    """A day's bookings of a hall for staff (masked), optionally of one kind or state."""
    with deps.db.reading() as session:
        hall = views.get_hall(session, hall_id)
        access.require(session, actor, hall, "booking.staff")
        query = select(B).where(B.c.hall_id == hall_id)
        if day not in (None, ""):
            query = query.where(B.c.day == parse_day(day))
        if kind not in (None, ""):
            query = query.where(B.c.kind == _parse_kind(kind))
        if state not in (None, ""):
            try:
                query = query.where(B.c.state == BookingState(state))
            except ValueError:
                raise InvalidInput("未知的预约状态", "Unknown booking state") from None
        policy = load_policy(session, hall_id)
        rows = session.execute(query.order_by(B.c.day, B.c.slot_start, B.c.id).limit(500)).all()
        return {
            "bookings": [
                booking_view(session, _row_to_booking(r), hall, policy, staff=True) for r in rows
            ]
        }


def my_bookings(deps: Deps, actor: Actor) -> dict[str, Any]:
    """The bookings a village agent (or any member of staff) made on citizens' behalf."""
    access.require_anywhere(actor, "account.self")
    with deps.db.reading() as session:
        rows = session.execute(
            select(B)
            .where(B.c.agent_id == actor.id)
            .order_by(B.c.day.desc(), B.c.id.desc())
            .limit(200)
        ).all()
        result = []
        for row in rows:
            booking = _row_to_booking(row)
            hall = views.get_hall(session, booking.hall_id)
            policy = load_policy(session, hall.id or 0)
            # The agent relays the code to the citizen, so they see it.
            result.append(
                booking_view(session, booking, hall, policy, include_code=True, staff=True)
            )
        return {"bookings": result}


def assign_home_visit(
    deps: Deps, actor: Actor, booking_id: int, clerk: Any, notifier: Notifier | None = None
) -> dict[str, Any]:
    """A manager gives a home visit (上门服务) to a clerk of the hall."""

    def work(out: Outbox) -> tuple[dict[str, Any], Notice | None]:
        s, hall = out.session, out.hall
        access.require(s, actor, hall, "booking.configure")
        booking = _load_by_id(s, booking_id)
        chosen = lookups.find_clerk(s, hall, clerk, or_town=True)
        booking.assign(chosen.id or 0, out.now)
        _save(s, booking)
        audit(s, at=out.now, actor=actor, action="home_visit.assign", hall_id=hall.id,
              subject=f"booking {booking.id}", detail={"clerk": chosen.id})  # fmt: skip
        policy = load_policy(s, hall.id or 0)
        view = booking_view(s, booking, hall, policy, staff=True)
        item = s.get(ServiceItem, booking.service_item_id)
        zh_hall, en_hall = _hall_name(hall)
        notice = _notice(
            hall,
            booking,
            "home_visit",
            f"【{zh_hall}】您申请的上门服务（{item.name if item else ''}）已安排工作人员"
            f"{chosen.name}办理，请保持电话畅通。",
            f"{en_hall}: your home visit ({(item.name_en or item.name) if item else ''}) is "
            f"assigned to {chosen.name}; please keep your phone on.",
        )
        return view, notice

    view, notice = run(deps, _hall_of_booking(deps, booking_id), work)
    _send(deps, notifier, notice)
    return view


def close_home_visit(
    deps: Deps, actor: Actor, booking_id: int, outcome: Any, note: Any = ""
) -> dict[str, Any]:
    """The home visit is over: its outcome (manager, or the clerk it was assigned to)."""
    result = parse_home_visit_outcome(outcome)
    text = _note(note)

    def work(out: Outbox) -> dict[str, Any]:
        s, hall = out.session, out.hall
        booking = _load_by_id(s, booking_id)
        access.require(s, actor, hall, "home_visit.close", assignee=booking.assigned_clerk_id)
        booking.close(result, text, out.now)
        _save(s, booking)
        audit(s, at=out.now, actor=actor, action="home_visit.close", hall_id=hall.id,
              subject=f"booking {booking.id}", detail={"outcome": result.value})  # fmt: skip
        return booking_view(s, booking, hall, load_policy(s, hall.id or 0), staff=True)

    return run(deps, _hall_of_booking(deps, booking_id), work)


# =============================================================================================
# Rules and policy (manager)


def rules_view(deps: Deps, hall_id: int) -> dict[str, Any]:
    """The hall's booking policy and every rule by scope."""
    with deps.db.reading() as session:
        hall = views.get_hall(session, hall_id)
        rules = load_rules(session, hall_id)
        categories = session.scalars(
            select(Category)
            .where(tables.categories.c.hall_id == hall_id)
            .order_by(tables.categories.c.sort_order)
        ).all()
        items = {
            i.id: i
            for i in session.scalars(
                select(ServiceItem).where(
                    tables.service_items.c.id.in_([k[1] for k in rules if k[1] is not None])
                )
            )
        }
        return {
            "hall": views.hall_view(hall),
            "policy": load_policy(session, hall_id).to_dict(),
            "default": rules.get((None, None), DEFAULT_RULE).to_dict(),
            "default_is_builtin": (None, None) not in rules,
            "categories": [
                {
                    "id": c.id,
                    "prefix": c.prefix,
                    "name": c.name,
                    "rule": rules[(c.id, None)].to_dict() if (c.id, None) in rules else None,
                }
                for c in categories
            ],
            "items": [
                {"id": item_id, "name": items[item_id].name, "rule": rule.to_dict()}
                for (cat, item_id), rule in rules.items()
                if item_id is not None and item_id in items
            ],
        }


def set_rule(deps: Deps, actor: Actor, hall_id: int, data: Any) -> dict[str, Any]:
    """Set (or with rule null, remove) the booking rule of the hall, a category or an item."""
    if not isinstance(data, dict):
        raise InvalidInput("预约规则设置应为对象", "the rule setting must be a JSON object")
    scope = data.get("scope")
    if scope not in ("hall", "category", "item"):
        raise InvalidInput(
            "scope 须为 hall、category 或 item", "scope must be hall, category or item"
        )
    raw = data.get("rule")
    if raw is not None:
        BookingRule.from_dict(raw)  # refuse a malformed rule before taking the lock

    def work(out: Outbox) -> None:
        s, hall = out.session, out.hall
        access.require(s, actor, hall, "booking.configure")
        rules = load_rules(s, hall.id or 0)
        # What a rule does not say, it takes from the rule it refines.
        base = DEFAULT_RULE if scope == "hall" else rules.get((None, None), DEFAULT_RULE)
        category_id: int | None = None
        item_id: int | None = None
        if scope == "category":
            category_id = lookups.find_category(s, hall, data.get("category")).id
        elif scope == "item":
            ref = data.get("item")
            item = (
                s.get(ServiceItem, ref)
                if isinstance(ref, int) and not isinstance(ref, bool)
                else None
            )
            if item is None or item.hall_id != hall.id:
                raise NotFound("本大厅没有该事项", "This hall has no such service item")
            item_id = item.id
            base = rules.get((item.category_id, None), base)
        rule = BookingRule.from_dict({**base.to_dict(), **raw}) if raw is not None else None
        match = and_(
            RULES.c.hall_id == hall.id,
            RULES.c.category_id.is_(None)
            if category_id is None
            else RULES.c.category_id == category_id,
            RULES.c.service_item_id.is_(None)
            if item_id is None
            else RULES.c.service_item_id == item_id,
        )
        s.execute(RULES.delete().where(match))
        if rule is not None:
            s.execute(
                insert(RULES).values(
                    hall_id=hall.id,
                    category_id=category_id,
                    service_item_id=item_id,
                    rule=rule.to_dict(),
                    updated_at=out.now,
                )
            )
        audit(s, at=out.now, actor=actor, action="booking.rule", hall_id=hall.id, subject=scope,
              detail={"category": category_id, "item": item_id,
                      "rule": rule.to_dict() if rule else None})  # fmt: skip

    run(deps, hall_id, work)
    return rules_view(deps, hall_id)


def set_policy(deps: Deps, actor: Actor, hall_id: int, data: Any) -> dict[str, Any]:
    """Change the hall's booking policy (manager); keys not given keep their value."""
    if not isinstance(data, dict):
        raise InvalidInput("预约设置应为对象", "booking settings must be a JSON object")

    def work(out: Outbox) -> dict[str, Any]:
        s, hall = out.session, out.hall
        access.require(s, actor, hall, "booking.configure")
        _id_key(s, hall.id or 0)
        before = load_policy(s, hall.id or 0)
        policy = BookingPolicy.from_dict({**before.to_dict(), **data})
        s.execute(
            update(SETTINGS).where(SETTINGS.c.hall_id == hall.id).values(policy=policy.to_dict())
        )
        audit(s, at=out.now, actor=actor, action="booking.policy", hall_id=hall.id,
              subject=hall.name, detail={"before": before.to_dict(), "after": policy.to_dict()})  # fmt: skip
        return policy.to_dict()

    return {"policy": run(deps, hall_id, work)}


# =============================================================================================
# Calendar file


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
        booking = _load_by_code(session, key)
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
        opens = span[0].astimezone(_zone(hall))
        closes = span[1].astimezone(_zone(hall))
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


# =============================================================================================
# Housekeeping: no-shows, reminders, erasing personal data


def mark_missed(deps: Deps) -> int:
    """Appointments whose day passed without a check-in become no-shows."""
    now = deps.clock.now()
    marked = 0
    with deps.db.reading() as session:
        hall_ids = list(
            session.scalars(
                select(B.c.hall_id)
                .where(B.c.state == BookingState.BOOKED, B.c.kind == BookingKind.APPOINTMENT)
                .where(B.c.day < now.date() + timedelta(days=1))
                .distinct()
            )
        )
    for hall_id in hall_ids:
        with deps.db.transaction() as session:
            hall = views.get_hall(session, hall_id)
            result = session.execute(
                update(B)
                .where(
                    B.c.hall_id == hall_id,
                    B.c.state == BookingState.BOOKED,
                    B.c.kind == BookingKind.APPOINTMENT,
                    B.c.day < views.today(hall, now),
                )
                .values(state=BookingState.NO_SHOW, updated_at=now)
            )
            marked += int(getattr(result, "rowcount", 0) or 0)
    return marked


def send_due_reminders(deps: Deps, notifier: Notifier | None = None) -> int:
    """Remind citizens of appointments starting within the hall's reminder time (once each)."""
    now = deps.clock.now()
    horizon = now + timedelta(hours=max(BookingPolicy.LIMITS["remind_hours_before"]))
    with deps.db.reading() as session:
        candidates = [
            _row_to_booking(row)
            for row in session.execute(
                select(B).where(
                    B.c.state == BookingState.BOOKED,
                    B.c.kind == BookingKind.APPOINTMENT,
                    B.c.reminded_at.is_(None),
                    B.c.slot_start > now,
                    B.c.slot_start <= horizon,
                )
            )
        ]
    sent = 0
    policies: dict[int, BookingPolicy] = {}
    for booking in candidates:
        assert booking.slot_start is not None
        if booking.hall_id not in policies:
            with deps.db.reading() as session:
                policies[booking.hall_id] = load_policy(session, booking.hall_id)
        policy = policies[booking.hall_id]
        ahead = timedelta(hours=policy.remind_hours_before)
        if booking.slot_start - now > ahead or booking.slot_start - booking.created_at <= ahead:
            continue  # not yet; or booked so late that the confirmation is the reminder
        with deps.db.transaction() as session:
            # Only the process that flips reminded_at sends: one reminder, however many run.
            claimed = session.execute(
                update(B)
                .where(
                    B.c.id == booking.id,
                    B.c.reminded_at.is_(None),
                    B.c.state == BookingState.BOOKED,
                )
                .values(reminded_at=now)
            )
            if not getattr(claimed, "rowcount", 0):
                continue
            hall = views.get_hall(session, booking.hall_id)
            notice = reminder_notice(session, hall, booking, policy)
        if notice is not None:
            sent += deliver(deps, notifier or LogNotifier(), [notice], now)
    return sent


# =============================================================================================
# A booked day that became a holiday when the year's official schedule arrived


def _on_closed_day(
    session: Session, after: datetime, halls: set[int] | None = None, year: int | None = None
) -> list[tuple[Booking, Hall, str, str]]:
    """Appointments starting after `after` that now fall on an official public holiday on which
    the hall holds no session at their time: with the hall and the holiday's names."""
    calendar = official_calendar(session)
    query = select(B).where(
        B.c.kind == BookingKind.APPOINTMENT,
        B.c.state.in_(PLACE_VALUES),
        B.c.slot_start > after,
    )
    if year is not None:
        query = query.where(B.c.day >= date(year, 1, 1), B.c.day <= date(year, 12, 31))
    if halls is not None:
        query = query.where(B.c.hall_id.in_(halls))
    found: list[tuple[Booking, Hall, str, str]] = []
    schedules: dict[int, tuple[Hall, Schedule | None]] = {}
    for row in session.execute(query.order_by(B.c.slot_start, B.c.id)):
        booking = _row_to_booking(row)
        assert booking.slot_start is not None
        if not calendar.is_official(booking.day.year):
            continue
        holiday = calendar.public_holiday(booking.day)
        if holiday is None:
            continue  # a working day, or a plain weekend the hall chose to serve or not
        if booking.hall_id not in schedules:
            hall = session.get(Hall, booking.hall_id)
            assert hall is not None
            schedules[booking.hall_id] = (hall, hall_schedule(hall, calendar))
        hall, schedule = schedules[booking.hall_id]
        if schedule is None:
            continue
        local = schedule.local_time(booking.slot_start)
        if any(s.covers(local.time()) for s in schedule.sessions_on(booking.day)):
            continue  # the hall holds a session that day (a holiday session or an override)
        found.append((booking, hall, holiday.name_zh, holiday.name_en))
    return found


def bookings_on_holidays(
    deps: Deps, year: int, halls: set[int] | None = None
) -> list[dict[str, Any]]:
    """The year's appointments still to come that fall on a day the official schedule made a
    holiday, for managers to follow up: masked citizen, when, the holiday, when told to move."""
    now = deps.clock.now()
    with deps.db.reading() as session:
        listed = []
        for booking, hall, name, name_en in _on_closed_day(session, now, halls, year):
            notified = session.scalar(
                select(ct.holiday_notices.c.notified_at).where(
                    ct.holiday_notices.c.booking_id == booking.id,
                    ct.holiday_notices.c.day == booking.day,
                )
            )
            when_zh, when_en = when_text(booking, _zone(hall))
            listed.append(
                {
                    "id": booking.id,
                    "hall": {"id": hall.id, "name": hall.name},
                    "day": booking.day.isoformat(),
                    "when": when_zh,
                    "when_en": when_en,
                    "holiday": name,
                    "holiday_en": name_en,
                    "citizen": citizen_view(booking),
                    "notified_at": local_iso(notified, _zone(hall)) if notified else None,
                }
            )
    return listed


def holiday_move_notice(hall: Hall, booking: Booking, name: str, name_en: str) -> Notice | None:
    """请改约: the booked day is a holiday in the official schedule."""
    zh_hall, en_hall = _hall_name(hall)
    when_zh, when_en = when_text(booking, _zone(hall))
    code = format_code(booking.code)
    return _notice(
        hall,
        booking,
        "holiday",
        f"【{zh_hall}】按国务院公布的放假安排，{when_zh}为{name}假期，大厅不办公。"
        f"请凭预约码 {code} 改约其他时间，给您带来不便，敬请谅解。",
        f"{en_hall}: by the official holiday schedule, {when_en} falls in the {name_en} "
        f"holiday and the hall is closed. Please move your booking (code {code}) to another "
        "time. We are sorry for the trouble.",
    )


def notify_holiday_moves(deps: Deps, notifier: Notifier | None = None) -> int:
    """Tell each citizen whose appointment now falls on an official holiday to move it, once:
    the notice row is claimed before the message goes out. Returns how many were told."""
    now = deps.clock.now()
    with deps.db.reading() as session:
        pending = [
            (booking, hall.id, name, holiday_move_notice(hall, booking, name, name_en))
            for booking, hall, name, name_en in _on_closed_day(session, now)
        ]
    told = 0
    for booking, hall_id, name, notice in pending:
        try:
            with deps.db.transaction() as session:
                session.execute(
                    insert(ct.holiday_notices).values(
                        booking_id=booking.id,
                        day=booking.day,
                        hall_id=hall_id,
                        holiday=name[:40],
                        notified_at=now,
                    )
                )
        except IntegrityError:
            continue  # told already (by this process or another)
        _send(deps, notifier, notice)
        told += 1
    return told
