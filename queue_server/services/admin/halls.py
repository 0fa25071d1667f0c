"""Halls: the tree a manager runs, each hall's settings, its service day and lobby notice."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...domain.errors import InvalidInput
from ...domain.model import (
    PRIORITY_NAMES,
    Hall,
    HallKind,
    Priority,
    QueueRules,
    TicketState,
    WindowStatus,
    new_hall_settings,
)
from ...store import tables
from .. import access, complaints, views
from ..case_receipts import hall_phone
from ..context import Actor, Deps
from .change import Change, changing, snapshot
from .fields import FieldSpec, clean, enum_choices, field_error
from .flexible import flexible_rule

W = tables.windows


HALL_KIND_NAMES = {
    HallKind.CITY: ("市级", "City"),
    HallKind.COUNTY: ("县（市、区）级", "County"),
    HallKind.TOWN: ("乡镇（街道）便民服务中心", "Town centre"),
    HallKind.VILLAGE: ("村（社区）便民服务站", "Village station"),
}
HALL_DEPTH = {HallKind.CITY: 0, HallKind.COUNTY: 1, HallKind.TOWN: 2, HallKind.VILLAGE: 3}

HALL_FIELDS = (
    FieldSpec("name", "大厅名称", "Hall name", required=True, max_len=100),
    FieldSpec("name_en", "英文名称", "English name", max_len=200),
    FieldSpec(
        "kind", "层级", "Level", "choice", required=True, choices=enum_choices(HALL_KIND_NAMES)
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

# 办件: what the case features read from the hall's settings (`cases.phone` on the printed
# papers, `cases.pickup_priority` for the kiosk's 出件 tickets in services/cases.py).
CASE_FIELDS = (
    FieldSpec(
        "phone",
        "办件咨询电话",
        "Phone for questions about cases",
        max_len=30,
        help_zh="印在受理回执和一次性告知单上，群众打这个电话询问办件；"
        "只能填数字、空格、+ - ( ) 和“转”（分机）",
        help_en="Printed on the case receipt and the one-time notice for citizens' questions; "
        "digits, spaces, + - ( ) and 转 (extension) only",
    ),
    FieldSpec(
        "pickup_priority",
        "出件取号优先类型",
        "Priority of pickup tickets",
        "choice",
        required=True,
        choices=enum_choices(PRIORITY_NAMES),
        help_zh="群众凭回执在取号机取“出件”号时的排队优先类型；选“普通”则按先后顺序排队",
        help_en="How the kiosk's 出件 tickets (collecting a finished case) rank in the queue; "
        "Regular waits in turn",
    ),
)
_PHONE = re.compile(r"[0-9 +()\-转]*[0-9][0-9 +()\-转]*")

# 排队规则: labels and one-line explanations of `QueueRules`; the bounds are the domain's own.
_QUEUE_RULE_TEXT = {
    "min_calls_before_no_show": (
        "过号前至少呼叫次数",
        "Calls before a no-show is allowed",
        "同一个号至少呼叫这么多次，窗口才能标记过号",
        "A clerk can mark a no-show only after calling the number this many times",
    ),
    "min_seconds_before_no_show": (
        "过号前至少等待（秒）",
        "Seconds after the last call before a no-show",
        "最后一次呼叫后等待这么多秒，群众仍未到才能标记过号",
        "Time the citizen has to reach the window after the last call",
    ),
    "return_places_from_front": (
        "过号回来后排在第几位之后",
        "Places from the front for a returning no-show",
        "过号的群众回来后，排在队伍最前面这么多人之后；0 表示直接排第一",
        "A citizen back after a no-show waits behind this many people; 0 puts them first",
    ),
    "max_priority_in_row": (
        "优先号最多连续叫几个",
        "Priority calls in a row at most",
        "绿色通道和预约号连续叫到这个数后，先叫一个普通号，普通群众不会一直等",
        "After this many priority or appointment calls in a row a window calls one regular ticket",
    ),
    "appointment_lead_minutes": (
        "预约号提前优先（分钟）",
        "Appointments go first from (minutes before)",
        "已签到的预约号从预约时间前这么多分钟起优先叫号",
        "A checked-in appointment is called first from this many minutes before its time",
    ),
    "call_next_guard_seconds": (
        "刚呼叫的号保护秒数",
        "Seconds a just-called ticket is kept",
        "叫号后这么多秒内，未开始办理的号不会被再次“叫下一位”办结（防止连点或重发）",
        "Within this many seconds of a call, a ticket not yet being served is not finished by "
        "another call-next (a double tap or a retry)",
    ),
    "allow_call_out_of_order": (
        "允许窗口选号呼叫",
        "Clerks may call a chosen ticket out of order",
        "窗口人员可以不按顺序点选某个号呼叫，每次选号都记入操作日志",
        "A clerk may call a ticket of their choice; each such call is kept in the audit log",
    ),
    "comprehensive_prefers_unserved": (
        "综合窗口先办无专窗业务",
        "Comprehensive windows first take queues no other window serves",
        "综合窗口先叫没有开放的固定或机动窗口办理的业务，再按等候先后叫号；新大厅默认开启，"
        "因为模拟一天的办事大厅时，等得最久的群众（p95）比只按先后叫号少等约四分之一",
        "A comprehensive window first calls categories no open fixed or flexible window serves, "
        "then whoever has waited longest; on for new halls, as in a simulated hall day it cuts "
        "the longest waits (p95) by about a quarter against calling strictly in turn",
    ),
}
QUEUE_RULE_FIELDS = tuple(
    FieldSpec(
        key,
        zh,
        en,
        "int",
        required=key not in QueueRules.OPTIONAL,
        low=low,
        high=high,
        help_zh=hz,
        help_en=he,
    )  # fmt: skip
    for key, (low, high) in QueueRules.LIMITS.items()
    for zh, en, hz, he in [_QUEUE_RULE_TEXT[key]]
) + tuple(
    FieldSpec(key, zh, en, "bool", required=True, help_zh=hz, help_en=he)
    for key in QueueRules.SWITCHES
    for zh, en, hz, he in [_QUEUE_RULE_TEXT[key]]
)


def hall_tree(deps: Deps, actor: Actor) -> list[dict[str, Any]]:
    """The halls the actor may manage, depth-first from the top, each with its depth."""
    from ...domain.reports import tree_order

    with deps.db.reading() as session:
        visible = access.halls_with(session, actor, "console.use")
        parents = access.hall_parents(session)
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
        hall = access.require_hall(session, actor, hall_id, "hall.configure")
        return hall_settings_view(hall)


def hall_settings_view(hall: Hall) -> dict[str, Any]:
    """Everything the console shows of a hall's own settings."""
    return {
        **views.hall_view(hall),
        "kind_name": HALL_KIND_NAMES[hall.kind][0],
        "day_starts_at_minute": hall.day_starts_at_minute,
        "notice": hall.notice,
        "flexible": flexible_rule(hall).as_dict(),
        "queue": queue_rules(hall).to_dict(),
        "cases": case_settings(hall),
        "hours": hall.hours,
    }


def case_settings(hall: Hall) -> dict[str, str]:
    """The hall's 办件 settings as the console shows them (a stored priority the kiosk cannot
    read shows as regular; saving the form then repairs it)."""
    stored = (hall.settings or {}).get("cases") or {}
    priority = stored.get("pickup_priority") if isinstance(stored, dict) else None
    known = {p.value for p in Priority}
    return {
        "phone": hall_phone(hall),
        "pickup_priority": priority if priority in known else Priority.NONE.value,
    }


def queue_rules(hall: Hall) -> QueueRules:
    """The hall's queue rules; the defaults when what is stored cannot be read (saving the
    form then repairs it)."""
    try:
        return hall.rules
    except InvalidInput:
        return QueueRules()


def overview(deps: Deps, actor: Actor) -> list[dict[str, Any]]:
    """Each hall in reach with today's tickets, open alarms and overdue follow-ups."""
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


def _check_parent(
    session: Session, change: Change, kind: HallKind, parent_id: int | None, placing: bool = True
) -> None:
    """The parent exists and sits above `kind`; placing a hall under it takes the permission
    there (a manager keeps the level of their own hall right without reaching the parent)."""
    if parent_id is None:
        # only an admin adds a hall at the top of a tree
        access.require(session, change.actor, None, "deployment.configure")
        return
    parent = session.get(Hall, parent_id)
    if parent is None:
        raise field_error("parent_id", "找不到上级大厅", "No such parent hall")
    if placing:
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
    with changing(deps, actor, "hall.configure") as change:
        s = change.session
        _check_parent(s, change, kind, values.get("parent_id"))
        hall = Hall(
            name=values["name"],
            name_en=values.get("name_en", ""),
            kind=kind,
            parent_id=values.get("parent_id"),
            timezone=_check_timezone(values.get("timezone", "")),
            settings=new_hall_settings(),
        )
        s.add(hall)
        s.flush()
        change.record("hall.create", hall.id, hall.name, None, snapshot(hall, HALL_AUDIT))
        result = hall_settings_view(hall)
    return result


def update_hall(deps: Deps, actor: Actor, hall_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Change a hall's name, level, parent or time zone."""
    values = clean(HALL_FIELDS, data, partial=True)
    with changing(deps, actor, "hall.configure") as change:
        s = change.session
        hall = change.hall(hall_id)
        before = snapshot(hall, HALL_AUDIT)
        kind = HallKind(values.get("kind", hall.kind))
        if "parent_id" in values and values["parent_id"] != hall.parent_id:
            new_parent = values["parent_id"]
            # Moving a hall changes its parent's branch, so it takes the permission there (an
            # admin's at the top): a manager never moves the hall they belong to.
            at_parent = "hall.configure" if hall.parent_id is not None else "deployment.configure"
            if not access.has_permission(s, actor, hall.parent_id, at_parent):
                raise field_error(
                    "parent_id",
                    "不能移动您自己所在的大厅",
                    "You cannot move the hall you belong to",
                )
            from ...domain.reports import subtree

            if new_parent is not None and new_parent in subtree(access.hall_parents(s), hall_id):
                raise field_error(
                    "parent_id",
                    "上级大厅不能是本厅或其下属站点",
                    "A hall cannot sit under itself or a hall below it",
                )
            _check_parent(s, change, kind, new_parent)
        elif "kind" in values and hall.parent_id is not None:
            _check_parent(s, change, kind, hall.parent_id, placing=False)
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
    with changing(deps, actor, "hall.configure") as change:
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
    with changing(deps, actor, "hall.configure") as change:
        hall = change.hall(hall_id)
        before = {"notice": hall.notice}
        hall.notice = values.get("notice", "")
        change.record("hall.notice", hall.id, hall.name, before, {"notice": hall.notice})
        change.halls.add(hall_id)
        result = hall_settings_view(hall)
    return result


def set_queue_rules(
    deps: Deps, actor: Actor, hall_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    """排队规则: no-shows, returning citizens, priority calls, appointments and calling order."""
    values = clean(QUEUE_RULE_FIELDS, data, partial=False)
    QueueRules.from_dict(values)
    with changing(deps, actor, "hall.configure") as change:
        hall = change.hall(hall_id)
        try:
            before: dict[str, Any] | None = hall.rules.to_dict()
        except InvalidInput:  # kept as stored, so the log shows what was there
            stored = (hall.settings or {}).get("queue")
            before = stored if isinstance(stored, dict) else None
        # a rule a client did not send (one added since it was written) keeps its value
        kept = {k: v for k, v in (before or {}).items() if k in QueueRules.OPTIONAL}
        rules = QueueRules.from_dict({**kept, **values})
        hall.settings = {**(hall.settings or {}), "queue": rules.to_dict()}
        change.record("hall.queue_rules", hall.id, hall.name, before, rules.to_dict())
        change.queues.add(hall_id)  # the order of the queue, and so its estimates, may change
    return rules.to_dict()


def _check_phone(text: str) -> str:
    """The hall's phone as printed: full-width digits and signs typed with a Chinese input
    method become plain ones; letters and other signs are refused."""
    phone = str(CASE_FIELDS[0].clean(" ".join(unicodedata.normalize("NFKC", text).split())))
    if phone and not _PHONE.fullmatch(phone):
        raise field_error(
            "phone",
            "办件咨询电话只能填数字、空格、+ - ( ) 和“转”（分机），如 0531-88001234",
            "The phone may hold only digits, spaces, + - ( ) and 转 (extension), "
            "like 0531-88001234",
        )
    return phone


def set_case_settings(
    deps: Deps, actor: Actor, hall_id: int, data: Mapping[str, Any]
) -> dict[str, str]:
    """办件: the phone printed on the case papers and the priority of pickup tickets."""
    values = clean(CASE_FIELDS, data, partial=False)
    settings = {
        "phone": _check_phone(values.get("phone", "")),
        "pickup_priority": values["pickup_priority"],
    }
    with changing(deps, actor, "hall.configure") as change:
        hall = change.hall(hall_id)
        before = case_settings(hall)
        stored = (hall.settings or {}).get("cases")
        kept = stored if isinstance(stored, dict) else {}  # the case number's code among them
        hall.settings = {**(hall.settings or {}), "cases": {**kept, **settings}}
        change.record("hall.case_settings", hall.id, hall.name, before, settings)
    return settings
