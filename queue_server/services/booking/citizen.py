"""The citizen's use cases (预约): book a slot or request a home visit, look a booking up, move
(改约) and cancel (取消预约) it by its code.

Every change runs as one transaction under the hall's lock (`unit_of_work.run`), so a slot's places
are counted and taken by one booking at a time: never oversold, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session

from ...domain.booking import (
    Booking,
    BookingKind,
    BookingRule,
    BookingState,
    new_booking_code,
    normalize_code,
    parse_proxy_reason,
    require_free_place,
    require_no_other_booking,
    require_not_blocked,
    validate_address,
    validate_citizen_name,
)
from ...domain.errors import Conflict, InvalidInput
from ...domain.hours import Schedule, Slot, check_bookable
from ...domain.identity import mask_id_number, validate_id_number, validate_phone
from .. import access, views
from ..context import Actor, Deps, audit
from ..notify import Notice, Notifier
from ..queue_messages import Outbox
from ..schedule import parse_day
from ..unit_of_work import run
from .notices import cancellation_notice, confirmation_notice, send
from .records import (
    ACTIVE_VALUES,
    BOOKING_FIELDS,
    B,
    bookable_schedule,
    bookings_changed,
    hall_of_code,
    hall_zone,
    item_context,
    load_by_code,
    places_taken,
    save,
)
from .rules import _id_key, id_digest, load_policy
from .view import booking_view

NOTE_MAX = 200


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


def parse_kind(raw: Any) -> BookingKind:
    try:
        return BookingKind(raw or BookingKind.APPOINTMENT)
    except ValueError:
        raise InvalidInput(
            "预约类型须为 appointment（到厅办理）或 home_visit（上门服务）",
            "kind must be appointment or home_visit",
        ) from None


def parse_note(raw: Any) -> str:
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
    kind = parse_kind(data.get("kind"))
    start = _parse_start(data.get("start")) if kind == BookingKind.APPOINTMENT else None
    visit_day = parse_day(data.get("day")) if kind == BookingKind.HOME_VISIT else None
    address = validate_address(data.get("address")) if kind == BookingKind.HOME_VISIT else ""
    note = parse_note(data.get("note"))
    citizen = _citizen(data, deps.clock.now().date())
    proxy = actor.is_staff
    reason = parse_proxy_reason(data.get("proxy_reason")) if proxy else None
    if data.get("proxy_reason") not in (None, ""):
        access.require(None, actor, hall_id, "booking.proxy")

    def work(out: Outbox) -> tuple[dict[str, Any], Notice | None]:
        s, hall, now = out.session, out.hall, out.now
        today = views.today(hall, now)
        policy = load_policy(s, hall.id or 0)
        item, category, rule, pool = item_context(s, hall, data.get("item"))
        schedule = bookable_schedule(s, hall)
        digest = id_digest(_id_key(s, hall.id or 0), citizen.id_number)
        missed = _missed_days(s, hall.id or 0, digest, today, policy.no_show_window_days)
        require_not_blocked(policy, missed, today)
        slot: Slot | None = None
        if start is not None:
            slot = check_bookable(schedule, rule.slot, start, now)
            day = slot.start.astimezone(hall_zone(hall)).date()
        else:
            assert visit_day is not None
            day = visit_day
            _require_visit_day(schedule, rule, day, today)
        require_no_other_booking(_others_that_day(s, hall.id or 0, digest, item.id or 0, day, None))
        if slot is not None:
            taken = places_taken(s, hall.id or 0, pool, [slot.start]).get(slot.start, 0)
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
        bookings_changed(out, booking)
        view = booking_view(s, booking, hall, policy, include_code=True, staff=proxy)
        return view, confirmation_notice(s, hall, booking, policy, "confirmation")

    view, notice = run(deps, hall_id, work)
    send(deps, notifier, notice)
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


def find_booking(deps: Deps, code: Any) -> dict[str, Any]:
    """A booking by its code, as its holder sees it (masked)."""
    key = normalize_code(code)
    with deps.db.reading() as session:
        booking = load_by_code(session, key)
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
        booking = load_by_code(s, key)
        booking.cancel(out.now)
        save(s, booking)
        audit(s, at=out.now, actor=actor, action="booking.cancel", hall_id=hall.id,
              subject=f"booking {booking.id}")  # fmt: skip
        bookings_changed(out, booking)
        policy = load_policy(s, hall.id or 0)
        view = booking_view(s, booking, hall, policy, include_code=True)
        return view, cancellation_notice(s, hall, booking)

    view, notice = run(deps, hall_of_code(deps, key), work)
    send(deps, notifier, notice)
    return view


def move_booking(
    deps: Deps, actor: Actor, code: Any, start: Any, notifier: Notifier | None = None
) -> dict[str, Any]:
    """改约 by code: the same code, another slot of the same service, on the same terms."""
    key = normalize_code(code)
    new_start = _parse_start(start)

    def work(out: Outbox) -> tuple[dict[str, Any], Notice | None]:
        s, hall, now = out.session, out.hall, out.now
        booking = load_by_code(s, key)
        item, _category, rule, pool = item_context(s, hall, booking.service_item_id)
        slot = check_bookable(bookable_schedule(s, hall), rule.slot, new_start, now)
        day = slot.start.astimezone(hall_zone(hall)).date()
        old_day = booking.day
        booking.move(slot.start, slot.end, day, pool, now)
        require_no_other_booking(
            _others_that_day(s, hall.id or 0, booking.id_digest, item.id or 0, day, booking.id)
        )
        taken = places_taken(s, hall.id or 0, pool, [slot.start]).get(slot.start, 0)
        require_free_place(slot.capacity, taken)
        save(s, booking)
        audit(s, at=now, actor=actor, action="booking.move", hall_id=hall.id,
              subject=f"booking {booking.id}", detail={"start": views.iso(slot.start)})  # fmt: skip
        bookings_changed(out, booking)
        if old_day != day:
            bookings_changed(out, replace(booking, day=old_day))
        policy = load_policy(s, hall.id or 0)
        view = booking_view(s, booking, hall, policy, include_code=True)
        return view, confirmation_notice(s, hall, booking, policy, "moved")

    view, notice = run(deps, hall_of_code(deps, key), work)
    send(deps, notifier, notice)
    return view
