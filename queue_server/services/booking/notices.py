"""The messages to the citizen about a booking: confirmation, cancellation, reminder, a booked
day that became a holiday. They go out after the commit, through a `notify.Notifier`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ...domain.booking import Booking, BookingPolicy, format_code
from ...domain.model import Hall, ServiceItem
from ..context import Deps
from ..notify import LogNotifier, Notice, Notifier, deliver
from .records import hall_zone
from .view import check_in_span, when_text


def hall_names(hall: Hall) -> tuple[str, str]:
    return hall.name, hall.name_en or hall.name


def notice_to(hall: Hall, booking: Booking, kind: str, text: str, text_en: str) -> Notice | None:
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
    zh_hall, en_hall = hall_names(hall)
    when_zh, when_en = when_text(booking, hall_zone(hall))
    code = format_code(booking.code)
    if booking.is_home_visit:
        return notice_to(
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
    zone = hall_zone(hall)
    opens, closes = span[0].astimezone(zone), span[1].astimezone(zone)
    materials = "、".join(item.materials) if item and item.materials else ""
    bring = f"请带齐材料：{materials}。" if materials else ""
    head = "改约成功" if kind == "moved" else "预约成功"
    head_en = "Appointment moved" if kind == "moved" else "Appointment booked"
    return notice_to(
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
    zh_hall, en_hall = hall_names(hall)
    when_zh, when_en = when_text(booking, hall_zone(hall))
    return notice_to(
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
    zh_hall, en_hall = hall_names(hall)
    when_zh, when_en = when_text(booking, hall_zone(hall))
    span = check_in_span(booking, policy)
    assert span is not None
    opens = span[0].astimezone(hall_zone(hall))
    code = format_code(booking.code)
    return notice_to(
        hall,
        booking,
        "reminder",
        f"【{zh_hall}】预约提醒：{item.name if item else ''}，{when_zh}。"
        f"请于 {opens:%H:%M} 以后到大厅签到，预约码 {code}。",
        f"{en_hall}: reminder: {(item.name_en or item.name) if item else ''}, {when_en}. "
        f"Check in from {opens:%H:%M}, booking code {code}.",
    )


def send(deps: Deps, notifier: Notifier | None, notice: Notice | None) -> None:
    if notice is not None:
        deliver(deps, notifier or LogNotifier(), [notice], deps.clock.now())


def holiday_move_notice(hall: Hall, booking: Booking, name: str, name_en: str) -> Notice | None:
    """请改约: the booked day is a holiday in the official schedule."""
    zh_hall, en_hall = hall_names(hall)
    when_zh, when_en = when_text(booking, hall_zone(hall))
    code = format_code(booking.code)
    return notice_to(
        hall,
        booking,
        "holiday",
        f"【{zh_hall}】按国务院公布的放假安排，{when_zh}为{name}假期，大厅不办公。"
        f"请凭预约码 {code} 改约其他时间，给您带来不便，敬请谅解。",
        f"{en_hall}: by the official holiday schedule, {when_en} falls in the {name_en} "
        f"holiday and the hall is closed. Please move your booking (code {code}) to another "
        "time. We are sorry for the trouble.",
    )
