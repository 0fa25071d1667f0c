"""What the booking API (预约) answers: a booking, its days and slots, its messages, a service
item's promised deadline. See models.py for how the fields are described."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .models import (
    FIELDS,
    ClerkCard,
    Day,
    HallRef,
    IssuedTicket,
    OpenNow,
    Resource,
    ServiceItem,
    Time,
    WindowRef,
    omissible,
)
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


# -- check-in and the counter's bookings -----------------------------------------------------

FIELDS.update(
    {
        "message": ("中文说明", "Message in Chinese"),
        "message_en": ("英文说明", "Message in English"),
        "time": ("时段，如 09:30–10:00", "Slot, e.g. 09:30–10:00"),
        "status_name": ("状态名称", "Status's name"),
        "status_name_en": ("状态英文名称", "Status's name in English"),
        "counts": ("人数", "Counts"),
        "booked": ("待签到", "Booked, not checked in"),
        "checked_in": ("已签到", "Checked in"),
    }
)


class CheckedIn(IssuedTicket):
    """A booking checked in at the kiosk: its ticket, the booking, and what to tell the citizen."""

    booking: Booking = text_field("签到的预约", "The booking checked in")
    late: bool = text_field(
        "是否超过签到时间（取普通号）", "Whether past check-in (ordinary ticket)"
    )
    message: str
    message_en: str


class CategoryTag(Resource):
    id: int
    prefix: str
    name: str


class CounterBooking(Resource):
    """A booking as the counter's list of the day shows it."""

    id: int
    time: str
    start: Time | None
    state: str = text_field("预约状态", "Booking's state")
    status: str = text_field("签到情况", "Check-in status")
    status_name: str
    status_name_en: str
    item: ItemName | None = text_field("办事事项", "Service item")
    category: CategoryTag | None = text_field("业务类别", "Category")
    citizen: Citizen
    proxy: bool
    ticket: TicketBrief | None = text_field("签到后取得的号", "The ticket taken at check-in")


class BookingCounts(Resource):
    booked: int
    checked_in: int


class WindowBookings(Resource):
    """Today's bookings a window serves."""

    window: WindowRef = text_field("窗口", "Window")
    date: Day
    bookings: list[CounterBooking]
    counts: BookingCounts


# -- opening hours (办公时间) -------------------------------------------------------------------

FIELDS.update(
    {
        "weekday": ("星期几，1 为周一", "Weekday, 1 for Monday"),
        "weekday_name": ("星期名称", "Weekday's name"),
        "weekday_name_en": ("星期英文名称", "Weekday's name in English"),
        "override": ("该日的特别安排；无则为 null", "The day's exception; null if none"),
        "workday": ("是否工作日；该年日历缺失时为 null", "Working day; null when unknown"),
        "holiday": ("节日名称", "Holiday's name"),
        "holiday_en": ("节日英文名称", "Holiday's name in English"),
        "swapped_workday": ("是否调休上班日", "Whether a swapped working day"),
        "sessions": ("办公时段；未设置时为 null", "Sessions; null when not configured"),
        "closed": ("是否闭厅", "Whether closed"),
        "weekdays": ("适用的星期（1–7）", "Weekdays it applies to (1–7)"),
        "configured": ("是否已设置办公时间", "Whether hours are configured"),
        "hours": ("办公时间设置（可原样提交修改）", "The hours as set (PUT takes the same)"),
        "year_round": ("是否全年无休", "Whether served all year round"),
        "open_now": ("现在是否办公", "Open now or not"),
        "calendar": ("节假日日历", "Holiday calendar"),
        "problems": ("缺少节假日安排的年份", "Years without a holiday schedule"),
        "years": ("各年日历是否已知", "Whether each year's calendar is known"),
        "year": ("年份", "Year"),
        "bookings_on_that_day": ("该日已有的预约数", "Bookings already on that day"),
        "regular": ("常规办公时段", "Regular sessions"),
        "extra_days": ("周末等加开日", "Extra days such as Saturdays"),
        "extended": ("延时服务", "Extended hours"),
        "overrides": ("特定日期的安排", "Dated exceptions"),
        "swapped_workday_follows": (
            "调休上班日按星期几办公",
            "Weekday a swapped working day follows",
        ),
    }
)


class SessionTimes(Resource):
    start: str = text_field("开始，如 09:00", "Start, e.g. 09:00")
    end: str = text_field("结束，如 17:00", "End, e.g. 17:00")
    appointment_only: bool


class WeeklySession(SessionTimes):
    weekdays: list[int]


class DatedOverride(Resource):
    date: Day
    closed: bool | None = None
    sessions: list[SessionTimes] | None = None
    reason: str | None = text_field("原因", "Reason", default=None)


class HoursSettings(Resource):
    """A hall's opening hours as set."""

    timezone: str
    swapped_workday_follows: int
    regular: list[WeeklySession]
    extra_days: list[WeeklySession]
    extended: list[WeeklySession]
    holiday: list[SessionTimes] = text_field("节假日值班时段", "Sessions on holidays")
    year_round: list[SessionTimes] = text_field("全年无休时段", "Sessions all year round")
    overrides: list[DatedOverride]


class DayOverride(Resource):
    closed: bool
    reason: str = text_field("原因", "Reason")


class DaySession(SessionTimes):
    kind: str = text_field("时段类别", "Session kind")
    kind_name: str
    kind_name_en: str
    label: str


class HoursDay(Resource):
    """What a date holds: working day or not, holiday, 调休, sessions, in words."""

    date: Day
    weekday: int
    weekday_name: str
    weekday_name_en: str
    label: str
    label_en: str
    override: DayOverride | None
    known: bool
    workday: bool | None
    holiday: str | None
    holiday_en: str | None
    swapped_workday: bool | None
    provisional: bool | None = None
    message: str | None = None
    message_en: str | None = None
    sessions: list[DaySession] | None
    text: str
    text_en: str


class CalendarCoverage(Resource):
    source: str = text_field("日历来源", "Calendar source")
    years: dict[str, bool]
    provisional: list[int] = text_field("暂按法定节日计算的年份", "Years counted provisionally")


class YearProblem(Resource):
    year: int
    message: str
    message_en: str


class HallHours(Resource):
    """A hall's configured hours, the calendar years known, and the coming days in words."""

    hall: HallRef
    configured: bool
    hours: HoursSettings | None
    year_round: bool
    open_now: OpenNow
    calendar: CalendarCoverage
    problems: list[YearProblem]
    days: list[HoursDay]


class OverrideSet(Resource):
    day: HoursDay = text_field("该日", "The day")
    bookings_on_that_day: int


class OverrideRemoved(Resource):
    day: HoursDay = text_field("该日", "The day")


# -- booking rules and policy ----------------------------------------------------------------

FIELDS.update(
    {
        "appointment_only_kinds": (
            "只接待预约的时段类别",
            "Session kinds for booked citizens only",
        ),
        "bookable_kinds": ("可预约的时段类别", "Session kinds that can be booked"),
        "only_appointment_sessions": (
            "只能预约只接待预约的时段",
            "Whether only appointment-only sessions can be booked",
        ),
        "block_days": ("爽约后限制预约的天数", "Days a citizen is blocked after no-shows"),
        "check_in_after_minutes": (
            "预约时间后多少分钟内可签到",
            "Minutes after the slot to check in",
        ),
        "check_in_before_minutes": (
            "预约时间前多少分钟起可签到",
            "Minutes before the slot to check in",
        ),
        "keep_personal_days": ("个人信息保留天数", "Days personal data is kept"),
        "max_no_shows": ("限制前允许的爽约次数", "No-shows allowed before a block"),
        "no_show_window_days": ("统计爽约的天数", "Days over which no-shows count"),
        "remind_hours_before": ("提前多少小时提醒", "Hours before the slot a reminder goes"),
        "policy": ("预约规则总则", "Booking policy"),
        "default": ("大厅默认的预约规则", "The hall's default rule"),
        "default_is_builtin": ("默认规则是否为系统内置", "Whether the default is the built-in one"),
    }
)


class BookingRule(Resource):
    days_ahead: int
    places_per_slot: int
    slot_minutes: int
    appointment_only_kinds: list[str]
    bookable_kinds: list[str] | None = None
    only_appointment_sessions: bool | None = None


class BookingPolicy(Resource):
    block_days: int
    check_in_after_minutes: int
    check_in_before_minutes: int
    keep_personal_days: int
    max_no_shows: int
    no_show_window_days: int
    remind_hours_before: int


class CategoryRule(Resource):
    id: int
    prefix: str
    name: str
    rule: BookingRule | None = text_field(
        "该类别的规则；无则用默认", "Its rule; null for the default"
    )


class ItemRule(Resource):
    id: int
    name: str
    rule: BookingRule = text_field("该事项的规则", "The item's rule")


class BookingRules(Resource):
    """The hall's booking policy and every rule by scope."""

    hall: HallRef
    policy: BookingPolicy
    default: BookingRule
    default_is_builtin: bool
    categories: list[CategoryRule] = text_field("各类别的规则", "Rules by category")
    items: list[ItemRule] = text_field("各事项的规则", "Rules by item")


class PolicyReply(Resource):
    policy: BookingPolicy


# -- requests ----------------------------------------------------------------------------------


class BookingRequest(Resource):
    """Book a slot (kind appointment, start) or ask for a home visit (kind home_visit, day)."""

    item: int = text_field("办事事项编号", "Service item's id")
    kind: Literal["appointment", "home_visit"] = omissible(
        "预约到厅（appointment，默认）或上门服务（home_visit）",
        "A visit to the hall (appointment, the default) or a home visit (home_visit)",
    )
    start: Annotated[str, Field(max_length=40)] = omissible(
        "所约时段的开始（本地，ISO 8601）", "The slot's start (local, ISO 8601)"
    )
    day: Annotated[str, Field(max_length=10)] = omissible(
        "上门服务的日期，如 2026-11-27", "The home visit's day, e.g. 2026-11-27"
    )
    name: Annotated[str, Field(max_length=60)] = text_field("姓名", "Name")
    phone: Annotated[str, Field(max_length=20)] = text_field("手机号", "Phone")
    id_number: Annotated[str, Field(max_length=20)] = text_field("身份证号", "ID number")
    address: Annotated[str, Field(max_length=200)] = omissible("上门地址", "Address of the visit")
    note: Annotated[str, Field(max_length=200)] = omissible("备注", "Note")
    proxy_reason: Literal["elderly", "disabled", "other"] = omissible("代办原因", "Why by proxy")


class BookingMove(Resource):
    """Move a booking to another slot of the same service."""

    start: Annotated[str, Field(max_length=40)] = text_field(
        "新时段的开始（本地，ISO 8601）", "The new slot's start (local, ISO 8601)"
    )


class CheckInRequest(Resource):
    """预约签到 by the booking's code."""

    code: Annotated[str, Field(max_length=40)] = text_field("预约码", "Booking code")


class HomeVisitAssignment(Resource):
    """Who makes the home visit: a clerk by id or staff number."""

    clerk: int | Annotated[str, Field(max_length=32)] = text_field(
        "工作人员：编号或工号", "Clerk: their id or staff number"
    )


class HomeVisitOutcome(Resource):
    """A home visit's outcome."""

    outcome: Literal["completed", "referred", "unreachable", "withdrawn"] = text_field(
        "上门服务结果", "The home visit's outcome"
    )
    note: Annotated[str, Field(max_length=200)] = omissible("备注", "Note")


class SlotRuleEntry(Resource):
    """A slot rule as a manager sets it; fields left out keep the default."""

    slot_minutes: int = omissible()
    places_per_slot: int = omissible()
    days_ahead: int = omissible()
    bookable_kinds: list[Annotated[str, Field(max_length=24)]] = omissible(
        "可预约的方式", "Kinds that may be booked"
    )
    only_appointment_sessions: bool = omissible(
        "只在预约时段开放预约", "Bookable only in appointment sessions"
    )
    appointment_only_kinds: list[Annotated[str, Field(max_length=24)]] = omissible(
        "只能预约办理的方式", "Kinds served by booking only"
    )


class BookingRuleChange(Resource):
    """Set (or, with rule null, remove) the slot rule of the hall, a category or an item."""

    scope: Literal["hall", "category", "item"] = text_field("规则的范围", "The rule's scope")
    category: int | Annotated[str, Field(max_length=12)] = omissible(
        "业务类别：编号或前缀字母（scope category）",
        "Category: its id or prefix letter (scope category)",
    )
    item: int = omissible("办事事项编号（scope item）", "Service item's id (scope item)")
    rule: SlotRuleEntry | None = text_field(
        "预约规则；null 为删除", "Booking rule; null removes it"
    )


class PolicyChange(Resource):
    """Change the booking policy: the fields given, each a whole number within its limits."""

    max_no_shows: int = omissible()
    no_show_window_days: int = omissible()
    block_days: int = omissible()
    check_in_before_minutes: int = omissible()
    check_in_after_minutes: int = omissible()
    remind_hours_before: int = omissible()
    keep_personal_days: int = omissible()


class HoursChange(Resource):
    """Replace the hall's hours (regular, extra_days, extended, holiday, year_round)."""

    timezone: Annotated[str, Field(max_length=64)] = omissible()


class SessionEntry(Resource):
    """A session of a day's special hours."""

    start: Annotated[str, Field(max_length=5)] = omissible("开始，如 09:00", "Start, e.g. 09:00")
    end: Annotated[str, Field(max_length=5)] = omissible("结束，如 17:00", "End, e.g. 17:00")
    appointment_only: bool = omissible()


class OverrideChange(Resource):
    """Close one date, or give it special sessions, with a reason."""

    closed: bool = omissible()
    sessions: Annotated[list[SessionEntry], Field(max_length=10)] = omissible(
        "当天的办公时段", "That day's sessions"
    )
    reason: Annotated[str, Field(max_length=200)] = omissible("原因", "Reason")
