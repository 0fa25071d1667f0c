"""What the console's API (/admin) answers: halls and their settings, categories, windows,
service items, staff, devices, the live monitor, reports, complaints and follow-ups, the audit
log and the holiday schedules. See models.py for how the fields are described."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema, create_model

from ..services.admin.calendar import MAX_HOLIDAY_DAYS, MAX_SWAPPED_DAYS
from ..services.admin.fields import FieldSpec
from .booking_models import DatedOverride
from .models import (
    FIELDS,
    CategoryLive,
    Day,
    HallRef,
    QueueRules,
    Resource,
    Time,
    omissible,
)
from .models import text as text_field
from .openapi import Model

FIELDS.update(
    {
        "depth": ("层级深度，0 为顶层", "Depth in the tree, 0 at the top"),
        "day_starts_at_minute": (
            "办理日从几点开始（分钟）",
            "Minute of the day a service day starts",
        ),
        "flexible": ("机动窗口规则", "Flexible window rule"),
        "queue": ("排队规则", "Queue rules"),
        "enabled": ("是否启用", "Whether enabled"),
        "wait_minutes_over": ("等候超过多少分钟时开启", "Opens when the wait passes these minutes"),
        "waiting_over": ("等候超过多少人时开启", "Opens when more than this many wait"),
        "retention_days": ("个人信息保留天数", "Days personal data is kept"),
        "active": ("是否启用", "Whether in use"),
        "default_service_minutes": ("默认办理时长（分钟）", "Default service minutes"),
        "sort_order": ("排序", "Sort order"),
        "device_ids": ("窗口的设备编号", "Ids of the window's devices"),
        "post_a": ("A 岗", "A post"),
        "post_b": ("B 岗", "B post"),
        "review_departments": ("审批部门", "Reviewing departments"),
        "target_service_minutes": ("目标办理时长（分钟）", "Target service minutes"),
        "created": ("新增数", "Created"),
        "updated": ("更新数", "Updated"),
        "role_name": ("角色名称", "Role's name"),
        "role_name_en": ("角色英文名称", "Role's name in English"),
        "password": (
            "新的临时密码（首次登录须修改）",
            "New temporary password (to change at sign-in)",
        ),
        "health": ("设备状态", "Device health"),
        "health_name": ("设备状态名称", "Health's name"),
        "health_name_en": ("设备状态英文名称", "Health's name in English"),
        "last_seen_at": ("最近在线时间", "Last seen at"),
        "devices": ("设备", "Devices"),
        "served_today": ("今日已办", "Served today"),
        "over_target": ("是否超过目标时间", "Whether over the target"),
        "serving_seconds": ("已办理秒数", "Seconds being served"),
        "target_minutes": ("目标时长（分钟）", "Target minutes"),
        "period": ("统计期间", "Period"),
        "by": ("分组维度", "Grouped by"),
        "rows": ("各行", "Rows"),
        "series": ("按日或时段的序列", "Series by day or hour"),
        "series_by": ("序列的维度", "What the series is by"),
        "key": ("该行的键", "The row's key"),
        "issued": ("取号数", "Tickets issued"),
        "called": ("叫号数", "Tickets called"),
        "cancelled": ("取消数", "Cancelled"),
        "bad_reviews": ("差评", "Bad ratings"),
        "bad_review_percent": ("差评率（%）", "Bad ratings in percent"),
        "satisfaction": ("满意度", "Satisfaction"),
        "complaints": ("投诉", "Complaints"),
        "complaints_overdue": ("逾期投诉数", "Complaints overdue"),
        "complaints_upheld": ("属实投诉数", "Complaints upheld"),
        "follow_ups": ("差评整改", "Follow-ups of bad ratings"),
        "follow_ups_open": ("未完成的整改数", "Follow-ups open"),
        "follow_ups_overdue": ("逾期的整改数", "Follow-ups overdue"),
        "service_avg_minutes": ("平均办理时长（分钟）", "Average service minutes"),
        "service_p90_minutes": ("90% 的办理时长不超过（分钟）", "90th percentile service minutes"),
        "wait_avg_minutes": ("平均等候时长（分钟）", "Average wait minutes"),
        "wait_p90_minutes": ("90% 的等候时长不超过（分钟）", "90th percentile wait minutes"),
        "within_target_percent": ("在目标时间内的比例（%）", "Within target, in percent"),
        "assignee": ("承办人", "Assignee"),
        "assignee_id": ("承办人编号", "Assignee's id"),
        "channel_name": ("渠道名称", "Channel's name"),
        "contact": ("联系方式", "Contact"),
        "due_on": ("办结期限", "Due on"),
        "due_provisional": ("期限按法定节日暂定", "Due day counted provisionally"),
        "overdue": ("是否逾期", "Whether overdue"),
        "registered_on": ("登记日", "Registered on"),
        "resolution": ("处理结果", "Resolution"),
        "resolved_at": ("办结时间", "Resolved at"),
        "summary": ("摘要", "Summary"),
        "upheld": ("是否属实；未定为 null", "Whether upheld; null until decided"),
        "closed_at": ("完成时间", "Closed at"),
        "opened_on": ("开始日", "Opened on"),
        "stage": ("阶段", "Stage"),
        "stage_name": ("阶段名称", "Stage's name"),
        "stage_name_en": ("阶段英文名称", "Stage's name in English"),
        "at": ("时间", "When it happened"),
        "by_name": ("操作人", "By"),
        "entries": ("记录", "Entries"),
        "page": ("页码", "Page"),
        "pages": ("总页数", "Pages"),
        "action": ("操作", "Action"),
        "actor": ("操作人", "Actor"),
        "actor_name": ("操作人姓名", "Actor's name"),
        "at_local": ("本地时间", "Local time"),
        "changes": ("改动", "Changes"),
        "detail": ("详情", "Detail"),
        "subject": ("对象", "Subject"),
        "field": ("字段", "Field"),
        "can_change": ("能否修改", "Whether it can be changed"),
        "coming": ("今后几年的日历", "The coming years' calendars"),
        "entered": ("手工录入的年份", "Years entered by hand"),
        "package": ("日历软件包", "Calendar package"),
        "standard_holidays": ("法定节日", "Statutory holidays"),
        "warning": ("提醒；无则为 null", "Warning; null if none"),
        "entered_at": ("录入时间", "Entered at"),
        "entered_by": ("录入人", "Entered by"),
        "holiday_days": ("放假天数", "Holiday days"),
        "in_use": ("是否正在使用", "Whether in use"),
        "swapped_workdays": ("调休上班日", "Swapped working days"),
        "first_year": ("最早年份", "First year"),
        "last_year": ("最晚年份", "Last year"),
        "version": ("版本", "Version"),
        "holidays": ("节假日", "Holidays"),
        "bookings_on_holidays": ("落在节假日的预约", "Bookings on holidays"),
        "source_text": ("来源说明", "Source, in words"),
        "source_text_en": ("来源说明（英文）", "Source, in English words"),
        "deleted": ("是否已删除", "Whether deleted"),
    }
)


class AdminHallRef(HallRef):
    depth: int
    kind_name: str
    kind_name_en: str


class AdminHallList(Resource):
    halls: list[AdminHallRef]


class FlexibleRule(Resource):
    enabled: bool
    wait_minutes_over: int
    waiting_over: int


class StoredSession(Resource):
    """A weekly session as stored (appointment_only left out where it was never set)."""

    weekdays: list[int] = text_field("适用的星期（1–7）", "Weekdays it applies to (1–7)")
    start: str = text_field("开始，如 09:00", "Start, e.g. 09:00")
    end: str = text_field("结束，如 17:00", "End, e.g. 17:00")
    appointment_only: bool | None = None


class StoredHours(Resource):
    """The opening hours as stored (what was set; parts never set are left out)."""

    timezone: str | None = None
    swapped_workday_follows: int | None = None
    regular: list[StoredSession] | None = None
    extra_days: list[StoredSession] | None = None
    extended: list[StoredSession] | None = None
    holiday: list[dict[str, Any]] | None = text_field(
        "节假日值班时段", "Holiday sessions", default=None
    )
    year_round: list[dict[str, Any]] | None = text_field(
        "全年无休时段", "Year-round sessions", default=None
    )
    overrides: list[DatedOverride] | None = None


class CaseSettings(Resource):
    """A hall's 办件 settings."""

    phone: str = text_field("受理回执上印的大厅电话", "The hall's phone printed on receipts")
    pickup_priority: str = text_field("出件取号的优先类型", "Priority of pickup tickets")


class HallSettings(Resource):
    """A hall and its settings, as the console edits them."""

    id: int
    name: str
    name_en: str
    kind: str = text_field("层级", "Level")
    kind_name: str
    parent_id: int | None
    timezone: str
    notice: str
    day_starts_at_minute: int
    flexible: FlexibleRule
    queue: QueueRules
    hours: StoredHours = text_field("办公时间设置", "Opening hours as set")
    cases: CaseSettings = text_field("办件设置", "Case settings")


class Retention(Resource):
    retention_days: int


class AdminCategory(Resource):
    id: int
    hall_id: int
    prefix: str
    name: str
    name_en: str
    daily_cap: int
    target_wait_minutes: int
    default_service_minutes: int
    sort_order: int
    active: bool


class AdminCategoryList(Resource):
    categories: list[AdminCategory]


class AdminWindow(Resource):
    id: int
    hall_id: int
    number: int
    name: str
    type: str = text_field("窗口类型", "Window type")
    type_name: str
    type_name_en: str
    status: str = text_field("窗口状态", "Window status")
    category_ids: list[int]
    device_ids: list[int]
    post_a: int | None = text_field("A 岗工作人员编号", "A post clerk's id")
    post_b: int | None = text_field("B 岗工作人员编号", "B post clerk's id")


class AdminWindowList(Resource):
    windows: list[AdminWindow]


class ItemFields(Resource):
    code: str
    name: str
    name_en: str
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
    time_limit_days: int | None
    target_service_minutes: int | None
    active: bool


class AdminItem(ItemFields):
    id: int
    hall_id: int
    category_id: int | None
    review_departments: list[str]


class AdminItemList(Resource):
    items: list[AdminItem] = text_field("办事事项", "Service items")


class ExportedItem(ItemFields):
    category: str = text_field("业务类别前缀", "Category's prefix")


class ItemExport(Resource):
    items: list[ExportedItem] = text_field("办事事项", "Service items")


class ImportResult(Resource):
    created: int
    updated: int


class AdminClerk(Resource):
    id: int
    hall_id: int | None
    staff_no: str
    name: str
    department: str
    photo_url: str
    role: str
    role_name: str
    role_name_en: str
    active: bool
    password: str | None = text_field(
        "初始密码（只在新建时给出，首次登录须修改）",
        "First password (when created; to change at first sign-in)",
        default=None,
    )


class AdminClerkList(Resource):
    clerks: list[AdminClerk]


class NewPassword(Resource):
    password: str


class Device(Resource):
    id: int
    hall_id: int
    window_id: int | None
    kind: str = text_field("设备类型", "Device kind")
    kind_name: str = text_field("设备类型名称", "Kind's name")
    kind_name_en: str = text_field("设备类型英文名称", "Kind's name in English")
    name: str
    url: str
    health: str
    health_name: str
    health_name_en: str
    last_seen_at: Time | None
    alarms: list[dict[str, Any]]
    token: str | None = text_field(
        "设备令牌（只在新建时给出）", "Device token (when created)", default=None
    )


class DeviceList(Resource):
    devices: list[Device]


class DeviceToken(Resource):
    token: str


class MonitorClerk(Resource):
    name: str
    staff_no: str


class MonitorCurrent(Resource):
    number: str
    state: str = text_field("号的状态", "Ticket's state")
    category: str = text_field("业务类别名称", "Category's name")
    item: str = text_field("办事事项名称", "Service item's name")
    called_at: Time | None
    started_at: Time | None
    serving_seconds: int | None
    target_minutes: int
    over_target: bool


class MonitorWindow(Resource):
    id: int
    number: int
    name: str
    type: str = text_field("窗口类型", "Window type")
    type_name: str
    type_name_en: str
    status: str = text_field("窗口状态", "Window status")
    pause_reason: str
    post_a: str | None = text_field("A 岗姓名", "A post's name")
    post_b: str | None = text_field("B 岗姓名", "B post's name")
    clerk: MonitorClerk | None
    current: MonitorCurrent | None
    served_today: int
    devices: list[Device]


class MonitorCategory(CategoryLive):
    over_target: bool


class Monitor(Resource):
    """The live monitor of a hall."""

    hall: HallRef
    service_day: Day
    server_time: Time
    today: dict[str, int]
    categories: list[MonitorCategory]
    windows: list[MonitorWindow]
    devices: list[Device]
    alarms: list[dict[str, Any]]


class Period(Resource):
    kind: str = text_field("期间类型", "Period kind")
    start: Day = text_field("开始日", "First day")
    end: Day = text_field("结束日", "Last day")


class Figures(Resource):
    issued: int
    called: int
    served: int
    no_show: int
    cancelled: int
    rated: int
    satisfaction: float | None
    bad_reviews: int
    bad_review_percent: float | None
    complaints: int
    complaints_overdue: int
    complaints_upheld: int
    follow_ups: int
    follow_ups_open: int
    follow_ups_overdue: int
    service_avg_minutes: float | None
    service_p90_minutes: float | None
    wait_avg_minutes: float | None
    wait_p90_minutes: float | None
    within_target_percent: float | None


class ReportRow(Figures):
    key: int | str | None
    label: str
    depth: int


class Report(Resource):
    """A hall's report for a period, along one dimension."""

    hall: HallRef
    period: Period
    by: str
    rows: list[ReportRow]
    total: Figures = text_field("合计", "Total")
    series_by: str
    series: list[ReportRow]


class PerformanceRow(ReportRow):
    cases_received: int = text_field("受理办件数", "Cases received")


class PerformanceSheet(Resource):
    """The 效能考评 sheet of the staff."""

    hall: HallRef
    period: Period
    rows: list[PerformanceRow]
    clerk: dict[str, Any] | None = text_field("只看的工作人员", "The one clerk asked for")
    series: list[ReportRow]
    bad_reviews: list[dict[str, Any]]
    complaints: list[dict[str, Any]]


class Complaint(Resource):
    id: int
    hall_id: int
    hall: str = text_field("大厅名称", "Hall's name")
    channel: str = text_field("投诉渠道", "Channel")
    channel_name: str
    contact: str
    summary: str
    registered_on: Day
    service_day: Day | None = text_field("所投诉的办理日", "Service day complained of")
    ticket: str = text_field("号码", "Ticket number")
    ticket_id: int | None = text_field("号的编号", "Ticket's id")
    window: str = text_field("窗口", "Window")
    window_id: int | None
    clerk: str = text_field("被投诉人", "Clerk complained of")
    clerk_id: int | None = text_field("被投诉人编号", "Clerk's id")
    assignee: str
    assignee_id: int | None
    due_on: Day | None
    due_provisional: bool
    overdue: bool
    status: str = text_field("处理状态", "Status")
    status_name: str = text_field("状态名称", "Status's name")
    status_name_en: str = text_field("状态英文名称", "Status's name in English")
    resolution: str
    resolved_at: Time | None
    upheld: bool | None


class ComplaintList(Resource):
    complaints: list[Complaint]


class FollowUpStep(Resource):
    at: Time
    by: str = text_field("操作人", "Who did it")
    note: str
    stage: str
    stage_name: str


class FollowUp(Resource):
    """The follow-up of a bad rating (差评整改)."""

    id: int
    hall_id: int
    hall: str = text_field("大厅名称", "Hall's name")
    ticket: str = text_field("号码", "Ticket number")
    window: str = text_field("窗口", "Window")
    clerk: str = text_field("被评价人", "Clerk rated")
    clerk_id: int | None = text_field("被评价人编号", "Clerk's id")
    service_day: Day | None = text_field("办理日", "Service day")
    level: str
    level_name: str
    level_name_en: str
    reason: str
    comment: str
    opened_on: Day
    due_on: Day | None
    due_provisional: bool
    overdue: bool
    stage: str
    stage_name: str
    stage_name_en: str
    closed_at: Time | None
    steps: list[FollowUpStep] = text_field("整改步骤", "Steps taken")


class FollowUpList(Resource):
    follow_ups: list[FollowUp]


class AuditChange(Resource):
    field: str
    before: Any = text_field("改前的值（任意 JSON）", "Value before (any JSON)")
    after: Any = text_field("改后的值（任意 JSON）", "Value after (any JSON)")


class AuditEntry(Resource):
    id: int
    at: Time
    at_local: str
    hall_id: int | None
    hall: str = text_field("大厅名称", "Hall's name")
    actor: str
    actor_name: str
    action: str
    subject: str
    detail: dict[str, Any]
    changes: list[AuditChange]


class AuditPage(Resource):
    """A page of the audit log."""

    entries: list[AuditEntry]
    page: int
    pages: int
    total: int


class NamedHoliday(Resource):
    name: str
    name_en: str


class CalendarWarning(Resource):
    year: int
    message: str = text_field("中文说明", "Message in Chinese")
    message_en: str = text_field("英文说明", "Message in English")
    url: str


class ComingYear(Resource):
    year: int
    known: bool
    source: str = text_field("日历来源", "Calendar source")


class EnteredYear(Resource):
    year: int
    entered_at: Time
    entered_by: str
    holiday_days: int
    swapped_workdays: int
    in_use: bool


class CalendarPackage(Resource):
    name: str
    version: str
    first_year: int
    last_year: int
    years: list[int] = text_field("覆盖的年份", "Years covered")


class CalendarOverview(Resource):
    """The holiday schedules: the package's years, the years entered, what is coming."""

    can_change: bool
    package: CalendarPackage
    entered: list[EnteredYear]
    coming: list[ComingYear]
    standard_holidays: list[NamedHoliday]
    warning: CalendarWarning | None


class Holiday(Resource):
    day: Day
    name: str
    name_en: str


class CalendarYear(Resource):
    """A year's holiday schedule (节假日安排)."""

    year: int
    source: str = text_field("日历来源", "Calendar source")
    source_text: str
    source_text_en: str
    holidays: list[Holiday]
    swapped_workdays: list[Day]
    bookings_on_holidays: list[dict[str, Any]]
    entered_at: Time | None = None
    entered_by: str | None = None
    version: str | None = text_field(
        "日历软件包的版本（来源为软件包时）",
        "The calendar package's version (when the source)",
        default=None,
    )


class CalendarDeleted(Resource):
    year: int
    deleted: bool


# -- requests ----------------------------------------------------------------------------------


def model_of(
    name: str, specs: Sequence[FieldSpec], *, partial: bool = False, optional: Iterable[str] = ()
) -> Model:
    """The request model of an admin form: each field as its declaration (services/admin/
    fields.py) describes, checks and labels it; `partial` (a change) requires none of them,
    `optional` names the ones the route fills in itself."""
    left_out = set(optional)
    fields: dict[str, Any] = {
        spec.key: (
            Annotated[Any, WithJsonSchema(spec.json_schema())],
            ... if spec.required and not partial and spec.key not in left_out else omissible(),
        )
        for spec in specs
    }
    return create_model(name, __doc__=f"{name}: the fields of the admin form", **fields)


class RetentionChange(Resource):
    """How many days a hall keeps citizens' personal data."""

    retention_days: Annotated[int, Field(ge=1, le=3650)] = text_field(
        "个人信息保留天数", "Days personal data is kept"
    )


class ItemsImport(Resource):
    """Service items to import, as exported ({items}) or as a CSV table ({csv})."""

    items: Annotated[list[dict[str, Any]], Field(max_length=2000)] = omissible(
        "导出的事项列表", "Items as exported"
    )
    csv: Annotated[str, Field(max_length=250_000)] = omissible("CSV 表格", "A CSV table")


HolidayDay = Annotated[
    str, Field(pattern=r"\d{4}-\d{2}-\d{2}", json_schema_extra={"format": "date"})
]


class HolidayEntry(Resource):
    """A public holiday: its first day, its last (when longer than one) and its name."""

    day: HolidayDay = text_field("放假的第一天", "The first day off")
    until: HolidayDay | None = text_field("放假的最后一天", "The last day off", default=None)
    name: Annotated[str, Field(min_length=1, max_length=40)] = text_field("节日名称", "Name")
    name_en: Annotated[str, Field(max_length=60)] | None = text_field(
        "节日英文名称", "Name in English", default=None
    )


class CalendarYearEntry(Resource):
    """A year's official holidays and swapped working days (国务院办公厅通知)."""

    holidays: Annotated[list[HolidayEntry], Field(max_length=MAX_HOLIDAY_DAYS)] = text_field(
        "法定节假日放假的日子", "The public holiday days"
    )
    swapped_workdays: Annotated[list[HolidayDay], Field(max_length=MAX_SWAPPED_DAYS)] = text_field(
        "调休上班的周六、周日", "Saturdays and Sundays worked"
    )
