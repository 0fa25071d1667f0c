"""Where staff meet a case: the counter (the case of the ticket being served, registered for it
or picked up with it), the kiosk's pickup ticket linked to its case (统一出件), and the back
office's workbench (审批工作台: a department's cases, the least time left first, with who has
signed each parallel step)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from ..domain.cases import CaseState
from ..domain.errors import InvalidInput, NotFound
from ..domain.model import Window
from ..store import case_tables, tables
from . import access, views
from .case_followers import case_room
from .cases import _to_case, backoffice_room, find_by_token, list_cases, pickup_ticket, staff_view
from .context import Actor, Deps
from .hours import official_calendar
from .queue import current_ticket

C = case_tables.cases
OPEN_STATES = (CaseState.RECEIVED, CaseState.IN_REVIEW, CaseState.CORRECTION)


def window_case(deps: Deps, actor: Actor, window_id: int) -> dict[str, Any]:
    """The case of the ticket served at the window: the one registered for it, or the one its
    holder came to pick up (a ticket of the 出件 category); None when there is none."""
    with deps.db.reading() as s:
        window = s.get(Window, window_id)
        if window is None:
            raise NotFound("找不到该窗口", "No such window")
        access.require(s, actor, window.hall_id, "case.receive", window=window)
        ticket = current_ticket(s, window)
        if ticket is None:
            return {"ticket": None, "case": None, "pickup": False}
        row = s.execute(
            select(C)
            .where(or_(C.c.ticket_id == ticket.id, C.c.pickup_ticket_id == ticket.id))
            .order_by(C.c.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return {"ticket": ticket.number, "case": None, "pickup": False}
        hall = views.get_hall(s, window.hall_id)
        today = views.today(hall, deps.clock.now())
        view = staff_view(s, row, _to_case(row), official_calendar(s), today)
        return {
            "ticket": ticket.number,
            "case": view,
            "pickup": row.pickup_ticket_id == ticket.id,
        }


def pickup_ticket_for_case(deps: Deps, actor: Actor, hall_id: int, ref: Any) -> dict[str, Any]:
    """The kiosk's pickup ticket (cases.pickup_ticket, which links it to the case in the same
    transaction: the clerk who calls it sees the case). A receipt's QR may be scanned as its whole address."""
    if isinstance(ref, str) and "/c/" in ref:
        ref = ref.rsplit("/c/", 1)[1].split("?", 1)[0].strip("/")
    return pickup_ticket(deps, actor, hall_id, ref)


def workbench(deps: Deps, actor: Actor, hall_id: int | None = None) -> dict[str, Any]:
    """审批工作台: the undecided cases of the approver's department at their hall (or one below
    it), the least time left first, each step with the name of who claimed or signed it."""
    with deps.db.reading() as s:
        access.require(s, actor, None, "account.self")
        department = (
            s.scalar(select(tables.clerks.c.department).where(tables.clerks.c.id == actor.id)) or ""
        ).strip()
    hall = hall_id if hall_id is not None else actor.hall_id or 0
    found = list_cases(deps, actor, hall, department=department) if department and hall else None
    cases = found["cases"] if found else []
    names = _staff_names(deps, {st["approver_id"] for c in cases for st in c["steps"]})
    shown = []
    for case in cases:
        if case["state"] not in {state.value for state in OPEN_STATES}:
            continue  # decided: the front desk's now
        for step in case["steps"]:
            step["approver"] = names.get(step["approver_id"], "")
            if step["department"] == department:
                case["my_step"] = step
        shown.append(case)
    shown.sort(key=lambda c: c["state"] not in {s.value for s in OPEN_STATES})
    return {
        "hall_id": hall,
        "department": department,
        "me": {"id": actor.id, "name": actor.name},
        "cases": shown,
    }


def _staff_names(deps: Deps, ids: set[int | None]) -> dict[int | None, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    with deps.db.reading() as s:
        rows = s.execute(
            select(tables.clerks.c.id, tables.clerks.c.name).where(tables.clerks.c.id.in_(wanted))
        ).all()
    return {row.id: row.name for row in rows}


def live_room(deps: Deps, actor: Actor, kind: str, value: Any) -> tuple[str, dict[str, Any]]:
    """A case room a Socket.IO client asks to join, and its snapshot: a hall's back office
    (`{"backoffice": hall}`, staff who may read the hall's cases) or a case's page
    (`{"case": token}`, whoever holds the token; masked)."""
    if kind == "backoffice":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
            raise InvalidInput("大厅编号须为正整数", "backoffice takes a hall id")
        with deps.db.reading() as s:
            access.require_hall(s, actor, value, "case.read")
        return backoffice_room(value), {"hall": value}
    if not isinstance(value, str) or not 0 < len(value) <= 40:
        raise InvalidInput("办件凭据须为字符串", "case takes the case's token")
    return case_room(value), {"case": find_by_token(deps, value)}
