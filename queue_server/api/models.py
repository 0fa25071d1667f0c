"""What the queue API answers, one model per resource (a hall, a category, a ticket, a window…),
reused wherever the resource appears. Only the OpenAPI document reads these models: the routes
still build their JSON in the services, and tests/contract.py checks every reply of the test
runs against the document, so a field added to a view and not here fails a test.

A field's description is written once, by its name, in `FIELDS` (Chinese / English); a model
may give a field its own description where the name means something else there."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from .openapi import bilingual

# name → (中文, English): the meaning of a field wherever it appears.
FIELDS: dict[str, tuple[str, str]] = {
    "id": ("编号（数据库内）", "Identifier"),
    "name": ("名称", "Name (Chinese)"),
    "name_en": ("英文名称", "Name in English"),
    "kind": ("类别", "Kind"),
    "parent_id": ("上级大厅编号；市级无上级时为 null", "Parent hall's id; null at the top"),
    "timezone": ("时区，如 Asia/Shanghai", "Time zone, e.g. Asia/Shanghai"),
    "notice": ("大厅公告", "The hall's notice"),
    "prefix": ("号码前缀字母，如 A", "Number prefix letter, e.g. A"),
    "daily_cap": ("每日取号上限，0 为不限", "Tickets a day at most, 0 for no limit"),
    "target_wait_minutes": ("目标等候时间（分钟）", "Target wait in minutes"),
    "waiting": ("正在等候的人数", "Tickets waiting now"),
    "estimated_wait_minutes": ("预计等候时间（分钟）", "Estimated wait in minutes"),
    "open_windows": ("正在办理此类业务的窗口数", "Open windows serving this category"),
    "items": ("该类别下的办事事项数", "Service items in this category"),
    "number": ("号码，如 A003", "Number, e.g. A003"),
    "state": ("状态", "State"),
    "priority": ("优先类别", "Priority"),
    "priority_name": ("优先类别名称", "Priority's name"),
    "category": ("业务类别", "Category"),
    "service_day": ("办理日（本地日期）", "Service day (local date)"),
    "issued_at": ("取号时间（ISO 8601）", "Issued at (ISO 8601)"),
    "called_at": ("首次叫号时间", "First called at"),
    "last_called_at": ("最近一次叫号时间", "Last called at"),
    "started_at": ("开始办理时间", "Service started at"),
    "finished_at": ("结束时间", "Finished at"),
    "times_called": ("已叫号次数", "Times called"),
    "outcome": ("办理结果", "Outcome"),
    "appointment": ("是否预约取号", "Whether it came from a booking"),
    "transferred": ("是否已转移到指定窗口或人员", "Whether transferred to a window or clerk"),
    "window": ("窗口", "Window"),
    "position": ("前面还有几人；不在等候时为 null", "Tickets ahead; null unless waiting"),
    "no_show_allowed_at": ("可标记过号的最早时间", "Earliest time it may be marked a no-show"),
    "token": (
        "凭证（查询号码进度或调用接口用）",
        "Token (to follow the ticket, or to call the API)",
    ),
    "hall": ("服务大厅", "Service hall"),
    "phone_url": ("手机查看进度的网址", "Page to follow the ticket on a phone"),
    "hall_id": ("所属大厅编号", "Hall's id"),
    "type": ("窗口类型", "Window type"),
    "type_name": ("窗口类型名称", "Window type's name"),
    "type_name_en": ("窗口类型英文名称", "Window type's name in English"),
    "status": ("窗口状态", "Window status"),
    "pause_reason": ("暂停原因", "Why paused"),
    "category_ids": ("办理的业务类别编号", "Ids of the categories served"),
    "category_names": ("办理的业务类别名称", "Names of the categories served"),
    "clerk": ("当班工作人员；无人时为 null", "Clerk on duty; null when none"),
    "current": ("正在叫号或办理的号；无则为 null", "Ticket called or served now; null if none"),
    "staff_no": ("工号", "Staff number"),
    "department": ("所属部门", "Department"),
    "photo_url": ("照片网址", "Photo URL"),
    "category_id": ("业务类别编号", "Category's id"),
    "window_id": ("窗口编号", "Window's id"),
    "window_number": ("窗口号", "Window number"),
    "window_name": ("窗口名称", "Window name"),
    "call_id": (
        "本次叫号的标识（重呼也是新的一次）",
        "This call's identity (a recall is a new one)",
    ),
    "category_name": ("业务类别名称", "Category's name"),
    "category_name_en": ("业务类别英文名称", "Category's name in English"),
    "categories": ("业务类别", "Categories"),
    "windows": ("窗口", "Windows"),
    "recent_calls": ("最近的叫号，新的在前", "Latest calls, newest first"),
    "server_time": ("服务器时间", "Server time"),
    "halls": ("服务大厅", "Service halls"),
    "alarms": ("未处理的设备告警", "Open device alarms"),
    "ticket": ("号", "Ticket"),
    "waiting_count": ("可由本窗口叫的等候人数", "Tickets this window may call"),
    "held": ("暂离的号", "Held tickets"),
    "today": ("今日各状态的号数", "Today's tickets by state"),
    "rules": ("大厅的排队规则", "The hall's queue rules"),
    "role": ("角色", "Role"),
    "expires_in": ("令牌有效期（秒）", "Token lifetime in seconds"),
    "csrf_token": (
        "表单防伪令牌（会话登录时随请求发送）",
        "CSRF token to send with cookie sessions",
    ),
    "ok": ("是否成功", "Whether it worked"),
    "min_calls_before_no_show": ("标记过号前至少叫号次数", "Calls before a no-show"),
    "min_seconds_before_no_show": ("标记过号前至少等待秒数", "Seconds before a no-show"),
    "return_places_from_front": ("过号返回后排在第几位", "Places from the front on return"),
    "max_priority_in_row": ("连续优先叫号的上限", "Priority calls in a row at most"),
    "allow_call_out_of_order": ("是否允许跳号呼叫", "Whether calling out of order is allowed"),
    "appointment_lead_minutes": ("预约号提前多少分钟可叫", "Minutes before a booking it is called"),
    "comprehensive_prefers_unserved": (
        "综合窗口先办无专窗业务",
        "Comprehensive windows first serve categories no open window serves",
    ),
    "call_next_guard_seconds": (
        "无幂等键的叫下一号不结束多少秒内叫的号",
        "Seconds a just-called ticket is kept by a call-next without Idempotency-Key",
    ),
}


class Resource(BaseModel):
    """A model of the API's replies: each field takes its description from FIELDS unless it
    has one of its own."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        changed = False
        for name, info in cls.model_fields.items():
            if info.description is None:
                if name not in FIELDS:
                    raise TypeError(f"{cls.__name__}.{name}: no description in FIELDS")
                info.description = bilingual(*FIELDS[name])
                changed = True
        if changed:
            cls.model_rebuild(force=True)


def text(zh: str, en: str, **default: Any) -> Any:
    """A field with its own description (and `default=…` when it may be left out)."""
    return Field(description=bilingual(zh, en), **default)


def omissible(zh: str = "", en: str = "") -> Any:
    """A field that may be left out but, sent, must not be null (no default in the document)."""
    return Field(
        default=None,
        description=bilingual(zh, en) if zh else None,
        json_schema_extra=_no_default,
    )


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


Time = str  # ISO 8601 with its offset
Day = str  # 2026-11-27


# -- halls and categories --------------------------------------------------------------------


class HallRef(Resource):
    """A hall as the public sees it (市 → 县 → 乡镇 → 村)."""

    id: int
    name: str
    name_en: str
    kind: Literal["city", "county", "town", "village"]
    parent_id: int | None
    timezone: str


class HallWithNotice(HallRef):
    """A hall with its notice, as a lobby screen and a kiosk show it."""

    notice: str


class HallList(Resource):
    halls: list[HallRef]


class CategoryRef(Resource):
    """A category of business (业务类别) without its live figures."""

    id: int
    prefix: str
    name: str
    name_en: str
    daily_cap: int
    target_wait_minutes: int


class CategoryLive(CategoryRef):
    """A category with its live waiting count and estimated wait."""

    waiting: int
    estimated_wait_minutes: int
    open_windows: int


class CategoryList(Resource):
    categories: list[CategoryLive]


# -- windows ---------------------------------------------------------------------------------


class WindowRef(Resource):
    """A window's number and name, as calls announce it."""

    id: int
    number: int
    name: str


class ClerkCard(Resource):
    """What a window shows of the clerk on duty (工作人员座牌)."""

    name: str
    staff_no: str
    department: str
    photo_url: str


class CurrentCall(Resource):
    """The ticket a window has called or is serving."""

    number: str
    state: Literal["called", "serving"]
    category_id: int
    times_called: int
    called_at: Time | None


class Window(Resource):
    """A window as its display and the lobby screen show it."""

    id: int
    hall_id: int
    number: int
    name: str
    type: Literal["fixed", "flexible", "comprehensive"]
    type_name: str
    type_name_en: str
    status: Literal["open", "paused", "closed"]
    pause_reason: str
    category_ids: list[int]
    category_names: list[str]
    clerk: ClerkCard | None
    current: CurrentCall | None


class WindowReply(Resource):
    """A window after a change (open, close, pause, resume)."""

    window: Window


class Call(Resource):
    """A call as the lobby screen lists it (the content of a ticket_called event)."""

    number: str
    category_id: int
    window_id: int
    window_number: int
    window_name: str
    times_called: int
    called_at: Time | None
    state: str
    call_id: str
    category_name: str | None = None
    category_name_en: str | None = None


class HallSnapshot(Resource):
    """Everything a lobby screen needs to draw a hall."""

    hall: HallWithNotice
    service_day: Day
    categories: list[CategoryLive]
    windows: list[Window]
    recent_calls: list[Call]
    server_time: Time


class Alarms(Resource):
    alarms: list[dict[str, Any]]


# -- tickets ---------------------------------------------------------------------------------

TicketState = Literal["waiting", "called", "serving", "held", "done", "no_show", "cancelled"]


class Ticket(Resource):
    """A ticket as its holder, a screen or a clerk sees it (never the phone number)."""

    id: int
    number: str
    state: TicketState
    priority: Literal["none", "elderly", "disabled", "pregnant", "military"]
    priority_name: str
    category: CategoryRef | None
    service_day: Day
    issued_at: Time
    called_at: Time | None
    last_called_at: Time | None
    started_at: Time | None
    finished_at: Time | None
    times_called: int
    outcome: (
        Literal["completed", "needs_correction", "back_office", "transferred", "no_show"] | None
    )
    appointment: bool
    transferred: bool
    window: WindowRef | None
    position: int | None
    estimated_wait_minutes: int | None
    no_show_allowed_at: Time | None = None
    hall: HallRef | None = text(
        "服务大厅（取号和查询时给出）", "Service hall (when issued or looked up)", default=None
    )


class IssuedTicket(Ticket):
    """A ticket just issued: with its token and the page that follows it on a phone."""

    token: str
    hall: HallRef = text("服务大厅", "Service hall")
    phone_url: str


class TicketReply(Resource):
    """A ticket after a change at a window; null when none was called."""

    ticket: Ticket | None


class QueueRules(Resource):
    """A hall's queue rules."""

    min_calls_before_no_show: int
    min_seconds_before_no_show: int
    return_places_from_front: int
    max_priority_in_row: int
    allow_call_out_of_order: bool
    appointment_lead_minutes: int
    comprehensive_prefers_unserved: bool
    call_next_guard_seconds: int


class WindowPanel(Resource):
    """What the clerk's counter panel shows."""

    window: Window
    current: Ticket | None
    waiting: list[Ticket] = text(
        "本窗口可叫的号（前 50 个）", "Tickets this window may call (first 50)"
    )
    waiting_count: int
    held: list[Ticket]
    today: dict[str, int]
    rules: QueueRules


# -- sign-in ---------------------------------------------------------------------------------


class ClerkSelf(Resource):
    """What a signed-in member of staff sees of themselves."""

    id: int
    staff_no: str
    name: str
    role: str
    hall_id: int | None
    department: str


class SignedIn(Resource):
    """A sign-in: the bearer token, who it is, and the CSRF token of the cookie session."""

    token: str
    clerk: ClerkSelf = text("登录的工作人员", "Who signed in")
    expires_in: int
    csrf_token: str


class Me(Resource):
    """Who sends the request."""

    id: int | None
    name: str
    role: str
    hall_id: int | None


class Done(Resource):
    ok: bool


# -- service items (办事指南) and the kiosk ---------------------------------------------------

FIELDS.update(
    {
        "code": ("编码", "Code"),
        "conditions": ("办理条件", "Conditions"),
        "conditions_en": ("办理条件（英文）", "Conditions in English"),
        "department_en": ("所属部门（英文）", "Department in English"),
        "fee": ("收费标准", "Fee"),
        "fee_en": ("收费标准（英文）", "Fee in English"),
        "item_type": ("事项类型", "Item type"),
        "legal_basis": ("设定依据", "Legal basis"),
        "materials": ("申请材料", "Materials to bring"),
        "materials_en": ("申请材料（英文）", "Materials to bring, in English"),
        "online": ("是否可网上办理", "Whether it can be done online"),
        "steps": ("办理流程", "Steps"),
        "steps_en": ("办理流程（英文）", "Steps in English"),
        "time_limit": ("承诺时限", "Promised time limit"),
        "time_limit_days": ("承诺时限（工作日）", "Promised time limit in working days"),
        "time_limit_en": ("承诺时限（英文）", "Promised time limit in English"),
        "village_proxy": ("村（社区）可代办", "A village station may file it for the citizen"),
        "query": ("搜索词", "The search"),
        "total": ("总数", "How many in all"),
        "item": ("办事事项", "Service item"),
        "appointments": ("是否接受预约", "Whether bookings are taken"),
        "booking_url": ("预约页面网址", "Booking page URL"),
        "green_channel": ("绿色通道（优先类别）", "Green channel (priorities)"),
        "open": ("是否正在办公", "Whether the hall is open now"),
        "appointment_only": ("是否只接待预约", "Whether only booked citizens are served"),
        "next_opening": ("下次开门时间；无则为 null", "Next opening; null if none known"),
        "notice_en": ("说明（英文）", "Notice in English"),
        "session": ("当前时段", "Current session"),
        "device": ("设备", "Device"),
        "printer": ("打印机", "Printer"),
        "configured": ("是否已设置", "Whether it is set up"),
        "encoding": ("字符编码", "Character encoding"),
        "last_number": ("最近打印的号码", "Last number printed"),
        "mode": ("打印方式", "Print mode"),
        "paper_mm": ("纸宽（毫米）", "Paper width in mm"),
        "scheme": ("连接方式", "Connection scheme"),
        "updated_at": ("更新时间", "Updated at"),
        "url": ("地址", "Address"),
        "queued": ("是否已排入打印队列", "Whether it was queued for printing"),
    }
)


class CategoryBrief(Resource):
    """A category as a service item names it."""

    id: int
    name: str
    name_en: str
    prefix: str


class ServiceItem(Resource):
    """A service item (办事事项) of the hall's guide: what to bring, how long it takes."""

    id: int
    code: str
    name: str
    name_en: str
    category: CategoryBrief | None
    item_type: str
    department: str
    department_en: str
    conditions: str
    conditions_en: str
    materials: list[str]
    materials_en: list[str]
    steps: list[str]
    steps_en: list[str]
    fee: str
    fee_en: str
    legal_basis: str
    online: bool
    village_proxy: bool
    time_limit: str
    time_limit_en: str
    time_limit_days: int | None


class ServiceItemList(Resource):
    items: list[ServiceItem] = text("找到的事项", "Items found")
    query: str
    total: int


class ServiceItemReply(Resource):
    item: ServiceItem


class KioskCategory(CategoryLive):
    items: int


class Priority(Resource):
    kind: str = text("优先类别", "Priority")
    name: str
    name_en: str


class OpenNow(Resource):
    """Whether the hall is open now, and the notice the kiosk shows."""

    open: bool
    appointment_only: bool
    session: str | None = text("当前时段；不在办公时为 null", "Current session; null when closed")
    notice: str = text("说明", "Notice")
    notice_en: str
    next_opening: Time | None


class KioskHome(Resource):
    """What the kiosk's home screen shows."""

    hall: HallWithNotice
    service_day: Day
    server_time: Time
    open: OpenNow = text("是否正在办公", "Open now or not")
    categories: list[KioskCategory]
    green_channel: list[Priority]
    appointments: bool
    booking_url: str


class DeviceRef(Resource):
    id: int
    hall_id: int
    kind: str = text("设备类型", "Device kind")
    name: str


class Printer(Resource):
    """A kiosk's printer as its settings page and the kiosk see it (no secrets)."""

    configured: bool
    url: str
    scheme: str | None = text("连接方式；未设置时为 null", "Connection scheme; null when unset")
    mode: str
    encoding: str
    paper_mm: int
    state: str = text("打印机状态", "Printer state")
    last_number: str | None
    updated_at: Time | None
    alarms: list[dict[str, Any]]


class KioskMe(Resource):
    """The kiosk a device token belongs to."""

    device: DeviceRef
    hall: HallRef
    printer: Printer


class PrinterReply(Resource):
    device: DeviceRef
    printer: Printer


class Queued(Resource):
    queued: bool


# -- evaluation (好差评) -----------------------------------------------------------------------

FIELDS.update(
    {
        "score": ("分值", "Score"),
        "needs_reason": ("差评时须选原因", "Whether a reason must be chosen"),
        "levels": ("评价等级", "Rating levels"),
        "reasons": ("差评原因", "Reasons for a bad rating"),
        "pending": ("待评价的号；无则为 null", "The visit awaiting a rating; null if none"),
        "deadline": ("评价截止时间", "Rating deadline"),
        "can_evaluate": ("现在能否评价", "Whether it can be rated now"),
        "evaluation": ("已有的评价；无则为 null", "The rating given; null if none"),
        "time_limit_minutes": ("可评价的时限（分钟）", "Minutes allowed to rate"),
        "level": ("评价等级", "Rating level"),
        "level_name": ("等级名称", "Level's name"),
        "level_name_en": ("等级英文名称", "Level's name in English"),
        "reason": ("原因", "Reason"),
        "comment": ("意见", "Comment"),
        "created_at": ("创建时间", "Created at"),
        "source": ("来源", "Source"),
    }
)


class Level(Resource):
    code: str
    name: str
    name_en: str
    score: int
    needs_reason: bool


class Reason(Resource):
    code: str
    name: str
    name_en: str


class PendingVisit(Resource):
    number: str
    finished_at: Time | None
    deadline: Time | None


class WindowEvaluation(Resource):
    """What the evaluation pad at a window asks about now."""

    window: WindowRef
    pending: PendingVisit | None
    levels: list[Level]
    reasons: list[Reason]
    server_time: Time


class Evaluation(Resource):
    level: str
    level_name: str
    level_name_en: str
    score: int
    reason: str | None
    comment: str
    source: str
    created_at: Time


class TicketEvaluation(Resource):
    """A ticket's rating, or what its holder may still rate."""

    number: str
    state: TicketState
    window: WindowRef | None
    can_evaluate: bool
    deadline: Time | None
    time_limit_minutes: int
    evaluation: Evaluation | None
    levels: list[Level]
    reasons: list[Reason]


# -- the counter panel -----------------------------------------------------------------------

FIELDS.update(
    {
        "me": ("登录的工作人员", "Who is signed in"),
        "post": ("岗位：A 岗或 B 岗", "Post: A or B"),
        "partner": ("AB 岗的另一位", "The other clerk of the A/B pair"),
        "staffed_by_me": ("是否由我当班", "Whether I am on duty there"),
        "clerks": ("工作人员", "Clerks"),
        "outcomes": ("办理结果", "Outcomes"),
        "pause_reasons": ("暂停原因", "Pause reasons"),
        "service_items": ("办事事项", "Service items"),
        "window_id": ("窗口编号", "Window's id"),
        "ticket_items": ("各号所办事项，按号的编号", "Each open ticket's service item, by id"),
        "held": ("暂离", "Held"),
        "no_show": ("过号", "No-shows"),
        "rated": ("已评价", "Rated"),
        "ratings": ("各等级的评价数", "Ratings by level"),
        "satisfaction_percent": ("满意率（%）", "Satisfaction in percent"),
        "served": ("已办理", "Served"),
    }
)


class MyWindow(Window):
    """A window the signed-in clerk is posted to."""

    post: str
    partner: ClerkCard | None
    staffed_by_me: bool


class MyWindows(Resource):
    me: ClerkSelf
    windows: list[MyWindow]


class ClerkOption(Resource):
    id: int
    name: str
    staff_no: str
    department: str


class NamedCode(Resource):
    code: str
    name: str
    name_en: str


class PauseReason(Resource):
    name: str
    name_en: str


class ItemOption(Resource):
    id: int
    code: str
    name: str
    category_id: int | None


class CounterOptions(Resource):
    """What the counter panel offers: where to transfer, outcomes, pause reasons, items."""

    allow_call_out_of_order: bool
    categories: list[CategoryRef]
    windows: list[WindowRef]
    clerks: list[ClerkOption]
    outcomes: list[NamedCode]
    pause_reasons: list[PauseReason]
    service_items: list[ItemOption]


class ItemBrief(Resource):
    id: int
    code: str
    name: str


class DayFigures(Resource):
    served: int
    no_show: int
    held: int
    rated: int
    ratings: dict[str, int]
    satisfaction_percent: int | None


class WindowStats(Resource):
    """Today's figures of a window."""

    window_id: int
    today: DayFigures = text("今日数字", "Today's figures")
    ticket_items: dict[str, ItemBrief]
    server_time: Time


# -- requests: the same fields, as the API accepts them --------------------------------------

FIELDS.update(
    {
        "phone": ("手机号（可选，用于叫号提醒）", "Phone (optional, for a call reminder)"),
        "service_item": ("所办事项的编号（可选）", "Service item's id (optional)"),
        "password": ("密码", "Password"),
    }
)


class TicketRequest(Resource):
    """Take a ticket: a category by id or prefix, a priority, a phone for the reminder."""

    category: int | Annotated[str, Field(max_length=12)] = text(
        "业务类别：编号或前缀字母", "Category: its id or prefix letter"
    )
    priority: Literal["none", "elderly", "disabled", "pregnant", "military"] = text(
        "优先类别（绿色通道）", "Priority (green channel)", default="none"
    )
    phone: Annotated[str, Field(max_length=20)] | None = None
    service_item: int | None = None


class LoginRequest(Resource):
    """Sign in with a staff number and password."""

    staff_no: Annotated[str, Field(max_length=32)]
    password: Annotated[str, Field(max_length=128)]


class PasswordChange(LoginRequest):
    """Change one's own password; signed in, the staff number may be left out."""

    staff_no: Annotated[str, Field(max_length=32)] = omissible()
    new_password: Annotated[str, Field(max_length=128)] = text("新密码", "New password")


class NoFields(BaseModel):
    """A request that carries nothing: send {} or no body at all."""
