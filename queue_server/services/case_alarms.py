"""The hall alarm of overdue cases (办件超期): a leased periodic job raises it at every hall whose
back office has a case past its promised day, and clears it once none is.

The alarm is the device alarms' kind of warning (services/alarms.py): the live monitor and the
hall's alarm list show it; it blocks nothing. A promised day is a day's end: a case due on
Thursday is overdue from the first minute of the hall's Friday service day.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..store import tables
from . import alarms
from .case_reports import overdue_by_hall
from .context import Deps
from .scheduler import periodic

CASE_OVERDUE = "case_overdue"
SHOWN = 5  # case numbers named in the alarm's text


def _text(numbers: list[str]) -> tuple[str, str]:
    named = "、".join(numbers[:SHOWN]) + ("等" if len(numbers) > SHOWN else "")
    named_en = ", ".join(numbers[:SHOWN]) + (" and more" if len(numbers) > SHOWN else "")
    return (
        f"有 {len(numbers)} 件办件已超过承诺办结日：{named}，请督办",
        f"{len(numbers)} case(s) past their promised day: {named_en}; please follow them up",
    )


@periodic("case_overdue_alarm", every=timedelta(minutes=1))
def alarm_overdue_cases(deps: Deps) -> dict[str, int]:
    """Raise the overdue alarm where a case is overdue; clear it where none is any more."""
    overdue = overdue_by_hall(deps)
    with deps.db.reading() as session:
        alarmed = set(
            session.scalars(
                select(tables.alarms.c.hall_id).where(
                    tables.alarms.c.kind == CASE_OVERDUE, tables.alarms.c.cleared_at.is_(None)
                )
            )
        )
    raised = cleared = 0
    for hall_id, numbers in sorted(overdue.items()):
        if hall_id in alarmed:
            continue  # told already; the list of cases says the rest
        message, message_en = _text(numbers)
        alarms.raise_alarm(
            deps, hall_id, CASE_OVERDUE, message, message_en, detail={"cases": numbers[:50]}
        )
        raised += 1
    for hall_id in sorted(alarmed - set(overdue)):
        cleared += alarms.clear_alarms(deps, hall_id, CASE_OVERDUE)
    return {"raised": raised, "cleared": cleared}
