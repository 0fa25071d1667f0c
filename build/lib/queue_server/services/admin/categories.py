"""Categories (业务类别): number prefixes, daily caps, target waits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...domain.errors import InvalidInput
from ...domain.model import Category, Window
from ...store import tables
from .. import access, views
from ..context import Actor, Deps
from .change import changing, read_one, refuse_taken, snapshot
from .fields import FieldSpec, clean, field_error

C = tables.categories
W = tables.windows


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

CATEGORY_AUDIT = tuple(spec.key for spec in CATEGORY_FIELDS)
NO_CATEGORY = ("找不到该业务类别", "No such category")


def category_admin_view(category: Category) -> dict[str, Any]:
    """A category with every configurable field."""
    return {"id": category.id, "hall_id": category.hall_id, **snapshot(category, CATEGORY_AUDIT)}


def list_categories(deps: Deps, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
    """The hall's categories, active ones first in display order."""
    with deps.db.reading() as session:
        access.require_hall(session, actor, hall_id, "hall.configure")
        return [category_admin_view(c) for c in hall_categories(session, hall_id)]


def get_category(deps: Deps, actor: Actor, category_id: int) -> dict[str, Any]:
    """One category."""
    return read_one(
        deps,
        actor,
        Category,
        category_id,
        NO_CATEGORY,
        lambda _, c: category_admin_view(c),
        "hall.configure",
    )


def hall_categories(session: Session, hall_id: int) -> list[Category]:
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
    with changing(deps, actor, "hall.configure") as change:
        s = change.session
        category, hall = change.add_or_load(
            Category,
            category_id,
            hall_id,
            NO_CATEGORY,
            lambda new_hall: Category(
                hall_id=new_hall, prefix=values["prefix"], name=values["name"]
            ),
        )
        before = None if category_id is None else snapshot(category, CATEGORY_AUDIT)
        if before is not None and "prefix" in values and values["prefix"] != category.prefix:
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
        refuse_taken(
            s,
            C,
            category.id,
            "prefix",
            f"本大厅已有前缀为 {category.prefix} 的类别",
            f"This hall already has a category with prefix {category.prefix}",
            hall_id=category.hall_id,
            prefix=category.prefix,
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
