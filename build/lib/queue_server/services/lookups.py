"""Finding a hall's things from what a request names: a category by prefix or id, a window by
number or id, a member of staff by staff number or id, and the hall's booking rules.

Issuing, window actions, the kiosk and booking all look things up here, so each refusal
(本大厅没有该业务类别, ...) is worded once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.booking import BookingRule, RuleKey
from ..domain.errors import InvalidInput, NotFound
from ..domain.model import Category, Clerk, Hall, Window
from ..store import booking_tables as bt
from ..store import tables
from . import views


def find_category(session: Session, hall: Hall, ref: Any) -> Category:
    """A category of the hall by its prefix (A) or its id."""
    query = select(Category).where(
        tables.categories.c.hall_id == hall.id, tables.categories.c.active.is_(True)
    )
    by_id, prefix = views.category_ref(ref)
    if by_id is not None:
        query = query.where(tables.categories.c.id == by_id)
    else:
        query = query.where(tables.categories.c.prefix == prefix)
    category = session.scalars(query).first()
    if category is None:
        raise NotFound("本大厅没有该业务类别", "This hall has no such category")
    return category


def find_window(session: Session, hall: Hall, ref: Any) -> Window:
    """A window of the hall by its id (a number) or its window number (a string of digits)."""
    query = select(Window).where(tables.windows.c.hall_id == hall.id)
    if isinstance(ref, int) and not isinstance(ref, bool):
        query = query.where(tables.windows.c.id == ref)
    elif isinstance(ref, str) and ref.strip().isdigit():
        query = query.where(tables.windows.c.number == int(ref))
    else:
        raise InvalidInput("请指定窗口", "Name the window")
    window = session.scalars(query).first()
    if window is None:
        raise NotFound("本大厅没有该窗口", "This hall has no such window")
    return window


def find_clerk(session: Session, hall: Hall, ref: Any, *, or_town: bool = False) -> Clerk:
    """An active member of staff of the hall (`or_town`: or of the town above it) by id (a
    number) or staff number (a string)."""
    halls = [hall.id, hall.parent_id] if or_town else [hall.id]
    query = select(Clerk).where(tables.clerks.c.hall_id.in_(halls))
    if isinstance(ref, int) and not isinstance(ref, bool):
        query = query.where(tables.clerks.c.id == ref)
    elif isinstance(ref, str) and ref.strip():
        query = query.where(tables.clerks.c.staff_no == ref.strip())
    else:
        raise InvalidInput("请指定工作人员", "Name the clerk")
    clerk = session.scalars(query).first()
    if clerk is None or not clerk.active:
        raise NotFound("本大厅没有该工作人员", "This hall has no such clerk")
    return clerk


def load_rules(session: Session, hall_id: int) -> dict[RuleKey, BookingRule]:
    """Every booking rule of the hall by scope."""
    return {
        (row.category_id, row.service_item_id): BookingRule.from_dict(row.rule)
        for row in session.execute(
            select(bt.booking_rules).where(bt.booking_rules.c.hall_id == hall_id)
        )
    }
