"""Configuration use cases of the manager console (/admin and /api/v1/admin).

Each use case takes the actor, checks the hall scope (services/scope.py), validates its input
against the field declarations below (the same declarations draw the forms and the API
schemas), writes one audit entry with the values before and after, commits, and only then
publishes `window_changed`, `queue_changed` and `hall_changed` so kiosks, lobby and window
displays and LED boards follow at once.
"""

from __future__ import annotations

import csv
import io
import re
import time
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from devices.serial_link import DeviceConfigError, parse_serial_url

from ..domain.errors import Conflict, InvalidInput, NotFound
from ..domain.model import (
    WINDOW_TYPE_NAMES,
    Category,
    Clerk,
    Hall,
    HallKind,
    Post,
    Role,
    ServiceItem,
    Ticket,
    TicketState,
    Window,
    WindowStatus,
    WindowType,
)
from ..store import admin_tables, tables
from . import alarms, auth, scope, views
from .bus import Message
from .context import Actor, Deps, audit

D = tables.devices
W = tables.windows
WP = tables.window_posts
SI = tables.service_items
C = tables.categories
K = tables.clerks
ST = admin_tables.service_targets


# =============================================================================================
# Field declarations: one place for a form's fields, the API's schema and the checks


class FieldErrors(InvalidInput):
    """Some fields of a form or request are not acceptable; `errors` says which and why."""

    def __init__(self, errors: Mapping[str, tuple[str, str]]) -> None:
        self.errors = dict(errors)
        super().__init__(
            "；".join(zh for zh, _ in self.errors.values()),
            "; ".join(en for _, en in self.errors.values()),
        )


def field_error(key: str, zh: str, en: str) -> FieldErrors:
    """A refusal about one field."""
    return FieldErrors({key: (zh, en)})


@dataclass(frozen=True)
class FieldSpec:
    """One field: its name, bilingual label, kind and bounds.

    Kinds: text, textarea, password, int, bool, choice, lines (a list of strings),
    ids (an ordered list of ids), ref (an id or null), minute (minute of the day),
    date (an ISO date).
    """

    key: str
    zh: str
    en: str
    kind: str = "text"
    required: bool = False
    nullable: bool = False
    max_len: int = 200
    low: int = 0
    high: int = 1_000_000
    choices: tuple[tuple[str, str, str], ...] = ()
    help_zh: str = ""
    help_en: str = ""

    def json_schema(self) -> dict[str, Any]:
        """The JSON-schema subset `api.spec.validate` understands."""
        schema: dict[str, Any]
        if self.kind in ("text", "textarea", "password"):
            schema = {"type": "string", "maxLength": self.max_len}
        elif self.kind in ("int", "minute", "ref"):
            schema = {"type": "integer"}
        elif self.kind == "bool":
            schema = {"type": "boolean"}
        elif self.kind == "choice":
            schema = {"type": "string", "enum": [value for value, _, _ in self.choices]}
        elif self.kind == "lines":
            schema = {"type": "array", "items": {"type": "string", "maxLength": self.max_len}}
        elif self.kind == "ids":
            schema = {"type": "array", "items": {"type": "integer"}}
        elif self.kind == "date":
            schema = {"type": "string", "pattern": r"\d{4}-\d{2}-\d{2}"}
        else:  # pragma: no cover - a declaration error, caught by the schema tests
            raise ValueError(self.kind)
        if self.nullable or self.kind == "ref":
            schema["nullable"] = True
        schema["description"] = f"{self.zh} / {self.en}"
        return schema

    def missing(self) -> tuple[str, str]:
        """The message for a required field left empty."""
        return (f"请填写{self.zh}", f"{self.en} is required")

    def clean(self, value: Any) -> Any:
        """The checked value, or a FieldErrors naming this field."""
        zh, en = self.zh, self.en
        if value is None and (self.nullable or self.kind == "ref"):
            if self.required:
                raise FieldErrors({self.key: self.missing()})
            return None
        if self.kind in ("text", "textarea", "password"):
            if not isinstance(value, str):
                raise field_error(self.key, f"{zh}须为文字", f"{en} must be text")
            if self.kind != "password":
                value = value.strip()
                if not printable(value, multiline=self.kind == "textarea"):
                    raise field_error(
                        self.key,
                        f"{zh}含有无法显示或打印的字符",
                        f"{en} contains characters that cannot be shown or printed",
                    )
            if not value and self.required:
                raise FieldErrors({self.key: self.missing()})
            if len(value) > self.max_len:
                raise field_error(
                    self.key,
                    f"{zh}不能超过 {self.max_len} 字",
                    f"{en} must be at most {self.max_len} characters",
                )
            return value
        if self.kind in ("int", "minute", "ref"):
            if not isinstance(value, int) or isinstance(value, bool):
                raise field_error(self.key, f"{zh}须为整数", f"{en} must be a whole number")
            low, high = (0, 24 * 60 - 1) if self.kind == "minute" else (self.low, self.high)
            if self.kind != "ref" and not low <= value <= high:
                raise field_error(
                    self.key,
                    f"{zh}须在 {low} 到 {high} 之间",
                    f"{en} must be from {low} to {high}",
                )
            return value
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise field_error(self.key, f"{zh}须为是或否", f"{en} must be true or false")
            return value
        if self.kind == "choice":
            allowed = [v for v, _, _ in self.choices]
            if value not in allowed:
                names = "、".join(z for _, z, _ in self.choices)
                raise field_error(
                    self.key, f"{zh}须为以下之一：{names}", f"{en} must be one of {allowed}"
                )
            return value
        if self.kind == "lines":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise field_error(self.key, f"{zh}须为文字列表", f"{en} must be a list of text")
            lines = [v.strip() for v in value if v.strip()]
            if not all(printable(line) for line in lines):
                raise field_error(
                    self.key,
                    f"{zh}含有无法显示或打印的字符",
                    f"{en} contains characters that cannot be shown or printed",
                )
            if len(lines) > 50 or any(len(v) > self.max_len for v in lines):
                raise field_error(
                    self.key,
                    f"{zh}最多 50 项，每项不超过 {self.max_len} 字",
                    f"{en}: at most 50 entries of {self.max_len} characters",
                )
            return lines
        if self.kind == "date":
            try:
                return date.fromisoformat(value) if isinstance(value, str) else _no_date()
            except ValueError:
                raise field_error(
                    self.key, f"{zh}须为日期，如 2026-12-01", f"{en} must be a date like 2026-12-01"
                ) from None
        if self.kind == "ids":
            if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            ):
                raise field_error(self.key, f"{zh}须为编号列表", f"{en} must be a list of ids")
            if len(set(value)) != len(value):
                raise field_error(self.key, f"{zh}有重复项", f"{en} lists an entry twice")
            return list(value)
        raise ValueError(self.kind)  # pragma: no cover


# Control, format, surrogate, private-use and unassigned characters: a screen shows them as
# boxes and the ticket printer refuses them (devices.escpos_ticket), so every ticket of a
# category named with one would fail to print.
_UNPRINTABLE = {"Cc", "Cf", "Cs", "Co", "Cn"}


def printable(text: str, *, multiline: bool = False) -> bool:
    """Whether a name or text has only characters a screen and a ticket printer can show."""
    return not any(
        unicodedata.category(char) in _UNPRINTABLE and not (multiline and char in "\n\r\t")
        for char in text
    )


def _no_date() -> date:
    raise ValueError("not a date")


def clean(specs: Sequence[FieldSpec], data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Check every declared field present in `data`; all problems are reported together."""
    if not isinstance(data, Mapping):
        raise InvalidInput("请求内容须为对象", "The request body must be an object")
    values: dict[str, Any] = {}
    errors: dict[str, tuple[str, str]] = {}
    for spec in specs:
        if spec.key not in data:
            if spec.required and not partial:
                errors[spec.key] = spec.missing()
            continue
        try:
            values[spec.key] = spec.clean(data[spec.key])
        except FieldErrors as problem:
            errors.update(problem.errors)
    if errors:
        raise FieldErrors(errors)
    return values


def schema_of(specs: Sequence[FieldSpec], *, partial: bool = False) -> dict[str, Any]:
    """The JSON schema of a request built from field declarations."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {spec.key: spec.json_schema() for spec in specs},
    }
    required = [spec.key for spec in specs if spec.required]
    if required and not partial:
        schema["required"] = required
    return schema


def _enum_choices(names: Mapping[Any, tuple[str, str]]) -> tuple[tuple[str, str, str], ...]:
    return tuple((str(key.value), zh, en) for key, (zh, en) in names.items())


HALL_KIND_NAMES = {
    HallKind.CITY: ("市级", "City"),
    HallKind.COUNTY: ("县（市、区）级", "County"),
    HallKind.TOWN: ("乡镇（街道）便民服务中心", "Town centre"),
    HallKind.VILLAGE: ("村（社区）便民服务站", "Village station"),
}
HALL_DEPTH = {HallKind.CITY: 0, HallKind.COUNTY: 1, HallKind.TOWN: 2, HallKind.VILLAGE: 3}
ROLE_NAMES = {
    Role.CLERK: ("窗口工作人员", "Clerk"),
    Role.AGENT: ("代办员", "Village agent"),
    Role.MANAGER: ("中心管理员", "Manager"),
    Role.ADMIN: ("系统管理员", "Admin"),
}
DEVICE_KINDS = (
    ("kiosk", "自助取号机", "Kiosk"),
    ("printer", "打印机", "Printer"),
    ("board", "窗口条屏", "LED board"),
    ("evaluator", "评价器", "Evaluator keypad"),
    ("screen", "显示屏", "Screen"),
)
# The devices a window carries: its LCD screen, its LED board and its evaluator keypad.
WINDOW_DEVICE_KINDS = ("screen", "board", "evaluator")
SERIAL_KINDS = ("board", "evaluator")

HALL_FIELDS = (
    FieldSpec("name", "大厅名称", "Hall name", required=True, max_len=100),
    FieldSpec("name_en", "英文名称", "English name", max_len=200),
    FieldSpec(
        "kind", "层级", "Level", "choice", required=True, choices=_enum_choices(HALL_KIND_NAMES)
    ),
    FieldSpec("parent_id", "上级大厅", "Parent hall", "ref"),
    FieldSpec("timezone", "时区", "Time zone", max_len=64),
)
SERVICE_DAY_FIELDS = (
    FieldSpec(
        "day_starts_at_minute",
        "服务日起点",
        "Service day starts at",
        "minute",
        required=True,
        help_zh="号码每天从此时刻起重新编号，请在下班后修改",
        help_en="Numbers start again from 001 at this time; change it after closing",
    ),
)
NOTICE_FIELDS = (
    FieldSpec(
        "notice",
        "大厅公告",
        "Lobby notice",
        "textarea",
        max_len=2000,
        help_zh="显示在大厅综合屏和自助取号机上的政务公开内容",
        help_en="Shown on the lobby display and the kiosk",
    ),
)
FLEXIBLE_FIELDS = (
    FieldSpec("enabled", "启用机动窗口提醒", "Suggest opening a flexible window", "bool"),
    FieldSpec(
        "waiting_over",
        "等候人数超过",
        "When more than this many wait",
        "int",
        required=True,
        low=1,
        high=999,
    ),
    FieldSpec(
        "wait_minutes_over",
        "预计等候超过（分钟）",
        "Or the estimated wait exceeds (minutes)",
        "int",
        required=True,
        low=1,
        high=480,
    ),
)
CATEGORY_FIELDS = (
    FieldSpec(
        "prefix",
        "号码前缀",
        "Number prefix",
        required=True,
        max_len=2,
        help_zh="一到两个大写字母，如 A",
        help_en="One or two capital letters, e.g. A",
    ),
    FieldSpec("name", "类别名称", "Category name", required=True, max_len=60),
    FieldSpec("name_en", "英文名称", "English name", max_len=120),
    FieldSpec("daily_cap", "每日上限", "Daily cap", "int", low=1, high=999),
    FieldSpec(
        "target_wait_minutes", "目标等候（分钟）", "Target wait (min)", "int", low=1, high=480
    ),
    FieldSpec(
        "default_service_minutes",
        "预估办理（分钟）",
        "Expected service (min)",
        "int",
        low=1,
        high=240,
    ),
    FieldSpec("sort_order", "排序", "Order", "int", low=0, high=999),
    FieldSpec("active", "启用", "Active", "bool"),
)
WINDOW_FIELDS = (
    FieldSpec("number", "窗口号", "Window number", "int", required=True, low=1, high=999),
    FieldSpec("name", "窗口名称", "Window name", required=True, max_len=60),
    FieldSpec(
        "type",
        "窗口类型",
        "Window type",
        "choice",
        required=True,
        choices=_enum_choices(WINDOW_TYPE_NAMES),
    ),  # fmt: skip
    FieldSpec(
        "category_ids",
        "办理业务（按叫号顺序）",
        "Categories served, in calling order",
        "ids",
        help_zh="综合窗口不选则办理全部业务；固定窗口和机动窗口至少选一类",
        help_en="A comprehensive window with none serves every category",
    ),
    FieldSpec("post_a", "A岗", "A post", "ref"),
    FieldSpec("post_b", "B岗", "B post", "ref"),
    FieldSpec(
        "device_ids", "绑定的显示屏、条屏和评价器", "Bound screens, LED boards, keypads", "ids"
    ),
)
ITEM_FIELDS = (
    FieldSpec("code", "事项编码", "Unified code", required=True, max_len=40),
    FieldSpec("name", "事项名称", "Item name", required=True, max_len=120),
    FieldSpec("name_en", "英文名称", "English name", max_len=240),
    FieldSpec("category_id", "业务类别", "Category", "ref"),
    FieldSpec("item_type", "事项类型", "Item type", max_len=40),
    FieldSpec("legal_basis", "设定依据", "Legal basis", "textarea", max_len=2000),
    FieldSpec(
        "time_limit_days",
        "办理时限（工作日，0 为即办）",
        "Time limit (working days, 0 = on the spot)",
        "int",
        low=0,
        high=365,
    ),  # fmt: skip
    FieldSpec("conditions", "办理条件", "Conditions", "textarea", max_len=2000),
    FieldSpec("steps", "办理流程（每行一步）", "Steps (one per line)", "lines", max_len=200),
    FieldSpec(
        "materials", "所需材料（每行一项）", "Materials (one per line)", "lines", max_len=200
    ),
    FieldSpec("fee", "收费标准", "Fee", max_len=120),
    FieldSpec("department", "实施部门", "Department", max_len=120),
    FieldSpec("village_proxy", "村级可代办", "Village agents may take it in", "bool"),
    FieldSpec("online", "可网上办理", "Can be done online", "bool"),
    FieldSpec("active", "启用", "Active", "bool"),
    FieldSpec(
        "target_service_minutes",
        "目标办理时长（分钟）",
        "Target service time (min)",
        "int",
        nullable=True,
        low=1,
        high=240,
        help_zh="实时监控中超过此时长的办理标红；不填则按类别预估",
        help_en="The live monitor flags longer services; empty uses the category's estimate",
    ),
)
CLERK_FIELDS = (
    FieldSpec("staff_no", "工号", "Staff number", required=True, max_len=32),
    FieldSpec("name", "姓名", "Name", required=True, max_len=60),
    FieldSpec("role", "角色", "Role", "choice", required=True, choices=_enum_choices(ROLE_NAMES)),
    FieldSpec("hall_id", "所属大厅", "Hall", "ref", required=True),
    FieldSpec("department", "所属部门", "Department", max_len=120),
    FieldSpec("photo_url", "照片地址", "Photo URL", max_len=300),
    FieldSpec("active", "在岗", "Active", "bool"),
    FieldSpec(
        "password",
        "初始密码",
        "First password",
        "password",
        max_len=128,
        help_zh="不填则自动生成，只显示一次",
        help_en="Leave empty to generate one (shown once)",
    ),
)
DEVICE_FIELDS = (
    FieldSpec("kind", "设备类型", "Device kind", "choice", required=True, choices=DEVICE_KINDS),
    FieldSpec("name", "设备名称", "Device name", required=True, max_len=60),
    FieldSpec("window_id", "所属窗口", "Window", "ref"),
    FieldSpec(
        "url",
        "连接地址",
        "Link URL",
        max_len=300,
        help_zh="条屏和评价器：serial:///dev/ttyUSB0?baudrate=9600&address=1",
        help_en="LED boards and keypads: serial:///dev/ttyUSB0?baudrate=9600&address=1",
    ),
)

MIN_PASSWORD = 8
STAFF_NO = re.compile(r"[A-Za-z0-9_-]{1,32}")


def _iso(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_iso(v) for v in value]
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    return value


def snapshot(obj: Any, keys: Sequence[str]) -> dict[str, Any]:
    """The audited values of an object."""
    return {key: _iso(getattr(obj, key)) for key in keys}


# =============================================================================================
# One change: scope, audit, and the messages sent after the commit


@dataclass
class Change:
    """The state of one configuration change while its transaction is open."""

    deps: Deps
    session: Session
    actor: Actor
    now: datetime
    windows: set[int] = field(default_factory=set)
    queues: set[int] = field(default_factory=set)
    halls: set[int] = field(default_factory=set)
    removed_windows: list[tuple[int, int]] = field(default_factory=list)
    devices: set[int] = field(default_factory=set)
    messages: list[Message] = field(default_factory=list)

    def hall(self, hall_id: int) -> Hall:
        """A hall the actor may change, or a refusal."""
        return scope.require_hall(self.session, self.actor, hall_id)

    def record(
        self,
        action: str,
        hall_id: int | None,
        subject: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        **extra: Any,
    ) -> None:
        """The audit entry: who (the actor), when (now), what, and the values before and after."""
        detail: dict[str, Any] = {"before": before, "after": after}
        detail.update(extra)
        audit(
            self.session,
            at=self.now,
            actor=self.actor,
            action=action,
            hall_id=hall_id,
            subject=subject[:80],
            detail=_iso(detail),
        )

    def finalize(self) -> None:
        """Build the messages from the final state, inside the transaction."""
        s = self.session
        s.flush()
        for window_id in sorted(self.windows):
            window = s.get(Window, window_id)
            if window is not None:
                view = views.window_view(s, window)
                rooms = [f"hall:{window.hall_id}", f"window:{window.id}"]
                self.messages.extend(Message("window_changed", room, view) for room in rooms)
        for hall_id, window_id in self.removed_windows:
            self.messages.append(Message("window_removed", f"hall:{hall_id}", {"id": window_id}))
        for hall_id in sorted(self.halls):
            hall = s.get(Hall, hall_id)
            if hall is not None:
                payload = {**views.hall_view(hall), "notice": hall.notice}
                self.messages.append(Message("hall_changed", f"hall:{hall_id}", payload))
        if self.deps.queue_changes is None:  # else the deployment's throttle sends them
            for hall_id in sorted(self.queues):
                hall = s.get(Hall, hall_id)
                if hall is not None:
                    status = views.QueueStatus(s, hall, self.now)
                    self.messages.append(views.queue_changed(status))
        if self.devices:
            for hall_id in sorted(self.devices):
                self.messages.append(
                    Message("devices_changed", f"hall:{hall_id}", {"hall": hall_id})
                )


@contextmanager
def changing(deps: Deps, actor: Actor) -> Iterator[Change]:
    """One configuration change: a transaction, then the messages once it committed."""
    scope.require_console(actor)
    with deps.db.transaction() as session:
        # Checks read the stored state; a use case flushes its own changes when it means to.
        session.autoflush = False
        change = Change(deps, session, actor, deps.clock.now())
        yield change
        change.finalize()
    deps.bus.publish(change.messages)
    if deps.queue_changes is not None:
        for hall_id in sorted(change.queues):
            deps.queue_changes.touch(hall_id)


def _get(session: Session, cls: type, object_id: int, zh: str, en: str) -> Any:
    found = session.get(cls, object_id)
    if found is None:
        raise NotFound(zh, en)
    return found


# =============================================================================================
# Reads shared by pages and the API


def hall_tree(deps: Deps, actor: Actor) -> list[dict[str, Any]]:
    """The halls the actor may manage, depth-first from the top, each with its depth."""
    from ..domain.reports import tree_order

    with deps.db.reading() as session:
        visible = scope.visible_halls(session, actor)
        parents = scope.hall_parents(session)
        halls = {
            h.id: h for h in session.scalars(select(Hall).where(tables.halls.c.id.in_(visible)))
        }
        return [
            {
                **views.hall_view(halls[hall_id]),
                "depth": depth,
                "kind_name": HALL_KIND_NAMES[halls[hall_id].kind][0],
                "kind_name_en": HALL_KIND_NAMES[halls[hall_id].kind][1],
            }
            for hall_id, depth in tree_order(parents, visible)
        ]


def hall_detail(deps: Deps, actor: Actor, hall_id: int) -> dict[str, Any]:
    """A hall's settings as the console edits them."""
    with deps.db.reading() as session:
        hall = scope.require_hall(session, actor, hall_id)
        return hall_settings_view(hall)


def hall_settings_view(hall: Hall) -> dict[str, Any]:
    """Everything the console shows of a hall's own settings."""
    return {
        **views.hall_view(hall),
        "kind_name": HALL_KIND_NAMES[hall.kind][0],
        "day_starts_at_minute": hall.day_starts_at_minute,
        "notice": hall.notice,
        "flexible": flexible_rule(hall).as_dict(),
        "hours": hall.hours,
    }


def overview(deps: Deps, actor: Actor) -> list[dict[str, Any]]:
    """Each hall in reach with today's tickets, open alarms and overdue follow-ups."""
    from . import complaints

    tree = hall_tree(deps, actor)
    now = deps.clock.now()
    with deps.db.reading() as session:
        for entry in tree:
            hall = views.get_hall(session, entry["id"])
            entry["today"] = views.count_today(session, hall, now)
            entry["waiting"] = entry["today"].get(TicketState.WAITING.value, 0)
            entry["issued"] = sum(entry["today"].values())
            entry["alarms"] = session.scalar(
                select(func.count()).where(
                    tables.alarms.c.hall_id == hall.id, tables.alarms.c.cleared_at.is_(None)
                )
            )
            entry["open_windows"] = session.scalar(
                select(func.count()).where(W.c.hall_id == hall.id, W.c.status == WindowStatus.OPEN)
            )
            entry["follow_ups_overdue"] = complaints.overdue_follow_ups(session, hall, now)
    return tree


# =============================================================================================
# Halls


def _check_parent(session: Session, change: Change, kind: HallKind, parent_id: int | None) -> None:
    if parent_id is None:
        scope.require_admin(change.actor)  # only an admin adds a hall at the top of a tree
        return
    parent = session.get(Hall, parent_id)
    if parent is None:
        raise field_error("parent_id", "找不到上级大厅", "No such parent hall")
    change.hall(parent_id)
    if HALL_DEPTH[kind] <= HALL_DEPTH[parent.kind]:
        raise field_error(
            "kind",
            f"{HALL_KIND_NAMES[kind][0]}不能设在{HALL_KIND_NAMES[parent.kind][0]}之下",
            f"A {HALL_KIND_NAMES[kind][1]} cannot sit under a {HALL_KIND_NAMES[parent.kind][1]}",
        )


def _check_timezone(name: str) -> str:
    name = name or "Asia/Shanghai"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise field_error("timezone", f"未知时区：{name}", f"Unknown time zone: {name}") from None
    return name


HALL_AUDIT = ("name", "name_en", "kind", "parent_id", "timezone")


def create_hall(deps: Deps, actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    """Add a hall under one the actor manages (an admin may add a top-level hall)."""
    values = clean(HALL_FIELDS, data, partial=False)
    kind = HallKind(values["kind"])
    with changing(deps, actor) as change:
        s = change.session
        _check_parent(s, change, kind, values.get("parent_id"))
        hall = Hall(
            name=values["name"],
            name_en=values.get("name_en", ""),
            kind=kind,
            parent_id=values.get("parent_id"),
            timezone=_check_timezone(values.get("timezone", "")),
        )
        s.add(hall)
        s.flush()
        change.record("hall.create", hall.id, hall.name, None, snapshot(hall, HALL_AUDIT))
        result = hall_settings_view(hall)
    return result


def update_hall(deps: Deps, actor: Actor, hall_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Change a hall's name, level, parent or time zone."""
    values = clean(HALL_FIELDS, data, partial=True)
    with changing(deps, actor) as change:
        s = change.session
        hall = change.hall(hall_id)
        before = snapshot(hall, HALL_AUDIT)
        kind = HallKind(values.get("kind", hall.kind))
        if "parent_id" in values and values["parent_id"] != hall.parent_id:
            new_parent = values["parent_id"]
            if actor.role != Role.ADMIN and hall_id == actor.hall_id:
                raise field_error(
                    "parent_id",
                    "不能移动您自己所在的大厅",
                    "You cannot move the hall you belong to",
                )
            from ..domain.reports import subtree

            if new_parent is not None and new_parent in subtree(scope.hall_parents(s), hall_id):
                raise field_error(
                    "parent_id",
                    "上级大厅不能是本厅或其下属站点",
                    "A hall cannot sit under itself or a hall below it",
                )
            _check_parent(s, change, kind, new_parent)
        elif "kind" in values and hall.parent_id is not None:
            _check_parent(s, change, kind, hall.parent_id)
        for key in ("name", "name_en", "parent_id"):
            if key in values:
                setattr(hall, key, values[key])
        hall.kind = kind
        if "timezone" in values:
            hall.timezone = _check_timezone(values["timezone"])
        after = snapshot(hall, HALL_AUDIT)
        change.record("hall.update", hall.id, hall.name, before, after)
        change.halls.add(hall_id)
        change.queues.add(hall_id)
        result = hall_settings_view(hall)
    return result


def set_service_day_start(
    deps: Deps, actor: Actor, hall_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    """When the hall's service day (and its numbering) starts."""
    values = clean(SERVICE_DAY_FIELDS, data, partial=False)
    with changing(deps, actor) as change:
        hall = change.hall(hall_id)
        before = {"day_starts_at_minute": hall.day_starts_at_minute}
        hall.day_starts_at_minute = values["day_starts_at_minute"]
        change.record(
            "hall.service_day",
            hall.id,
            hall.name,
            before,
            {"day_starts_at_minute": hall.day_starts_at_minute},
        )
        change.queues.add(hall_id)
        result = hall_settings_view(hall)
    return result


def set_notice(deps: Deps, actor: Actor, hall_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """The lobby notice (政务公开) shown on the lobby display and the kiosk."""
    values = clean(NOTICE_FIELDS, data, partial=False)
    with changing(deps, actor) as change:
        hall = change.hall(hall_id)
        before = {"notice": hall.notice}
        hall.notice = values.get("notice", "")
        change.record("hall.notice", hall.id, hall.name, before, {"notice": hall.notice})
        change.halls.add(hall_id)
        result = hall_settings_view(hall)
    return result


# =============================================================================================
# Flexible windows (机动窗口): when to suggest opening one


@dataclass(frozen=True)
class FlexibleRule:
    """Suggest a flexible window when a category has more than N waiting or M minutes' wait."""

    enabled: bool = False
    waiting_over: int = 15
    wait_minutes_over: int = 30

    def as_dict(self) -> dict[str, Any]:
        """As stored in the hall's settings."""
        return {
            "enabled": self.enabled,
            "waiting_over": self.waiting_over,
            "wait_minutes_over": self.wait_minutes_over,
        }

    def crowded(self, categories: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The categories past the rule's limits."""
        if not self.enabled:
            return []
        return [
            c
            for c in categories
            if int(c.get("waiting") or 0) > self.waiting_over
            or int(c.get("estimated_wait_minutes") or 0) > self.wait_minutes_over
        ]


def flexible_rule(hall: Hall) -> FlexibleRule:
    """The hall's flexible-window rule (off unless a manager set it)."""
    stored = (hall.settings or {}).get("flexible") or {}
    try:
        values = clean(FLEXIBLE_FIELDS, stored, partial=True)
    except InvalidInput:
        return FlexibleRule()
    return FlexibleRule(**values)


def set_flexible_rule(
    deps: Deps, actor: Actor, hall_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Set when managers are told to open a flexible window."""
    values = clean(FLEXIBLE_FIELDS, data, partial=False)
    rule = FlexibleRule(
        enabled=bool(values.get("enabled", False)),
        waiting_over=values["waiting_over"],
        wait_minutes_over=values["wait_minutes_over"],
    )
    with changing(deps, actor) as change:
        hall = change.hall(hall_id)
        before = flexible_rule(hall).as_dict()
        hall.settings = {**(hall.settings or {}), "flexible": rule.as_dict()}
        change.record("hall.flexible_rule", hall.id, hall.name, before, rule.as_dict())
        change.queues.add(hall_id)  # the rule is checked against the queue straight away
    deps.db.cache.setdefault(FLEXIBLE_CACHE, {}).pop(hall_id, None)
    return rule.as_dict()


FLEXIBLE_ALARM = "flexible_window"
FLEXIBLE_CACHE = "flexible_rules"
_FLEXIBLE_TTL = 10.0


class FlexibleWatch:
    """Follows `queue_changed` and raises (or clears) the 'open a flexible window' alarm."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def on_messages(self, batch: list[Message]) -> None:
        """Check each hall whose queue changed in this batch."""
        latest: dict[int, list[Mapping[str, Any]]] = {}
        for message in batch:
            if message.event == "queue_changed":
                latest[int(message.payload["hall"])] = message.payload.get("categories") or []
        for hall_id, categories in latest.items():
            self.check(hall_id, categories)

    def _rule_and_windows(self, hall_id: int) -> tuple[FlexibleRule, list[int]]:
        cache = self.deps.db.cache.setdefault(FLEXIBLE_CACHE, {})
        cached = cache.get(hall_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1], cached[2]
        with self.deps.db.reading() as session:
            hall = session.get(Hall, hall_id)
            rule = flexible_rule(hall) if hall is not None else FlexibleRule()
            closed = list(
                session.scalars(
                    select(W.c.number).where(
                        W.c.hall_id == hall_id,
                        W.c.type == WindowType.FLEXIBLE,
                        W.c.status != WindowStatus.OPEN,
                    )
                )
            )
        # Window states change often; only the rule is cached long, so re-read windows soon.
        cache[hall_id] = (time.monotonic() + _FLEXIBLE_TTL, rule, closed)
        return rule, closed

    def check(self, hall_id: int, categories: Sequence[Mapping[str, Any]]) -> bool:
        """Raise the alarm when a category is crowded and a flexible window is not open."""
        rule, closed = self._rule_and_windows(hall_id)
        if not rule.enabled:
            return False
        crowded = rule.crowded(categories)
        # A read first: raising is a write, and queues change with every ticket.
        raised = any(a["kind"] == FLEXIBLE_ALARM for a in alarms.open_alarms(self.deps, hall_id))
        if crowded and closed:
            if raised:
                return True
            worst = max(crowded, key=lambda c: int(c.get("estimated_wait_minutes") or 0))
            windows = "、".join(f"{n} 号" for n in sorted(closed))
            alarms.raise_alarm(
                self.deps,
                hall_id,
                FLEXIBLE_ALARM,
                f"建议开放机动窗口（{windows}）：{worst['name']} 等候 {worst['waiting']} 人，"
                f"预计等候 {worst['estimated_wait_minutes']} 分钟",
                f"Open a flexible window ({', '.join(str(n) for n in sorted(closed))}): "
                f"{worst.get('name_en') or worst['name']} has {worst['waiting']} waiting, "
                f"about {worst['estimated_wait_minutes']} min",
                detail={"category_id": worst.get("id"), "windows": sorted(closed)},
            )
            return True
        if raised:
            alarms.clear_alarms(self.deps, hall_id, FLEXIBLE_ALARM)
        return False


# =============================================================================================
# Categories

CATEGORY_AUDIT = tuple(spec.key for spec in CATEGORY_FIELDS)


def category_admin_view(category: Category) -> dict[str, Any]:
    """A category with every configurable field."""
    return {"id": category.id, "hall_id": category.hall_id, **snapshot(category, CATEGORY_AUDIT)}


def list_categories(deps: Deps, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
    """The hall's categories, active ones first in display order."""
    with deps.db.reading() as session:
        scope.require_hall(session, actor, hall_id)
        return [category_admin_view(c) for c in _categories(session, hall_id)]


def get_category(deps: Deps, actor: Actor, category_id: int) -> dict[str, Any]:
    """One category."""
    with deps.db.reading() as session:
        category = _get(session, Category, category_id, "找不到该业务类别", "No such category")
        scope.require_hall(session, actor, category.hall_id)
        return category_admin_view(category)


def _categories(session: Session, hall_id: int) -> list[Category]:
    return list(
        session.scalars(
            select(Category)
            .where(C.c.hall_id == hall_id)
            .order_by(C.c.active.desc(), C.c.sort_order, C.c.prefix)
        )
    )


def save_category(
    deps: Deps,
    actor: Actor,
    hall_id: int | None,
    category_id: int | None,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """Add a category to a hall (category_id None) or change one."""
    data = dict(data)
    if isinstance(data.get("prefix"), str):
        data["prefix"] = data["prefix"].strip().upper()
    values = clean(CATEGORY_FIELDS, data, partial=category_id is not None)
    with changing(deps, actor) as change:
        s = change.session
        if category_id is None:
            assert hall_id is not None
            hall = change.hall(hall_id)
            category = Category(hall_id=hall.id or 0, prefix=values["prefix"], name=values["name"])
            before = None
            s.add(category)
        else:
            category = _get(s, Category, category_id, "找不到该业务类别", "No such category")
            hall = change.hall(category.hall_id)
            before = snapshot(category, CATEGORY_AUDIT)
            if "prefix" in values and values["prefix"] != category.prefix:
                issued = s.scalar(
                    select(func.count()).where(
                        tables.tickets.c.category_id == category.id,
                        tables.tickets.c.service_day == views.today(hall, change.now),
                    )
                )
                if issued:
                    raise field_error(
                        "prefix",
                        "今天已有该类别的号，前缀请在下班后修改",
                        "Tickets of this category were issued today; change the prefix after hours",
                    )
        for key, value in values.items():
            setattr(category, key, value)
        try:
            category.validate()
        except InvalidInput as problem:
            raise field_error(
                "prefix"
                if "前缀" in problem.message
                else ("daily_cap" if "上限" in problem.message else "name"),
                problem.message,
                problem.message_en,
            ) from None
        clash = s.scalar(
            select(C.c.id).where(
                C.c.hall_id == category.hall_id,
                C.c.prefix == category.prefix,
                C.c.id != (category.id or 0),
            )
        )
        if clash is not None:
            raise field_error(
                "prefix",
                f"本大厅已有前缀为 {category.prefix} 的类别",
                f"This hall already has a category with prefix {category.prefix}",
            )
        s.flush()
        change.record(
            "category.create" if before is None else "category.update",
            category.hall_id,
            f"{category.prefix} {category.name}",
            before,
            snapshot(category, CATEGORY_AUDIT),
        )
        change.queues.add(category.hall_id)
        # Window displays list the names of the categories they serve.
        for window in s.scalars(select(Window).where(W.c.hall_id == category.hall_id)):
            if category.id in window.category_ids:
                change.windows.add(window.id or 0)
        result = category_admin_view(category)
    return result


# =============================================================================================
# Windows

WINDOW_AUDIT = ("number", "name", "type", "category_ids")


def _posts(session: Session, window_id: int) -> dict[str, int]:
    return {
        str(post.value if isinstance(post, Post) else post): int(clerk)
        for post, clerk in session.execute(
            select(WP.c.post, WP.c.clerk_id).where(WP.c.window_id == window_id)
        )
    }


def _bound_devices(session: Session, window_id: int) -> list[int]:
    return [
        int(d)
        for d in session.scalars(
            select(D.c.id)
            .where(D.c.window_id == window_id, D.c.kind.in_(WINDOW_DEVICE_KINDS))
            .order_by(D.c.id)
        )
    ]


def window_admin_view(session: Session, window: Window) -> dict[str, Any]:
    """A window's configuration: type, categories in order, A/B posts, bound devices."""
    posts = _posts(session, window.id or 0)
    zh, en = WINDOW_TYPE_NAMES[window.type]
    return {
        "id": window.id,
        "hall_id": window.hall_id,
        "number": window.number,
        "name": window.name,
        "type": window.type.value,
        "type_name": zh,
        "type_name_en": en,
        "status": window.status.value,
        "category_ids": list(window.category_ids),
        "post_a": posts.get("A"),
        "post_b": posts.get("B"),
        "device_ids": _bound_devices(session, window.id or 0),
    }


def _window_audit(session: Session, window: Window) -> dict[str, Any]:
    view = window_admin_view(session, window)
    return {k: view[k] for k in (*WINDOW_AUDIT, "post_a", "post_b", "device_ids")}


def list_windows(deps: Deps, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
    """The hall's windows by number with their configuration."""
    with deps.db.reading() as session:
        scope.require_hall(session, actor, hall_id)
        return [
            window_admin_view(session, w)
            for w in session.scalars(
                select(Window).where(W.c.hall_id == hall_id).order_by(W.c.number)
            )
        ]


def get_window(deps: Deps, actor: Actor, window_id: int) -> dict[str, Any]:
    """One window's configuration."""
    with deps.db.reading() as session:
        window = _get(session, Window, window_id, "找不到该窗口", "No such window")
        scope.require_hall(session, actor, window.hall_id)
        return window_admin_view(session, window)


def _check_window_categories(
    session: Session, hall_id: int, wtype: WindowType, ids: list[int]
) -> None:
    if ids:
        found = set(session.scalars(select(C.c.id).where(C.c.hall_id == hall_id, C.c.id.in_(ids))))
        if found != set(ids):
            raise field_error(
                "category_ids", "所选业务不属于本大厅", "A chosen category is not of this hall"
            )
    elif wtype != WindowType.COMPREHENSIVE:
        raise field_error(
            "category_ids",
            "固定窗口和机动窗口须至少办理一类业务",
            "A fixed or flexible window must serve at least one category",
        )


def _check_post(session: Session, hall_id: int, key: str, clerk_id: int | None) -> None:
    if clerk_id is None:
        return
    clerk = session.get(Clerk, clerk_id)
    if clerk is None or clerk.hall_id != hall_id or not clerk.active:
        raise field_error(
            key, "岗位人员须为本大厅在岗人员", "A post must be held by active staff of this hall"
        )


def _set_post(session: Session, window_id: int, post: Post, clerk_id: int | None) -> None:
    session.execute(delete(WP).where(WP.c.window_id == window_id, WP.c.post == post.value))
    if clerk_id is not None:
        session.execute(insert(WP).values(window_id=window_id, post=post.value, clerk_id=clerk_id))


def _bind_devices(change: Change, hall_id: int, window_id: int, device_ids: list[int]) -> None:
    s = change.session
    rows = s.execute(select(D.c.id, D.c.hall_id, D.c.kind).where(D.c.id.in_(device_ids))).all()
    if len(rows) != len(device_ids) or any(
        r.hall_id != hall_id or r.kind not in WINDOW_DEVICE_KINDS for r in rows
    ):
        raise field_error(
            "device_ids",
            "只能绑定本大厅的显示屏、条屏和评价器",
            "Only screens, LED boards and keypads of this hall can be bound",
        )
    current = set(_bound_devices(s, window_id))
    if current == set(device_ids):
        return
    s.execute(
        update(D)
        .where(
            D.c.window_id == window_id, D.c.kind.in_(WINDOW_DEVICE_KINDS), D.c.id.not_in(device_ids)
        )
        .values(window_id=None)
    )
    if device_ids:
        s.execute(update(D).where(D.c.id.in_(device_ids)).values(window_id=window_id))
    change.devices.add(hall_id)


def save_window(
    deps: Deps,
    actor: Actor,
    hall_id: int | None,
    window_id: int | None,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """Add a window to a hall (window_id None) or change one: kiosks and displays follow."""
    values = clean(WINDOW_FIELDS, data, partial=window_id is not None)
    with changing(deps, actor) as change:
        s = change.session
        if window_id is None:
            assert hall_id is not None
            hall = change.hall(hall_id)
            window = Window(
                hall_id=hall.id or 0,
                number=values["number"],
                name=values["name"],
                type=WindowType(values["type"]),
                status=WindowStatus.CLOSED,
            )
            before = None
            s.add(window)
        else:
            window = _get(s, Window, window_id, "找不到该窗口", "No such window")
            change.hall(window.hall_id)
            before = _window_audit(s, window)
        for key in ("number", "name"):
            if key in values:
                setattr(window, key, values[key])
        if "type" in values:
            window.type = WindowType(values["type"])
        if "category_ids" in values:
            window.category_ids = list(values["category_ids"])
        _check_window_categories(s, window.hall_id, window.type, list(window.category_ids))
        clash = s.scalar(
            select(W.c.id).where(
                W.c.hall_id == window.hall_id,
                W.c.number == window.number,
                W.c.id != (window.id or 0),
            )
        )
        if clash is not None:
            raise field_error(
                "number",
                f"本大厅已有 {window.number} 号窗口",
                f"Window {window.number} already exists",
            )
        s.flush()
        posts = _posts(s, window.id or 0)
        post_a = values.get("post_a", posts.get("A"))
        post_b = values.get("post_b", posts.get("B"))
        _check_post(s, window.hall_id, "post_a", post_a)
        _check_post(s, window.hall_id, "post_b", post_b)
        if post_a is not None and post_a == post_b:
            raise field_error("post_b", "A岗和B岗不能是同一人", "The A and B posts need two people")
        if "post_a" in values:
            _set_post(s, window.id or 0, Post.A, post_a)
        if "post_b" in values:
            _set_post(s, window.id or 0, Post.B, post_b)
        if "device_ids" in values:
            _bind_devices(change, window.hall_id, window.id or 0, values["device_ids"])
        s.flush()
        after = _window_audit(s, window)
        change.record(
            "window.create" if before is None else "window.update",
            window.hall_id,
            f"window {window.number}",
            before,
            after,
        )
        change.windows.add(window.id or 0)
        change.queues.add(window.hall_id)
        result = window_admin_view(s, window)
    return result


def delete_window(deps: Deps, actor: Actor, window_id: int) -> None:
    """Remove a closed window that never served anyone (others are kept for the reports)."""
    with changing(deps, actor) as change:
        s = change.session
        window = _get(s, Window, window_id, "找不到该窗口", "No such window")
        change.hall(window.hall_id)
        if window.status != WindowStatus.CLOSED:
            raise Conflict("请先关闭该窗口再删除", "Close the window before removing it")
        used = s.scalar(
            select(func.count()).where(
                or_(
                    tables.tickets.c.window_id == window_id,
                    tables.tickets.c.target_window_id == window_id,
                )
            )
        ) or s.scalar(select(func.count()).where(tables.service_records.c.window_id == window_id))
        if used:
            raise Conflict(
                "该窗口已有办理记录，不能删除，可保持关闭",
                "This window has served tickets; it is kept for the reports (leave it closed)",
            )
        before = _window_audit(s, window)
        s.execute(delete(WP).where(WP.c.window_id == window_id))
        s.execute(update(D).where(D.c.window_id == window_id).values(window_id=None))
        hall_id = window.hall_id
        s.delete(window)
        change.record("window.delete", hall_id, f"window {before['number']}", before, None)
        change.removed_windows.append((hall_id, window_id))
        change.queues.add(hall_id)
        change.devices.add(hall_id)


# =============================================================================================
# Service items (事项清单), their import and export

ITEM_AUDIT = tuple(spec.key for spec in ITEM_FIELDS if spec.key != "target_service_minutes")
EXPORT_COLUMNS = (
    "code",
    "name",
    "name_en",
    "category",
    "item_type",
    "legal_basis",
    "time_limit_days",
    "conditions",
    "steps",
    "materials",
    "fee",
    "department",
    "village_proxy",
    "online",
    "active",
    "target_service_minutes",
)


def _targets(session: Session, item_ids: list[int]) -> dict[int, int]:
    if not item_ids:
        return {}
    return {
        int(item): int(minutes)
        for item, minutes in session.execute(
            select(ST.c.service_item_id, ST.c.minutes).where(ST.c.service_item_id.in_(item_ids))
        )
    }


def item_admin_view(item: ServiceItem, target: int | None) -> dict[str, Any]:
    """A service item with every catalogue field."""
    return {
        "id": item.id,
        "hall_id": item.hall_id,
        **snapshot(item, ITEM_AUDIT),
        "target_service_minutes": target,
    }


def list_items(deps: Deps, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
    """The hall's catalogue by code."""
    with deps.db.reading() as session:
        scope.require_hall(session, actor, hall_id)
        items = list(
            session.scalars(select(ServiceItem).where(SI.c.hall_id == hall_id).order_by(SI.c.code))
        )
        targets = _targets(session, [i.id or 0 for i in items])
        return [item_admin_view(i, targets.get(i.id or 0)) for i in items]


def get_item(deps: Deps, actor: Actor, item_id: int) -> dict[str, Any]:
    """One service item."""
    with deps.db.reading() as session:
        item = _get(session, ServiceItem, item_id, "找不到该事项", "No such service item")
        scope.require_hall(session, actor, item.hall_id)
        return item_admin_view(item, _targets(session, [item_id]).get(item_id))


def _apply_item(change: Change, item: ServiceItem, values: Mapping[str, Any]) -> None:
    s = change.session
    if "category_id" in values and values["category_id"] is not None:
        category = s.get(Category, values["category_id"])
        if category is None or category.hall_id != item.hall_id:
            raise field_error(
                "category_id", "所选类别不属于本大厅", "The category is not of this hall"
            )
    for key in ITEM_AUDIT:
        if key in values:
            setattr(item, key, list(values[key]) if isinstance(values[key], list) else values[key])
    clash = s.scalar(
        select(SI.c.id).where(
            SI.c.hall_id == item.hall_id, SI.c.code == item.code, SI.c.id != (item.id or 0)
        )
    )
    if clash is not None:
        raise field_error(
            "code", f"本大厅已有编码为 {item.code} 的事项", f"Item code {item.code} exists already"
        )
    s.flush()
    if "target_service_minutes" in values:
        s.execute(delete(ST).where(ST.c.service_item_id == item.id))
        if values["target_service_minutes"] is not None:
            s.execute(
                insert(ST).values(service_item_id=item.id, minutes=values["target_service_minutes"])
            )


def save_item(
    deps: Deps, actor: Actor, hall_id: int | None, item_id: int | None, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Add a service item to the hall's catalogue (item_id None) or change one."""
    values = clean(ITEM_FIELDS, data, partial=item_id is not None)
    with changing(deps, actor) as change:
        s = change.session
        if item_id is None:
            assert hall_id is not None
            hall = change.hall(hall_id)
            item = ServiceItem(hall_id=hall.id or 0, code=values["code"], name=values["name"])
            s.add(item)
            before = None
        else:
            item = _get(s, ServiceItem, item_id, "找不到该事项", "No such service item")
            change.hall(item.hall_id)
            before = {
                **snapshot(item, ITEM_AUDIT),
                "target_service_minutes": _targets(s, [item_id]).get(item_id),
            }
        _apply_item(change, item, values)
        target = _targets(s, [item.id or 0]).get(item.id or 0)
        after = {**snapshot(item, ITEM_AUDIT), "target_service_minutes": target}
        change.record(
            "item.create" if before is None else "item.update",
            item.hall_id,
            f"{item.code} {item.name}",
            before,
            after,
        )
        change.halls.add(item.hall_id)
        result = item_admin_view(item, target)
    return result


def export_items(deps: Deps, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
    """The catalogue as rows for CSV or JSON (categories by prefix, so another hall can import)."""
    with deps.db.reading() as session:
        scope.require_hall(session, actor, hall_id)
        prefixes = {c.id: c.prefix for c in _categories(session, hall_id)}
        items = list(
            session.scalars(select(ServiceItem).where(SI.c.hall_id == hall_id).order_by(SI.c.code))
        )
        targets = _targets(session, [i.id or 0 for i in items])
        rows = []
        for item in items:
            row = snapshot(item, ITEM_AUDIT)
            row.pop("category_id")
            row["category"] = prefixes.get(item.category_id, "") if item.category_id else ""
            row["target_service_minutes"] = targets.get(item.id or 0)
            rows.append({key: row[key] for key in EXPORT_COLUMNS})
        return rows


def items_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as CSV (UTF-8 with a BOM so spreadsheet programs read the Chinese correctly)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        cells = []
        for key in EXPORT_COLUMNS:
            value = row.get(key)
            if isinstance(value, list):
                value = "\n".join(value)
            elif isinstance(value, bool):
                value = "1" if value else "0"
            elif value is None:
                value = ""
            cells.append(str(value))
        writer.writerow(cells)
    return "\ufeff" + out.getvalue()


_LIST_SPLIT = re.compile(r"\r?\n|；|;|\|")
_TRUE = {"1", "true", "yes", "y", "是", "t"}
_FALSE = {"0", "false", "no", "n", "否", "f", ""}


def parse_items_csv(text: str) -> list[dict[str, Any]]:
    """CSV rows (header row of column names) as typed dicts, ready for `import_items`."""
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if "code" not in header or "name" not in header:
        raise InvalidInput(
            "CSV 首行须为列名，至少包括 code 和 name",
            "The first CSV row must name the columns, with at least code and name",
        )
    unknown = [h for h in header if h not in EXPORT_COLUMNS]
    if unknown:
        raise InvalidInput(f"CSV 有未知的列：{unknown}", f"Unknown CSV columns: {unknown}")
    rows: list[dict[str, Any]] = []
    for number, raw in enumerate(reader, start=2):
        row: dict[str, Any] = {}
        for key, value in raw.items():
            if key is None:
                raise InvalidInput(f"第 {number} 行列数过多", f"Row {number} has too many cells")
            value = (value or "").strip()
            if key in ("steps", "materials"):
                row[key] = [part.strip() for part in _LIST_SPLIT.split(value) if part.strip()]
            elif key in ("village_proxy", "online", "active"):
                if value.lower() not in _TRUE | _FALSE:
                    raise InvalidInput(
                        f"第 {number} 行 {key} 须为 1 或 0", f"Row {number}: {key} must be 1 or 0"
                    )
                row[key] = value.lower() in _TRUE
            elif key in ("time_limit_days", "target_service_minutes"):
                if value == "":
                    row[key] = None if key == "target_service_minutes" else 0
                elif value.isdigit():
                    row[key] = int(value)
                else:
                    raise InvalidInput(
                        f"第 {number} 行 {key} 须为整数", f"Row {number}: {key} must be a number"
                    )
            else:
                row[key] = value
        rows.append(row)
    return rows


def import_items(
    deps: Deps, actor: Actor, hall_id: int, rows: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    """Add or update items by code, all or nothing; a bad row names its number."""
    if not isinstance(rows, Sequence) or len(rows) > 2000:
        raise InvalidInput(
            "导入内容须为事项列表（最多 2000 项）", "Import a list of at most 2000 items"
        )
    created = updated = 0
    with changing(deps, actor) as change:
        s = change.session
        hall = change.hall(hall_id)
        prefixes = {c.prefix: c.id for c in _categories(s, hall_id)}
        existing = {
            i.code: i for i in s.scalars(select(ServiceItem).where(SI.c.hall_id == hall_id))
        }
        seen: set[str] = set()
        for number, raw in enumerate(rows, start=1):
            if not isinstance(raw, Mapping):
                raise InvalidInput(f"第 {number} 项须为对象", f"Entry {number} must be an object")
            data = {k: v for k, v in raw.items() if k != "category"}
            prefix = raw.get("category")
            if prefix not in (None, ""):
                if prefix not in prefixes:
                    raise InvalidInput(
                        f"第 {number} 项：本大厅没有前缀为 {prefix} 的类别",
                        f"Entry {number}: this hall has no category {prefix}",
                    )
                data["category_id"] = prefixes[prefix]
            elif "category" in raw:
                data["category_id"] = None
            try:
                values = clean(ITEM_FIELDS, data, partial=False)
            except FieldErrors as problem:
                raise InvalidInput(
                    f"第 {number} 项：{problem.message}", f"Entry {number}: {problem.message_en}"
                ) from None
            if values["code"] in seen:
                raise InvalidInput(
                    f"第 {number} 项：编码 {values['code']} 重复",
                    f"Entry {number}: code {values['code']} appears twice",
                )
            seen.add(values["code"])
            item = existing.get(values["code"])
            if item is None:
                item = ServiceItem(hall_id=hall.id or 0, code=values["code"], name=values["name"])
                s.add(item)
                created += 1
            else:
                updated += 1
            try:
                _apply_item(change, item, values)
            except FieldErrors as problem:
                raise InvalidInput(
                    f"第 {number} 项：{problem.message}", f"Entry {number}: {problem.message_en}"
                ) from None
        change.record(
            "item.import",
            hall_id,
            f"{len(rows)} items",
            None,
            {"codes": sorted(seen)},
            created=created,
            updated=updated,
        )
        change.halls.add(hall_id)
    return {"created": created, "updated": updated}


# =============================================================================================
# Staff

CLERK_AUDIT = ("staff_no", "name", "role", "hall_id", "department", "photo_url", "active")


def clerk_admin_view(clerk: Clerk) -> dict[str, Any]:
    """A member of staff as the console shows them (never the password hash)."""
    zh, en = ROLE_NAMES[clerk.role]
    return {"id": clerk.id, **snapshot(clerk, CLERK_AUDIT), "role_name": zh, "role_name_en": en}


def list_clerks(deps: Deps, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
    """The staff of a hall (not of the halls below it), by staff number."""
    with deps.db.reading() as session:
        scope.require_hall(session, actor, hall_id)
        return [
            clerk_admin_view(c)
            for c in session.scalars(
                select(Clerk).where(K.c.hall_id == hall_id).order_by(K.c.staff_no)
            )
        ]


def get_clerk(deps: Deps, actor: Actor, clerk_id: int) -> dict[str, Any]:
    """One member of staff."""
    with deps.db.reading() as session:
        clerk = _get(session, Clerk, clerk_id, "找不到该工作人员", "No such member of staff")
        scope.require_hall(session, actor, clerk.hall_id)
        return clerk_admin_view(clerk)


def _check_photo(url: str) -> None:
    if (
        url
        and not (url.startswith(("https://", "http://", "/")))
        or any(c in url for c in "\"'<> ")
    ):
        raise field_error(
            "photo_url",
            "照片地址须以 http(s):// 或 / 开头",
            "The photo URL must start with http(s):// or /",
        )


def _revoke_tokens(session: Session, clerk_id: int) -> None:
    session.execute(delete(tables.auth_tokens).where(tables.auth_tokens.c.clerk_id == clerk_id))


def new_password() -> str:
    """A random password for a new or reset account (shown once)."""
    return auth.new_secret()[:12]


def save_clerk(
    deps: Deps, actor: Actor, clerk_id: int | None, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Add a member of staff (returns their first password once) or change one."""
    values = clean(CLERK_FIELDS, data, partial=clerk_id is not None)
    if "staff_no" in values and not STAFF_NO.fullmatch(values["staff_no"]):
        raise field_error(
            "staff_no",
            "工号只能包含字母、数字、- 和 _",
            "A staff number has letters, digits, - and _ only",
        )
    password = values.pop("password", "") if clerk_id is None else values.pop("password", None)
    if clerk_id is not None and password:
        raise field_error(
            "password", "请用“重置密码”修改密码", "Use the password reset to change a password"
        )
    if password and len(password) < MIN_PASSWORD:
        raise field_error(
            "password",
            f"密码至少 {MIN_PASSWORD} 位",
            f"A password has at least {MIN_PASSWORD} characters",
        )
    if "role" in values and Role(values["role"]) not in scope.grantable_roles(actor):
        raise field_error("role", "您不能授予系统管理员角色", "You cannot make someone an admin")
    with changing(deps, actor) as change:
        s = change.session
        if clerk_id is None:
            change.hall(values["hall_id"])
            clerk = Clerk(
                hall_id=values["hall_id"],
                staff_no=values["staff_no"],
                name=values["name"],
                role=Role(values["role"]),
            )
            shown_password = password or new_password()
            clerk.password_hash = auth.hash_password(shown_password)
            before = None
            s.add(clerk)
        else:
            clerk = _get(s, Clerk, clerk_id, "找不到该工作人员", "No such member of staff")
            change.hall(clerk.hall_id)
            if clerk.role == Role.ADMIN and actor.role != Role.ADMIN:
                scope.require_admin(actor)
            if clerk.id == actor.id and (
                values.get("role", clerk.role) != clerk.role or values.get("active") is False
            ):
                raise field_error(
                    "role",
                    "不能更改自己的角色或停用自己",
                    "You cannot change your own role or deactivate yourself",
                )
            if "hall_id" in values:
                change.hall(values["hall_id"])
            shown_password = ""
            before = snapshot(clerk, CLERK_AUDIT)
        for key in ("staff_no", "name", "hall_id", "department", "photo_url", "active"):
            if key in values:
                setattr(clerk, key, values[key])
        if "role" in values:
            clerk.role = Role(values["role"])
        _check_photo(clerk.photo_url)
        clash = s.scalar(
            select(K.c.id).where(K.c.staff_no == clerk.staff_no, K.c.id != (clerk.id or 0))
        )
        if clash is not None:
            raise field_error(
                "staff_no",
                f"工号 {clerk.staff_no} 已被使用",
                f"Staff number {clerk.staff_no} is taken",
            )
        s.flush()
        if before is not None and not clerk.active:
            _revoke_tokens(s, clerk.id or 0)
        change.record(
            "clerk.create" if before is None else "clerk.update",
            clerk.hall_id,
            clerk.staff_no,
            before,
            snapshot(clerk, CLERK_AUDIT),
        )
        # Window displays show the clerk on duty: name, number, department, photo.
        for window_id in s.scalars(select(W.c.id).where(W.c.active_clerk_id == clerk.id)):
            change.windows.add(int(window_id))
        result = clerk_admin_view(clerk)
        if shown_password:
            result["password"] = shown_password
    return result


def reset_password(deps: Deps, actor: Actor, clerk_id: int) -> str:
    """A new random password (shown once); the person's sign-ins end at once."""
    password = new_password()
    with changing(deps, actor) as change:
        s = change.session
        clerk = _get(s, Clerk, clerk_id, "找不到该工作人员", "No such member of staff")
        change.hall(clerk.hall_id)
        if clerk.role == Role.ADMIN:
            scope.require_admin(actor)
        clerk.password_hash = auth.hash_password(password)
        _revoke_tokens(s, clerk_id)
        change.record("clerk.reset_password", clerk.hall_id, clerk.staff_no, None, None)
    return password


def set_clerk_photo(deps: Deps, actor: Actor, clerk_id: int, url: str) -> dict[str, Any]:
    """Point a clerk's photo at an uploaded file (the upload itself is the web layer's)."""
    return save_clerk(deps, actor, clerk_id, {"photo_url": url})


# =============================================================================================
# Devices

DEVICE_STALE = timedelta(minutes=10)


def device_admin_view(
    row: Any, device_alarms: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    """A device with its link, window, last sign of life and health (never its token)."""
    config = dict(row.config or {})
    names = {kind: (zh, en) for kind, zh, en in DEVICE_KINDS}
    zh, en = names.get(row.kind, (row.kind, row.kind))
    if device_alarms:
        health, health_zh, health_en = "alarm", "告警", "Alarm"
    elif row.last_seen_at is not None and now - row.last_seen_at > DEVICE_STALE:
        health, health_zh, health_en = "stale", "长时间未上线", "Not seen lately"
    elif row.last_seen_at is None and not row.health:
        health, health_zh, health_en = "unknown", "未上报", "No report yet"
    else:
        health, health_zh, health_en = "ok", "正常", "OK"
    return {
        "id": row.id,
        "hall_id": row.hall_id,
        "kind": row.kind,
        "kind_name": zh,
        "kind_name_en": en,
        "name": row.name,
        "window_id": row.window_id,
        "url": config.get("url") or config.get("printer") or "",
        "last_seen_at": views.iso(row.last_seen_at),
        "health": health,
        "health_name": health_zh,
        "health_name_en": health_en,
        "alarms": device_alarms,
    }


def _device_views(session: Session, hall_id: int, now: datetime) -> list[dict[str, Any]]:
    open_alarms = session.execute(
        select(tables.alarms).where(
            tables.alarms.c.hall_id == hall_id, tables.alarms.c.cleared_at.is_(None)
        )
    ).all()
    by_device: dict[int, list[dict[str, Any]]] = {}
    for alarm in open_alarms:
        if alarm.device_id is not None:
            by_device.setdefault(alarm.device_id, []).append(
                {"kind": alarm.kind, "message": alarm.message, "message_en": alarm.message_en}
            )
    rows = session.execute(select(D).where(D.c.hall_id == hall_id).order_by(D.c.kind, D.c.id)).all()
    return [device_admin_view(row, by_device.get(row.id, []), now) for row in rows]


def list_devices(deps: Deps, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
    """The hall's devices with their health."""
    with deps.db.reading() as session:
        scope.require_hall(session, actor, hall_id)
        return _device_views(session, hall_id, deps.clock.now())


def _device_row(session: Session, device_id: int) -> Any:
    row = session.execute(select(D).where(D.c.id == device_id)).first()
    if row is None:
        raise NotFound("找不到该设备", "No such device")
    return row


def get_device(deps: Deps, actor: Actor, device_id: int) -> dict[str, Any]:
    """One device with its health."""
    with deps.db.reading() as session:
        row = _device_row(session, device_id)
        scope.require_hall(session, actor, row.hall_id)
        return next(
            d for d in _device_views(session, row.hall_id, deps.clock.now()) if d["id"] == device_id
        )


def _device_config(kind: str, url: str, config: dict[str, Any]) -> dict[str, Any]:
    config = dict(config)
    if kind in SERIAL_KINDS:
        if url:
            try:
                parse_serial_url(url)
            except DeviceConfigError as problem:
                raise field_error("url", problem.message, problem.message_en) from None
            config["url"] = url
        else:
            config.pop("url", None)
    elif kind == "printer":
        if url:
            config["url"] = url
        else:
            config.pop("url", None)
    elif url:
        raise field_error(
            "url",
            "该类设备无需连接地址",
            "This kind of device has no link URL (kiosk printers: see the kiosk)",
        )
    return config


def save_device(
    deps: Deps, actor: Actor, hall_id: int | None, device_id: int | None, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Add a device (its token is returned once) or change its name, window or link."""
    values = clean(DEVICE_FIELDS, data, partial=device_id is not None)
    token = ""
    with changing(deps, actor) as change:
        s = change.session
        if device_id is None:
            assert hall_id is not None
            change.hall(hall_id)
            kind, name, window_id, config = (
                values["kind"],
                values["name"],
                values.get("window_id"),
                {},
            )
            before = None
        else:
            row = _device_row(s, device_id)
            change.hall(row.hall_id)
            hall_id = row.hall_id
            if "kind" in values and values["kind"] != row.kind:
                raise field_error("kind", "设备类型不能修改", "A device's kind cannot change")
            kind, name = row.kind, values.get("name", row.name)
            window_id = values.get("window_id", row.window_id)
            config = dict(row.config or {})
            before = {"name": row.name, "window_id": row.window_id, "config": row.config}
        if window_id is not None:
            window = s.get(Window, window_id)
            if window is None or window.hall_id != hall_id:
                raise field_error(
                    "window_id", "所选窗口不属于本大厅", "The window is not of this hall"
                )
        if "url" in values:
            config = _device_config(kind, values["url"], config)
        if device_id is None:
            token = auth.new_secret()
            device_id = s.execute(
                insert(D)
                .values(
                    hall_id=hall_id,
                    kind=kind,
                    name=name,
                    token_hash=auth.token_digest(token),
                    config=config,
                    window_id=window_id,
                    health={},
                )
                .returning(D.c.id)
            ).scalar_one()
        else:
            s.execute(
                update(D)
                .where(D.c.id == device_id)
                .values(name=name, window_id=window_id, config=config)
            )
        after = {"name": name, "window_id": window_id, "config": config}
        change.record(
            "device.create" if before is None else "device.update",
            hall_id,
            f"device {device_id} {name}",
            before,
            after,
        )
        change.devices.add(hall_id)
        if before is not None and before["window_id"] is not None:
            change.windows.add(int(before["window_id"]))
        if window_id is not None:
            change.windows.add(int(window_id))
        result = next(d for d in _device_views(s, hall_id, change.now) if d["id"] == device_id)
    if token:
        result["token"] = token
    return result


def rotate_device_token(deps: Deps, actor: Actor, device_id: int) -> str:
    """A new token for a device (shown once); the old one stops working at once."""
    token = auth.new_secret()
    with changing(deps, actor) as change:
        row = _device_row(change.session, device_id)
        change.hall(row.hall_id)
        change.session.execute(
            update(D).where(D.c.id == device_id).values(token_hash=auth.token_digest(token))
        )
        change.record(
            "device.rotate_token", row.hall_id, f"device {device_id} {row.name}", None, None
        )
    return token


def delete_device(deps: Deps, actor: Actor, device_id: int) -> None:
    """Remove a device: its token stops working and its alarms are cleared."""
    with changing(deps, actor) as change:
        s = change.session
        row = _device_row(s, device_id)
        change.hall(row.hall_id)
        s.execute(
            update(tables.alarms)
            .where(tables.alarms.c.device_id == device_id, tables.alarms.c.cleared_at.is_(None))
            .values(cleared_at=change.now)
        )
        s.execute(delete(D).where(D.c.id == device_id))
        change.record(
            "device.delete",
            row.hall_id,
            f"device {device_id} {row.name}",
            {"kind": row.kind, "name": row.name, "window_id": row.window_id, "config": row.config},
            None,
        )
        change.devices.add(row.hall_id)


# =============================================================================================
# Live monitor


def _target_minutes(session: Session, ticket: Ticket, categories: dict[int, Category]) -> int:
    if ticket.service_item_id is not None:
        target = _targets(session, [ticket.service_item_id]).get(ticket.service_item_id)
        if target is not None:
            return target
    category = categories.get(ticket.category_id)
    return category.default_service_minutes if category else 6


def monitor_snapshot(deps: Deps, actor: Actor, hall_id: int) -> dict[str, Any]:
    """All windows of a hall on one page: status, clerk, current ticket and how long it has been
    served against its target, queues with estimated waits, device health, open alarms."""
    now = deps.clock.now()
    with deps.db.reading() as session:
        hall = scope.require_hall(session, actor, hall_id)
        status = views.QueueStatus(session, hall, now)
        categories = {c.id or 0: c for c in _categories(session, hall_id)}
        clerks = {c.id: c for c in session.scalars(select(Clerk).where(K.c.hall_id == hall_id))}
        served_today: dict[Any, int] = dict(
            session.execute(
                select(tables.tickets.c.window_id, func.count())
                .where(
                    tables.tickets.c.hall_id == hall_id,
                    tables.tickets.c.service_day == views.today(hall, now),
                    tables.tickets.c.state == TicketState.DONE,
                )
                .group_by(tables.tickets.c.window_id)
            ).all()
        )
        devices = _device_views(session, hall_id, now)
        windows = []
        for window in status.windows:
            current = session.scalars(
                select(Ticket)
                .where(
                    tables.tickets.c.window_id == window.id,
                    tables.tickets.c.state.in_([TicketState.CALLED, TicketState.SERVING]),
                )
                .limit(1)
            ).first()
            clerk = clerks.get(window.active_clerk_id) if window.active_clerk_id else None
            posts = _posts(session, window.id or 0)
            current_view = None
            if current is not None:
                target = _target_minutes(session, current, categories)
                item = (
                    session.get(ServiceItem, current.service_item_id)
                    if current.service_item_id
                    else None
                )
                category = categories.get(current.category_id)
                since = current.started_at or current.called_at
                elapsed = (now - since).total_seconds() if since else 0
                current_view = {
                    "number": current.number,
                    "state": current.state.value,
                    "category": category.name if category else "",
                    "item": item.name if item else "",
                    "called_at": views.iso(current.called_at),
                    "started_at": views.iso(current.started_at),
                    "serving_seconds": int(elapsed) if current.started_at else None,
                    "target_minutes": target,
                    "over_target": current.started_at is not None and elapsed > target * 60,
                }
            zh, en = WINDOW_TYPE_NAMES[window.type]
            windows.append(
                {
                    "id": window.id,
                    "number": window.number,
                    "name": window.name,
                    "type": window.type.value,
                    "type_name": zh,
                    "type_name_en": en,
                    "status": window.status.value,
                    "pause_reason": window.pause_reason,
                    "clerk": {"name": clerk.name, "staff_no": clerk.staff_no} if clerk else None,
                    "post_a": clerks[posts["A"]].name if posts.get("A") in clerks else None,
                    "post_b": clerks[posts["B"]].name if posts.get("B") in clerks else None,
                    "current": current_view,
                    "served_today": int(served_today.get(window.id, 0)),
                    "devices": [d for d in devices if d["window_id"] == window.id],
                }
            )
        queue = [
            {**c, "over_target": c["estimated_wait_minutes"] > c["target_wait_minutes"]}
            for c in status.categories_view()
        ]
        today = views.count_today(session, hall, now)
        result = {
            "hall": {**views.hall_view(hall)},
            "service_day": views.today(hall, now).isoformat(),
            "windows": windows,
            "categories": queue,
            "devices": devices,
            "today": today,
            "server_time": views.iso(now),
        }
    result["alarms"] = alarms.open_alarms(deps, hall_id)
    return result


# =============================================================================================
# Audit log

AUDIT_PAGE = 50
ACTOR_NAMES = {"system": "系统", "anonymous": "群众", "device": "设备"}


def audit_entries(
    deps: Deps,
    actor: Actor,
    hall_id: int | None = None,
    action: str = "",
    page: int = 1,
    day: date | None = None,
) -> dict[str, Any]:
    """The audit log the actor may read, newest first, fifty to a page."""
    A = tables.audit_log
    page = max(1, min(page, 10_000))
    with deps.db.reading() as session:
        visible = scope.visible_halls(session, actor)
        query = select(A)
        if hall_id is not None:
            scope.require_hall(session, actor, hall_id)
            query = query.where(A.c.hall_id == hall_id)
        elif actor.role == Role.ADMIN:
            pass
        else:
            query = query.where(A.c.hall_id.in_(visible))
        if action:
            query = query.where(A.c.action.startswith(action[:40], autoescape=True))
        if day is not None:
            start = datetime.combine(day, datetime.min.time(), ZoneInfo("Asia/Shanghai"))
            query = query.where(A.c.at >= start, A.c.at < start + timedelta(days=1))
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.execute(
            query.order_by(A.c.id.desc()).offset((page - 1) * AUDIT_PAGE).limit(AUDIT_PAGE)
        ).all()
        clerk_ids = {
            int(r.actor.split(":", 1)[1])
            for r in rows
            if r.actor.startswith("clerk:") and r.actor.split(":", 1)[1].isdigit()
        }
        names = (
            dict(session.execute(select(K.c.id, K.c.name).where(K.c.id.in_(clerk_ids))).all())
            if clerk_ids
            else {}
        )
        hall_names = dict(session.execute(select(tables.halls.c.id, tables.halls.c.name)).all())
        zones = dict(session.execute(select(tables.halls.c.id, tables.halls.c.timezone)).all())
    entries = []
    for row in rows:
        who = row.actor
        if who.startswith("clerk:") and who.split(":", 1)[1].isdigit():
            who = names.get(int(who.split(":", 1)[1]), who)
        else:
            who = ACTOR_NAMES.get(who.split(":", 1)[0], who) + (
                f" {who.split(':', 1)[1]}" if ":" in who else ""
            )
        zone = ZoneInfo(zones.get(row.hall_id) or "Asia/Shanghai")
        detail = dict(row.detail or {})
        before, after = detail.pop("before", None), detail.pop("after", None)
        changes = _changes(before, after)
        entries.append(
            {
                "id": row.id,
                "at": views.iso(row.at),
                "at_local": row.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                "hall_id": row.hall_id,
                "hall": hall_names.get(row.hall_id, ""),
                "actor": row.actor,
                "actor_name": who,
                "action": row.action,
                "subject": row.subject,
                "changes": changes,
                "detail": detail,
            }
        )
    return {
        "entries": entries,
        "page": page,
        "pages": max(1, -(-total // AUDIT_PAGE)),
        "total": total,
    }


def _changes(before: Any, after: Any) -> list[dict[str, Any]]:
    """Field by field: what a change made of each value (only the values that changed)."""
    if not isinstance(before, dict) and not isinstance(after, dict):
        return []
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    keys = list(dict.fromkeys([*before, *after]))
    return [
        {"field": key, "before": before.get(key), "after": after.get(key)}
        for key in keys
        if before.get(key) != after.get(key)
    ]
