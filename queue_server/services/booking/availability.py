"""What a citizen can book: the hall's bookable items, each day up to the booking horizon, and
a day's slots with their free places."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from ...domain.booking import session_name
from ...domain.calendar import CalendarYearMissing
from ...domain.hours import MONTH_NAMES_EN, WEEKDAY_NAMES_EN, WEEKDAY_NAMES_ZH, Slot, generate_slots
from ...domain.model import ServiceItem
from ...store import tables
from .. import views
from ..context import Deps
from ..guide import item_view, search_items
from ..lookups import load_rules
from ..schedule import parse_day
from .records import bookable_schedule, hall_zone, item_context, places_taken
from .rules import rule_for, rule_summary


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


def bookable_days(deps: Deps, hall_id: int, item_id: int) -> dict[str, Any]:
    """Each day from today to the booking horizon: open or not, and how many places are free."""
    with deps.db.reading() as session:
        hall = views.get_hall(session, hall_id)
        item, category, rule, pool = item_context(session, hall, item_id)
        schedule = bookable_schedule(session, hall)
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
        taken = places_taken(session, hall_id, pool, starts)
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
        item, category, rule, pool = item_context(session, hall, item_id)
        schedule = bookable_schedule(session, hall)
        now = deps.clock.now()
        slots = generate_slots(schedule, rule.slot, when, now)  # CalendarYearMissing → 409
        sessions = schedule.sessions_on(when)
        taken = places_taken(session, hall_id, pool, [s.start for s in slots])
        zone = hall_zone(hall)
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
