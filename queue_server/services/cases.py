"""Case use cases (办件, 受审分离): register at a window, the back office's claim, approve,
return for correction and refuse, the applicant's resubmission, extensions, 出件, the citizen's
page, a hall's list and the kiosk's pickup ticket.

Each use case is one transaction under the hall's lock (`unit_of_work.run`): two approvers claiming
the same case at once are served one after the other, and the second hears that the first has
it. Every change is audited and announced after the commit as `case_changed` to the hall's
back-office room (`backoffice:{hall}`, staff only; the event carries no personal data).

Personal data is kept as bookings keep it: the name and phone to serve, the ID number only as a
keyed digest (the hall's key, `booking._id_key`) and its masked form; every view masks them.
Deadlines are counted on the official calendar: a year it does not know is refused
(`CalendarYearMissing`), never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from ..domain.booking import validate_citizen_name
from ..domain.calendar import CalendarYearMissing, HolidayCalendar
from ..domain.cases import (
    Case,
    CaseEvent,
    CaseState,
    Delivery,
    Extension,
    Light,
    Material,
    Pause,
    ReviewStep,
    Source,
    StepState,
    case_number,
    check_materials,
    deadline,
    default_hall_code,
    light,
)
from ..domain.errors import Conflict, InvalidInput, NotFound
from ..domain.identity import (
    mask_id_number,
    mask_name,
    mask_phone,
    validate_id_number,
    validate_phone,
)
from ..domain.model import Category, Hall, ServiceItem, Window
from ..store import case_tables, tables
from . import access, views
from .booking import _id_key, id_digest
from .context import Actor, Deps, audit
from .hours import official_calendar
from .issuing import issue_ticket, parse_priority
from .queue import current_ticket, window_hall_id
from .queue_messages import Outbox
from .unit_of_work import run

C = case_tables.cases
LIST_LIMIT = 500
PICKUP_CATEGORY = ("出件", "Pickup")
PICKUP_PREFIXES = ("Q", "QJ", "CJ", "Z", "ZJ")  # the first one the hall has not used


def backoffice_room(hall_id: int) -> str:
    """The Socket.IO room of a hall's back office (staff only; never a display's room)."""
    return f"backoffice:{hall_id}"


# -- rows ↔ domain ----------------------------------------------------------------------------


def _to_case(row: Row[Any]) -> Case:
    return Case(
        hall_id=row.hall_id,
        number=row.number,
        item_id=row.service_item_id,
        received_on=row.received_on,
        time_limit_days=row.time_limit_days,
        source=Source(row.source),
        state=CaseState(row.state),
        materials={name: Material(v) for name, v in (row.materials or {}).items()},
        steps=[
            ReviewStep(
                s["department"], StepState(s["state"]), s.get("approver_id"), s.get("note", "")
            )
            for s in row.steps or []
        ],
        pauses=[
            Pause(
                date.fromisoformat(p["started"]),
                date.fromisoformat(p["ended"]) if p.get("ended") else None,
            )
            for p in row.pauses or []
        ],
        extensions=[
            Extension(e["days"], e["reason"], date.fromisoformat(e["on"]))
            for e in row.extensions or []
        ],
        missing=list(row.missing or []),
        refusal_reason=row.refusal_reason,
        decided_on=row.decided_on,
        delivered_how=Delivery(row.delivery) if row.delivery else None,
        tracking=row.tracking,
        station_id=row.station_id,
        sent_to_station_on=row.sent_to_station_on,
        id=row.id,
    )


def _state_values(case: Case) -> dict[str, Any]:
    """The columns an action may change."""
    return {
        "state": case.state,
        "materials": {name: m.value for name, m in case.materials.items()},
        "steps": [
            {
                "department": s.department,
                "state": s.state.value,
                "approver_id": s.approver_id,
                "note": s.note,
            }
            for s in case.steps
        ],
        "pauses": [
            {"started": p.started.isoformat(), "ended": p.ended.isoformat() if p.ended else None}
            for p in case.pauses
        ],
        "extensions": [
            {"days": e.days, "reason": e.reason, "on": e.on.isoformat()} for e in case.extensions
        ],
        "missing": list(case.missing),
        "refusal_reason": case.refusal_reason,
        "decided_on": case.decided_on,
        "delivery": case.delivered_how.value if case.delivered_how else None,
        "tracking": case.tracking,
        "sent_to_station_on": case.sent_to_station_on,
    }


# -- views ------------------------------------------------------------------------------------


def _provisional(calendar: HolidayCalendar, received: date, promised: date) -> bool:
    """Whether the promised day counts days of a year whose holiday notice is not out yet (the
    statutory holidays by law stand in for it): it may move when the notice comes."""
    return any(calendar.is_provisional(year) for year in range(received.year, promised.year + 1))


def _deadline_view(case: Case, calendar: HolidayCalendar, today: date) -> dict[str, Any]:
    """The promised day and the light; unknown (null, with the reason) in a year the calendar
    lacks: a list or the citizen's page still shows the rest."""
    try:
        promised = deadline(case, calendar, today)
        return {
            "deadline": promised.isoformat(),
            "deadline_provisional": _provisional(calendar, case.received_on, promised),
            "light": light(case, calendar, today).value,
        }
    except CalendarYearMissing as missing:
        return {
            "deadline": None,
            "light": None,
            "deadline_unknown": {"message": missing.message, "message_en": missing.message_en},
        }


def _state_view(case: Case) -> dict[str, Any]:
    return {
        "state": case.state.value,
        "state_name": case.state.label,
        "state_name_en": case.state.label_en,
    }


def _item_view(item: ServiceItem | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {"id": item.id, "code": item.code, "name": item.name, "name_en": item.name_en}


def public_view(
    session: Session, row: Row[Any], case: Case, calendar: HolidayCalendar, today: date
) -> dict[str, Any]:
    """The case as its applicant sees it by the token: masked, no staff names."""
    hall = session.get(Hall, case.hall_id)
    if case.sent_to_station_on is not None and case.station_id is not None:
        hall = session.get(Hall, case.station_id)  # sent back to the village station (代办)
    return {
        "number": case.number,
        **_state_view(case),
        "item": _item_view(session.get(ServiceItem, case.item_id)),
        "applicant": mask_name(row.applicant_name) if row.applicant_name else "",
        "received_on": case.received_on.isoformat(),
        **_deadline_view(case, calendar, today),
        "missing": list(case.missing),
        "refusal_reason": case.refusal_reason,
        "decided_on": case.decided_on.isoformat() if case.decided_on else None,
        "delivery": case.delivered_how.value if case.delivered_how else None,
        # Where a ready case is picked up (统一出件): the hall's comprehensive windows.
        "pickup": (
            {"hall": hall.name, "hall_en": hall.name_en}
            if hall is not None and case.state in (CaseState.APPROVED, CaseState.REFUSED)
            else None
        ),
    }


def staff_view(
    session: Session, row: Row[Any], case: Case, calendar: HolidayCalendar, today: date
) -> dict[str, Any]:
    """The case as staff see it: the checklist and steps; the applicant still masked."""
    return {
        "id": case.id,
        "number": case.number,
        "token": row.token,
        "hall_id": case.hall_id,
        **_state_view(case),
        "source": case.source.value,
        "item": _item_view(session.get(ServiceItem, case.item_id)),
        "applicant": {
            "name": mask_name(row.applicant_name) if row.applicant_name else "",
            "phone": mask_phone(row.phone) if row.phone else "",
            "id_number": row.id_masked,
        },
        "materials": [{"name": n, "status": m.value} for n, m in case.materials.items()],
        "steps": [
            {"department": s.department, "state": s.state.value, "approver_id": s.approver_id}
            for s in case.steps
        ],
        "missing": list(case.missing),
        "refusal_reason": case.refusal_reason,
        "extensions": [
            {"days": e.days, "reason": e.reason, "on": e.on.isoformat()} for e in case.extensions
        ],
        "received_on": case.received_on.isoformat(),
        "time_limit_days": case.time_limit_days,
        **_deadline_view(case, calendar, today),
        "decided_on": case.decided_on.isoformat() if case.decided_on else None,
        "delivery": case.delivered_how.value if case.delivered_how else None,
        "tracking": case.tracking,
        "station_id": case.station_id,
        "sent_to_station_on": (
            case.sent_to_station_on.isoformat() if case.sent_to_station_on else None
        ),
        "ticket_id": row.ticket_id,
        "window_id": row.window_id,
        "clerk_id": row.clerk_id,
    }


def _changed(out: Outbox, case: Case, what: str) -> None:
    """Tell the hall's back office; the number, state and departments only."""
    out.add(
        "case_changed",
        [backoffice_room(case.hall_id)],
        {
            "hall": case.hall_id,
            "id": case.id,
            "number": case.number,
            "state": case.state.value,
            "what": what,
            "departments": [s.department for s in case.steps],
        },
    )


# -- registering at a window ------------------------------------------------------------------


def _text(value: Any, what: tuple[str, str], max_len: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value.strip()) > max_len:
        raise InvalidInput(
            f"{what[0]}须为不超过 {max_len} 字的文字",
            f"{what[1]} is text of at most {max_len} characters",
        )
    return value.strip()


def _item_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**31:
        raise InvalidInput("请选择办理事项", "Choose the service item")
    return value


def _applicant(data: Any, today: date) -> tuple[str, str, str]:
    if not isinstance(data, dict):
        raise InvalidInput(
            "请填写申请人姓名、手机号码和身份证号码",
            "Give the applicant's name, phone and ID number",
        )
    return (
        validate_citizen_name(data.get("name")),
        validate_phone(data.get("phone", "")),
        validate_id_number(data.get("id_number", ""), today=today),
    )


def _checklist(item: ServiceItem, raw: Any) -> dict[str, str]:
    """The clerk's checklist by material name, or by its place in the item's list (1, 2…)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidInput(
            "材料核对须为“材料: provided/missing/na”的对象",
            "The materials are an object of material: provided, missing or na",
        )
    names = list(item.materials)
    checklist: dict[str, str] = {}
    for key, status in raw.items():
        name = str(key)
        if name not in names and re.fullmatch(r"[1-9][0-9]{0,2}", name):
            place = int(name)
            if place <= len(names):
                name = names[place - 1]
        if not isinstance(status, str):
            raise InvalidInput(
                "材料的情况须为 provided、missing 或 na",
                "A material's status is provided, missing or na",
            )
        checklist[name] = status
    return checklist


def hall_case_code(hall: Hall) -> str:
    """The letters a hall's case numbers start with: its chosen code, or H and its id."""
    chosen = (hall.settings.get("cases") or {}).get("code") if hall.settings else None
    if isinstance(chosen, str) and re.fullmatch(r"[A-Z]{1,6}", chosen):
        return chosen
    return default_hall_code(hall.id or 0)


def review_departments(item: ServiceItem) -> list[str]:
    """The departments that sign a case of the item off (并联办理), by default its own."""
    names = [d for d in (getattr(item, "review_departments", None) or []) if isinstance(d, str)]
    return names or ([item.department] if item.department else [])


def receive(
    deps: Deps,
    out: Outbox,
    actor: Actor,
    item: ServiceItem,
    materials: dict[str, Material],
    applicant: tuple[str, str, str],
    source: Source,
    *,
    columns: dict[str, Any],
    detail: dict[str, Any],
    station_id: int | None = None,
) -> dict[str, Any]:
    """受理 at the hall of `out`, from a window or a station (`columns`, `detail`): the day's next
    number, 即办 or review, the promised day, the row, its audit and the back office's message."""
    s, hall, now = out.session, out.hall, out.now
    name, phone, id_number = applicant
    today = views.today(hall, now)
    seq = 1 + int(
        s.scalar(
            select(func.coalesce(func.max(C.c.seq), 0)).where(
                C.c.hall_id == hall.id, C.c.received_on == today
            )
        )
        or 0
    )
    case = Case(
        hall_id=hall.id or 0,
        number=case_number(hall_case_code(hall), today, seq),
        item_id=item.id or 0,
        received_on=today,
        time_limit_days=item.time_limit_days,
        source=source,
        materials=materials,
        station_id=station_id,
    )
    if item.time_limit_days == 0:
        case.approve_on_the_spot(today)
    else:
        case.send_to_review(review_departments(item))
    calendar = official_calendar(s)
    # A year whose notice is not out counts on the statutory holidays (provisional); a year
    # nobody can know is refused, never guessed.
    promised = deadline(case, calendar, today)
    signal = light(case, calendar, today)
    token = deps.new_token()
    values = (
        _state_values(case)
        | columns
        | {
            "hall_id": case.hall_id,
            "number": case.number,
            "seq": seq,
            "token": token,
            "service_item_id": item.id,
            "source": case.source,
            "clerk_id": actor.id,
            "applicant_name": name,
            "phone": phone,
            "id_digest": id_digest(_id_key(s, case.hall_id), id_number),
            "id_masked": mask_id_number(id_number),
            "received_on": today,
            "time_limit_days": case.time_limit_days,
            "created_at": now,
            "updated_at": now,
        }
    )
    case.id = s.execute(insert(C).values(**values).returning(C.c.id)).scalar_one()
    audit(
        s,
        at=now,
        actor=actor,
        action="case.register",
        hall_id=hall.id,
        subject=case.number,
        detail={"case": case.id, "item": item.id, **detail, "state": case.state.value}
        | {"missing": [n for n, m in materials.items() if m is Material.MISSING]},
    )
    _changed(out, case, "received")
    return {
        "id": case.id,
        "number": case.number,
        "token": token,
        "state": case.state.value,
        "deadline": promised.isoformat(),
        "deadline_provisional": _provisional(calendar, today, promised),
        "light": signal.value,
        "state_name": case.state.label,
        "state_name_en": case.state.label_en,
        "departments": [st.department for st in case.steps],
        "url": f"{deps.public_url.rstrip('/')}/c/{token}",
    }


def register_at_window(deps: Deps, actor: Actor, window_id: int, data: Any) -> dict[str, Any]:
    """受理: the clerk serving a ticket at the window registers a case for the item.

    The checklist must mark every required material; a missing one refuses the case (naming
    what is missing, `MaterialsMissing`) unless `accept_with_missing` (容缺受理). An item
    decided on the spot (time limit 0, 即办) is approved at once; any other goes to review in
    the item's departments, in parallel."""

    def work(out: Outbox) -> dict[str, Any]:
        s, hall, now = out.session, out.hall, out.now
        window = s.get(Window, window_id)
        if window is None:
            raise NotFound("找不到该窗口", "No such window")
        access.require(s, actor, hall, "case.receive", window=window)
        if not isinstance(data, dict):
            raise InvalidInput("办件内容应为对象", "The case must be a JSON object")
        item_id = _item_id(data.get("item"))
        accept = data.get("accept_with_missing", False)
        if not isinstance(accept, bool):
            raise InvalidInput("容缺受理须为是或否", "accept_with_missing is true or false")
        ticket = current_ticket(s, window)
        if ticket is None:
            raise Conflict(
                "请先叫号并接待办事群众，再受理办件",
                "Call and serve a ticket at this window before registering a case",
            )
        today = views.today(hall, now)
        name, phone, id_number = _applicant(data.get("applicant"), today)
        item = s.get(ServiceItem, item_id)
        if item is None or item.hall_id != hall.id or not item.active:
            raise NotFound("本大厅没有该事项", "This hall has no such service item")
        materials = check_materials(item.materials, _checklist(item, data.get("materials")), accept)
        return receive(
            deps,
            out,
            actor,
            item,
            materials,
            (name, phone, id_number),
            Source.WINDOW,
            columns={"ticket_id": ticket.id, "window_id": window.id},
            detail={"ticket": ticket.id, "window": window.number},
        )

    return run(deps, window_hall_id(deps, window_id), work)


# -- actions on a case ------------------------------------------------------------------------


def _case_hall_id(deps: Deps, case_id: int) -> int:
    with deps.db.reading() as session:
        hall_id = session.scalar(select(C.c.hall_id).where(C.c.id == case_id))
    if hall_id is None:
        raise NotFound("找不到该办件", "No such case")
    return int(hall_id)


def _acting_department(session: Session, actor: Actor, case: Case, name: str) -> str:
    """The department of the case the actor acts for under `name` (their own department's
    step), or the access policy's refusal."""
    for step in case.steps:
        if access.has_permission(session, actor, case.hall_id, name, department=step.department):
            return step.department
    first = case.steps[0].department if case.steps else ""
    access.require(session, actor, case.hall_id, name, department=first)
    return first  # a holder whose reach is not by department (a manager extending)


Act = Callable[[Session, Case, date], list[CaseEvent]]


def _act(
    deps: Deps, actor: Actor, case_id: int, action: str, act: Act, detail: dict[str, Any]
) -> dict[str, Any]:
    """Load the case under its hall's lock, act, store, audit, announce; the staff view."""

    def work(out: Outbox) -> dict[str, Any]:
        s, now = out.session, out.now
        row = s.execute(select(C).where(C.c.id == case_id)).one()
        case = _to_case(row)
        today = views.today(out.hall, now)
        events = act(s, case, today)
        s.execute(update(C).where(C.c.id == case_id).values(**_state_values(case), updated_at=now))
        audit(
            s,
            at=now,
            actor=actor,
            action=f"case.{action}",
            hall_id=case.hall_id,
            subject=case.number,
            detail={"case": case.id, "state": case.state.value, **detail},
        )
        for event in events:
            _changed(out, case, event.what)
        row = s.execute(select(C).where(C.c.id == case_id)).one()
        return staff_view(s, row, case, official_calendar(s), today)

    return run(deps, _case_hall_id(deps, case_id), work)


def claim(deps: Deps, actor: Actor, case_id: int) -> dict[str, Any]:
    """认领: an approver takes their department's step; of two at once, one wins."""

    def act(s: Session, case: Case, today: date) -> list[CaseEvent]:
        department = _acting_department(s, actor, case, "case.review")
        return case.claim(department, actor.id or 0)

    return _act(deps, actor, case_id, "claim", act, {})


def approve(deps: Deps, actor: Actor, case_id: int) -> dict[str, Any]:
    """审批通过: the department signs off; the case is approved when every department has."""

    def act(s: Session, case: Case, today: date) -> list[CaseEvent]:
        department = _acting_department(s, actor, case, "case.review")
        return case.approve(department, actor.id or 0, today)

    return _act(deps, actor, case_id, "approve", act, {})


def return_for_correction(deps: Deps, actor: Actor, case_id: int, data: Any) -> dict[str, Any]:
    """退回补正: the applicant must bring what is missing; the deadline's clock stops."""
    data = data if isinstance(data, dict) else {}
    missing = data.get("missing")
    if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
        raise InvalidInput(
            "退回补正须列明缺少的材料", "Returning a case needs the list of missing materials"
        )
    note = _text(data.get("note"), ("说明", "The note"), 200)

    def act(s: Session, case: Case, today: date) -> list[CaseEvent]:
        department = _acting_department(s, actor, case, "case.review")
        return case.return_for_correction(department, actor.id or 0, missing, note, today)

    return _act(deps, actor, case_id, "return", act, {"missing": missing, "note": note})


def refuse(deps: Deps, actor: Actor, case_id: int, data: Any) -> dict[str, Any]:
    """不予许可: one department's refusal, with its reason, refuses the case."""
    data = data if isinstance(data, dict) else {}
    reason = _text(data.get("reason"), ("理由", "The reason"), 500)

    def act(s: Session, case: Case, today: date) -> list[CaseEvent]:
        department = _acting_department(s, actor, case, "case.review")
        return case.refuse(department, actor.id or 0, reason, today)

    return _act(deps, actor, case_id, "refuse", act, {"reason": reason})


def resubmit(deps: Deps, actor: Actor, case_id: int) -> dict[str, Any]:
    """补正: the missing materials arrived at the front desk; the case is back in review."""

    def act(s: Session, case: Case, today: date) -> list[CaseEvent]:
        access.require(s, actor, case.hall_id, "case.front_desk")
        return case.resubmit(today)

    return _act(deps, actor, case_id, "resubmit", act, {})


def extend(deps: Deps, actor: Actor, case_id: int, data: Any) -> dict[str, Any]:
    """延期: more working days, with the reason."""
    data = data if isinstance(data, dict) else {}
    days = data.get("days")
    if isinstance(days, bool) or not isinstance(days, int):
        raise InvalidInput("延期天数须为整数", "The extension's days are a whole number")
    reason = _text(data.get("reason"), ("理由", "The reason"), 200)

    def act(s: Session, case: Case, today: date) -> list[CaseEvent]:
        _acting_department(s, actor, case, "case.extend")
        return case.extend(days, reason, today)

    return _act(deps, actor, case_id, "extend", act, {"days": days, "reason": reason})


def deliver(deps: Deps, actor: Actor, case_id: int, data: Any) -> dict[str, Any]:
    """出件: the decision reaches the applicant at a window, by post (tracking number) or at
    the village station."""
    data = data if isinstance(data, dict) else {}
    how = data.get("how")
    if not isinstance(how, str):
        raise InvalidInput(
            "出件方式须为 window、post 或 station", "Delivery is by window, post or station"
        )
    tracking = _text(data.get("tracking"), ("运单号", "The tracking number"), 60)

    def act(s: Session, case: Case, today: date) -> list[CaseEvent]:
        at_station = how == Delivery.STATION.value and case.station_id is not None
        if not (at_station and access.has_permission(s, actor, case.station_id, "case.proxy")):
            access.require(s, actor, case.hall_id, "case.front_desk")
        return case.deliver(how, tracking)

    return _act(deps, actor, case_id, "deliver", act, {"how": how})


# -- reading ----------------------------------------------------------------------------------


def find_by_token(deps: Deps, token: str) -> dict[str, Any]:
    """The citizen's page of a case (the receipt's QR): masked, by its unguessable token."""
    with deps.db.reading() as s:
        row = s.execute(select(C).where(C.c.token == token)).first() if len(token) <= 40 else None
        if row is None:
            raise NotFound("找不到该办件", "No such case")
        case = _to_case(row)
        hall = views.get_hall(s, case.hall_id)
        today = views.today(hall, deps.clock.now())
        return public_view(s, row, case, official_calendar(s), today)


def parse_state(value: Any) -> CaseState | None:
    if value in (None, ""):
        return None
    try:
        return CaseState(value)
    except ValueError:
        raise InvalidInput(
            "办件状态须为 " + "、".join(s.value for s in CaseState),
            "A case's state is one of " + ", ".join(s.value for s in CaseState),
        ) from None


def list_cases(
    deps: Deps,
    actor: Actor,
    hall_id: int,
    state: Any = None,
    department: str | None = None,
    overdue: bool = False,
) -> dict[str, Any]:
    """A hall's cases for staff of the hall or above, the least time left first; by state,
    by a department that reviews them, or only those past their promised day."""
    wanted = parse_state(state)
    department = (department or "").strip()
    with deps.db.reading() as s:
        hall = access.require_hall(s, actor, hall_id, "case.read")
        query = select(C).where(C.c.hall_id == hall_id)
        if wanted is not None:
            query = query.where(C.c.state == wanted.value)
        elif overdue:
            undecided = [CaseState.RECEIVED, CaseState.IN_REVIEW, CaseState.CORRECTION]
            query = query.where(C.c.state.in_([st.value for st in undecided]))
        rows = s.execute(query.order_by(C.c.received_on, C.c.id).limit(LIST_LIMIT)).all()
        calendar = official_calendar(s)
        today = views.today(hall, deps.clock.now())
        result = []
        for row in rows:
            case = _to_case(row)
            if department and department not in {st.department for st in case.steps}:
                continue
            view = staff_view(s, row, case, calendar, today)
            if overdue and view["light"] != Light.RED.value:
                continue
            result.append(view)
        result.sort(key=lambda v: (v["deadline"] is None, v["deadline"] or "", v["id"]))
        return {"hall_id": hall_id, "cases": result, "truncated": len(rows) == LIST_LIMIT}


# -- 统一出件: the kiosk's pickup ticket ------------------------------------------------------


def _pickup_category(deps: Deps, hall_id: int) -> int:
    """The hall's 出件 category, made the first time a pickup ticket is asked for."""

    def work(out: Outbox) -> int:
        s = out.session
        found = s.scalar(
            select(tables.categories.c.id).where(
                tables.categories.c.hall_id == hall_id,
                tables.categories.c.name == PICKUP_CATEGORY[0],
            )
        )
        if found is not None:
            return int(found)
        used = set(
            s.scalars(
                select(tables.categories.c.prefix).where(tables.categories.c.hall_id == hall_id)
            )
        )
        prefix = next((p for p in PICKUP_PREFIXES if p not in used), None)
        if prefix is None:
            raise Conflict(
                "请在管理后台为“出件”设一个业务类别", "Set up a category named 出件 for pickups"
            )
        category = Category(
            hall_id=hall_id,
            prefix=prefix,
            name=PICKUP_CATEGORY[0],
            name_en=PICKUP_CATEGORY[1],
            default_service_minutes=3,
            sort_order=99,
        )
        s.add(category)
        s.flush()
        audit(
            s,
            at=out.now,
            actor=Actor("system"),
            action="category.create",
            hall_id=hall_id,
            subject=prefix,
            detail={"name": PICKUP_CATEGORY[0], "for": "case pickup"},
        )
        return int(category.id or 0)

    return run(deps, hall_id, work)


def pickup_ticket(deps: Deps, actor: Actor, hall_id: int, ref: Any) -> dict[str, Any]:
    """The citizen scans the receipt's QR or types the case number at the kiosk: a ticket of
    the hall's 出件 category, with the hall's pickup priority (`cases.pickup_priority`)."""
    if not isinstance(ref, str) or not 1 <= len(ref.strip()) <= 40:
        raise InvalidInput(
            "请扫描回执上的二维码或输入办件编号",
            "Scan the receipt's QR code or type the case number",
        )
    ref = ref.strip()
    with deps.db.reading() as s:
        access.require(s, actor, hall_id, "ticket.issue")
        hall = views.get_hall(s, hall_id)
        row = s.execute(
            select(C.c.id, C.c.number, C.c.state, C.c.service_item_id).where(
                C.c.hall_id == hall_id, or_(C.c.number == ref.upper(), C.c.token == ref)
            )
        ).first()
        if row is None:
            raise NotFound(
                "本大厅没有该办件，请核对办件编号", "This hall has no such case; check the number"
            )
        state = CaseState(row.state)
        if state not in (CaseState.APPROVED, CaseState.REFUSED):
            raise Conflict(
                f"办件{state.label}，暂不能取件",
                f"The case is {state.label_en.lower()}: there is nothing to pick up yet",
            )
        setting = (
            (hall.settings.get("cases") or {}).get("pickup_priority") if hall.settings else None
        )
    priority = parse_priority(setting or None)
    category_id = _pickup_category(deps, hall_id)
    case_id = row.id

    def remember(session: Any, ticket_id: int) -> None:
        # The clerk who calls the pickup ticket sees its case: linked with the ticket, at once.
        session.execute(update(C).where(C.c.id == case_id).values(pickup_ticket_id=ticket_id))

    ticket = issue_ticket(
        deps,
        actor,
        hall_id,
        category_id,
        priority.value,
        service_item_id=row.service_item_id,
        then=remember,
    )
    return {**ticket, "case": {"id": row.id, "number": row.number, "state": state.value}}
