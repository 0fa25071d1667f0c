"""The self-service kiosk device: its home screen and what it learns of itself (its hall and how
its printer is doing). The guide it searches is `guide`; its ticket printer is `printing`."""

from __future__ import annotations

from typing import Any

from ..domain.model import PRIORITY_NAMES, Priority
from . import access, views
from .context import Actor, Deps
from .guide import MAX_QUERY, hall_entries
from .hours import official_calendar, open_state
from .printing import device_alarms, device_row, printer_view

# MAX_QUERY is also read from here (by the search API); it lives in `guide`.
__all__ = [
    "GREEN_CHANNEL",
    "MAX_QUERY",
    "kiosk_home",
    "kiosk_me",
]

GREEN_CHANNEL = [
    {"kind": p.value, "name": PRIORITY_NAMES[p][0], "name_en": PRIORITY_NAMES[p][1]}
    for p in Priority
    if p != Priority.NONE
]


def kiosk_home(deps: Deps, hall_id: int, appointments: bool = False) -> dict[str, Any]:
    """What the kiosk's home screen shows: open or not, categories with live figures."""
    with deps.db.reading() as session:
        hall = views.get_hall(session, hall_id)
        now = deps.clock.now()
        status = views.QueueStatus(session, hall, now)
        counts: dict[int, int] = {}
        for entry in hall_entries(session, hall_id):
            if entry.item.category_id is not None:
                counts[entry.item.category_id] = counts.get(entry.item.category_id, 0) + 1
        categories = [
            {**view, "items": counts.get(view["id"], 0)} for view in status.categories_view()
        ]
        return {
            "hall": {**views.hall_view(hall), "notice": hall.notice},
            "open": open_state(hall, now, official_calendar(session)).as_dict(),
            "categories": categories,
            "green_channel": GREEN_CHANNEL,
            "appointments": appointments,
            "service_day": views.today(hall, now).isoformat(),
            "server_time": views.iso(now),
        }


def kiosk_me(deps: Deps, actor: Actor) -> dict[str, Any]:
    """The kiosk device asking: who it is, its hall, and how its printer is doing."""
    access.require_anywhere(actor, "kiosk.self")
    assert actor.id is not None and actor.hall_id is not None
    with deps.db.reading() as session:
        row = device_row(session, actor.id)
        hall = views.hall_view(views.get_hall(session, row.hall_id))
    return {
        "device": {"id": row.id, "name": row.name, "kind": row.kind, "hall_id": row.hall_id},
        "hall": hall,
        "printer": printer_view(row, device_alarms(deps, row.hall_id, row.id)),
    }
