"""The village station's cases (代办、转报): the station's agent registers a case on a citizen's
behalf for an item of the town above it; the case is forwarded to the town's back office (its
departments review it like any other); the station follows its cases; a decided case is sent
back to the station and handed out there (出件 at the station, `cases.deliver` with
how=station).

A station case belongs to the town (`hall_id`: its number, its back office, its deadline) and
remembers the station that received it (`station_id`). Access: `case.proxy` at the station (its
agent or clerk, a manager above it) to register and to hand out there; `case.read` at the
station to follow its cases; `case.front_desk` at the town to send a decision back.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from ..domain.cases import (
    Case,
    CaseEvent,
    CaseState,
    Source,
    check_materials,
)
from ..domain.errors import Conflict, InvalidInput
from ..domain.model import Hall, HallKind, ServiceItem
from ..store import tables
from . import access, views
from .cases import (
    C,
    _act,
    _applicant,
    _checklist,
    _item_id,
    _to_case,
    parse_state,
    receive,
    staff_view,
)
from .context import Actor, Deps
from .hours import official_calendar
from .queue import Outbox, run

ITEMS = tables.service_items

LIST_LIMIT = 200


def _station(session: Any, actor: Actor, station_id: int, permission: str) -> Hall:
    """The village station, if the actor may act there; a town or county is not a station."""
    station = access.require_hall(session, actor, station_id, permission)
    if station.kind is not HallKind.VILLAGE or station.parent_id is None:
        raise Conflict(
            "只有村（社区）便民服务站可以代办、转报",
            "Only a village service station receives cases on a citizen's behalf",
        )
    return station


def _town_id(deps: Deps, actor: Actor, station_id: int) -> int:
    with deps.db.reading() as session:
        return int(_station(session, actor, station_id, "case.proxy").parent_id or 0)


def register_at_station(deps: Deps, actor: Actor, station_id: int, data: Any) -> dict[str, Any]:
    """代办: the station's agent registers a case for a citizen, for an item of the town above
    that a station may take in (`village_proxy`); it goes at once to the town's back office
    (转报). The checklist rules are the window's: a missing material refuses it unless the
    agent accepts it with the materials to follow (容缺受理)."""
    town_id = _town_id(deps, actor, station_id)

    def work(out: Outbox) -> dict[str, Any]:
        s, town, now = out.session, out.hall, out.now
        station = _station(s, actor, station_id, "case.proxy")  # again, under the lock
        if not isinstance(data, dict):
            raise InvalidInput("办件内容应为对象", "The case must be a JSON object")
        item_id = _item_id(data.get("item"))
        accept = data.get("accept_with_missing", False)
        if not isinstance(accept, bool):
            raise InvalidInput("容缺受理须为是或否", "accept_with_missing is true or false")
        today = views.today(town, now)
        name, phone, id_number = _applicant(data.get("applicant"), today)
        item = s.get(ServiceItem, item_id)
        if item is None or item.hall_id != town.id or not item.active or not item.village_proxy:
            raise InvalidInput(
                "该事项不能在本站代办，请选择上级便民服务中心可代办的事项",
                "The station cannot take this item in: choose one the town lets stations take",
            )
        materials = check_materials(item.materials, _checklist(item, data.get("materials")), accept)
        made = receive(
            deps,
            out,
            actor,
            item,
            materials,
            (name, phone, id_number),
            Source.STATION,
            columns={"station_id": station.id},
            detail={"station": station.id},
            station_id=station.id,
        )
        return made | {
            "station": {"id": station.id, "name": station.name},
            "town": {"id": town.id, "name": town.name},
        }

    return run(deps, town_id, work)


def station_cases(deps: Deps, actor: Actor, station_id: int, state: Any = None) -> dict[str, Any]:
    """The cases a station received, newest first, each with its state and promised day: the
    station follows them and hands out those sent back to it."""
    wanted = parse_state(state)
    with deps.db.reading() as s:
        station = _station(s, actor, station_id, "case.read")
        query = select(C).where(C.c.station_id == station_id)
        if wanted is not None:
            query = query.where(C.c.state == wanted.value)
        rows = s.execute(query.order_by(C.c.id.desc()).limit(LIST_LIMIT)).all()
        town = s.get(Hall, station.parent_id)
        calendar = official_calendar(s)
        today = views.today(town or station, deps.clock.now())
        found = [staff_view(s, row, _to_case(row), calendar, today) for row in rows]
        items = {
            item.id: item
            for item in s.scalars(
                select(ServiceItem).where(
                    ITEMS.c.hall_id == station.parent_id,
                    ITEMS.c.village_proxy.is_(True),
                    ITEMS.c.active.is_(True),
                )
            )
        }
        return {
            "station": {"id": station.id, "name": station.name, "name_en": station.name_en},
            "town": {"id": town.id, "name": town.name} if town else None,
            "items": [
                {
                    "id": item.id,
                    "name": item.name,
                    "name_en": item.name_en,
                    "time_limit_days": item.time_limit_days,
                    "materials": list(item.materials),
                }
                for item in sorted(items.values(), key=lambda i: i.code)
            ],
            "cases": [
                {
                    **view,
                    "ready_here": view["sent_to_station_on"] is not None
                    and view["state"] in (CaseState.APPROVED.value, CaseState.REFUSED.value),
                }
                for view in found
            ],
            "truncated": len(rows) == LIST_LIMIT,
        }


def send_to_station(deps: Deps, actor: Actor, case_id: int) -> dict[str, Any]:
    """A decided station case goes back to its station (the town's front desk sends it); the
    station's agent then hands it out there."""

    def act(s: Any, case: Case, today: date) -> list[CaseEvent]:
        access.require(s, actor, case.hall_id, "case.front_desk")
        return case.send_to_station(today)

    return _act(deps, actor, case_id, "send_to_station", act, {})
