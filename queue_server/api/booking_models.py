"""What the booking API (预约) answers: a booking, its days and slots, its messages, a service
item's promised deadline. See models.py for how the fields are described."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .models import FIELDS, CategoryBrief, ClerkCard, Day, HallRef, Resource, ServiceItem, Time
from .models import text as text_field

FIELDS.update(
    {
        "kind_name": ("类别名称", "Kind's name"),
        "kind_name_en": ("类别英文名称", "Kind's name in English"),
        "state_name": ("状态名称", "State's name"),
        "state_name_en": ("状态英文名称", "State's name in English"),
        "day": ("日期", "Day"),
        "start": ("开始时间（本地，ISO 8601）", "Start (local, ISO 8601)"),
        "end": ("结束时间（本地，ISO 8601）", "End (local, ISO 8601)"),
        "when": ("时间说明", "When, in words"),
        "when_en": ("时间说明（英文）", "When, in English words"),
        "check_in_from": ("最早签到时间；上门服务为 null", "Check-in opens; null for a home visit"),
        "check_in_until": (
            "最晚签到时间；上门服务为 null",
            "Check-in closes; null for a home visit",
        ),
        "check_in_text": ("签到说明", "How to check in"),
        "check_in_text_en": ("签到说明（英文）", "How to check in, in English"),
        "citizen": ("办事人（已脱敏）", "The citizen (masked)"),
        "proxy": ("是否代办", "Whether filed for the citizen by a proxy"),
        "proxy_reason": ("代办原因", "Why by proxy"),
        "proxy_reason_name": ("代办原因名称", "Proxy reason's name"),
        "late": ("是否迟到", "Whether late"),
        "moves": ("已改约次数", "Times moved"),
        "provisional": (
            "该年尚无官方节假日安排，按法定节日暂定",
            "The year has no official holiday schedule yet: provisional",
        ),
        "agent": ("代办的工作人员", "The clerk who filed it"),
        "assigned_to": ("上门的工作人员", "The clerk who visits"),
        "address": ("上门地址", "Address of the visit"),
        "note": ("备注", "Note"),
        "outcome_note": ("结果说明", "Outcome note"),
        "outcome_name": ("结果名称", "Outcome's name"),
        "outcome_name_en": ("结果英文名称", "Outcome's name in English"),
        "urls": ("相关网址", "Related addresses"),
        "manage": ("管理预约的页面", "Page to manage the booking"),
        "ics": ("日历文件", "Calendar file"),
        "qr": ("二维码", "QR code"),
        "id_number": ("身份证号（脱敏）", "ID number (masked)"),
        "phone": ("手机号（脱敏）", "Phone (masked)"),
        "working_days": ("承诺的工作日数", "Working days promised"),
        "due": ("承诺办结日；该年日历缺失时为 null", "Promised day; null when the year is unknown"),
        "text": ("说明", "In words"),
        "text_en": ("说明（英文）", "In English words"),
        "bookings": ("预约", "Bookings"),
        "messages": ("短信", "Messages"),
        "booking_id": ("预约编号", "Booking's id"),
        "channel": ("发送渠道", "Channel"),
        "booking": ("预约规则", "Booking rule"),
        "days_ahead": ("可提前预约的天数", "Days ahead that can be booked"),
        "places_per_slot": ("每个时段的名额", "Places per slot"),
        "slot_minutes": ("每个时段的分钟数", "Minutes per slot"),
        "days": ("日期", "Days"),
        "last_day": ("可预约的最后一天", "Last day that can be booked"),
        "rule": ("预约规则", "Booking rule"),
        "bookable": ("能否预约", "Whether it can be booked"),
        "capacity": ("名额", "Places"),
        "free": ("剩余名额", "Places left"),
        "known": ("该年日历是否已知", "Whether the year's calendar is known"),
        "label": ("显示文字", "Label"),
        "label_en": ("显示文字（英文）", "Label in English"),
        "reason_text": ("不能预约的原因", "Why it cannot be booked"),
        "reason_text_en": ("不能预约的原因（英文）", "Why it cannot be booked, in English"),
        "date": ("日期", "Date"),
        "slots": ("时段", "Slots"),
        "session_kind": ("时段类别", "Session kind"),
        "session_name": ("时段名称", "Session name"),
        "session_name_en": ("时段英文名称", "Session name in English"),
        "taken": ("已约人数", "Places taken"),
        "erased": ("清除的个人信息条数", "Personal records erased"),
        "holiday_moves": ("因节假日改约的预约数", "Bookings moved off holidays"),
        "missed": ("标记爽约的预约数", "Bookings marked missed"),
        "reminded": ("发送提醒的预约数", "Reminders sent"),
    }
)


class Citizen(Resource):
    """The citizen of a booking, masked."""

    name: str = text_field("姓名（脱敏）", "Name (masked)")
    phone: str
    id_number: str


class Deadline(Resource):
    """A service item's promised deadline (承诺时限) counted in working days."""

    item: int | None = text_field("办事事项编号", "Service item's id", default=None)
    from_: Day | None = Field(
        None, alias="from", description="起算日 / First day counted", serialization_alias="from"
    )
    working_days: int | None = None
    due: Day | None
    provisional: bool | None = None
    text: str
    text_en: str


class StaffBrief(Resource):
    name: str
    staff_no: str


class TicketBrief(Resource):
    number: str
    state: str = text_field("号的状态", "Ticket's state")


class BookingUrls(Resource):
    manage: str
    ics: str
    qr: str


class Booking(Resource):
    """A booking (预约) as its holder or staff see it; personal data masked."""

    id: int
    kind: str = text_field("预约类别：到厅或上门", "Kind: at the hall or a home visit")
    kind_name: str
    kind_name_en: str
    state: str = text_field("预约状态", "Booking's state")
    state_name: str
    state_name_en: str
    hall: HallRef
    item: ServiceItem | None = text_field("办事事项", "Service item")
    day: Day
    start: Time | None
    end: Time | None
    when: str
    when_en: str
    check_in_from: Time | None
    check_in_until: Time | None
    check_in_text: str
    check_in_text_en: str
    citizen: Citizen
    proxy: bool
    proxy_reason: str | None
    proxy_reason_name: str | None
    late: bool
    moves: int
    created_at: Time
    ticket: TicketBrief | None = text_field("签到后取得的号", "The ticket taken at check-in")
    deadline: Deadline | None = text_field("承诺办结日", "Promised deadline")
    provisional: bool
    agent: StaffBrief | None = None
    outcome: str | None = text_field("上门服务结果", "Home visit's outcome", default=None)
    outcome_name: str | None = None
    outcome_name_en: str | None = None
    assigned_to: ClerkCard | None = None
    address: str | None = None
    note: str | None = None
    outcome_note: str | None = None
    code: str | None = text_field(
        "预约码（只给预约人）", "Booking code (its holder only)", default=None
    )
    urls: BookingUrls | None = None


class BookingList(Resource):
    bookings: list[Booking]


class Message(Resource):
    """A message (短信) sent about a booking."""

    id: int
    booking_id: int
    kind: str = text_field("短信类别", "Message kind")
    channel: str
    phone: str
    status: str = text_field("发送状态", "Sending status")
    text: str
    text_en: str
    created_at: Time


class MessageList(Resource):
    messages: list[Message]


class SlotRule(Resource):
    days_ahead: int
    places_per_slot: int
    slot_minutes: int


class BookableItem(ServiceItem):
    booking: SlotRule


class BookableItems(Resource):
    items: list[BookableItem] = text_field("可预约的事项", "Items that can be booked")
    query: str
    total: int


class BookingDay(Resource):
    date: Day
    today: bool = text_field("是否今天", "Whether it is today")
    open: bool = text_field("是否办公", "Whether the hall is open")
    bookable: bool
    capacity: int
    free: int
    known: bool
    provisional: bool
    label: str
    label_en: str
    reason: str | None = text_field("不能预约的原因代码", "Why not bookable, as a code")
    reason_text: str
    reason_text_en: str


class ItemDays(Resource):
    """The days an item can be booked."""

    item: ServiceItem
    rule: SlotRule
    today: Day = text_field("今天", "Today")
    last_day: Day
    days: list[BookingDay]


class ItemName(Resource):
    id: int
    name: str
    name_en: str


class Slot(Resource):
    start: Time
    end: Time
    label: str
    capacity: int
    taken: int
    free: int
    appointment_only: bool
    session_kind: str
    session_name: str
    session_name_en: str


class DaySlots(Resource):
    """The slots of one day."""

    date: Day
    item: ItemName
    provisional: bool
    slots: list[Slot]
    text: str
    text_en: str


class Housekeeping(Resource):
    erased: int
    holiday_moves: int
    missed: int
    reminded: int


__all__ = ["Any", "CategoryBrief"]
