"""A manager's booking settings: the rules of the hall, a category or an item, and the hall's
booking policy."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, insert, select, update

from ...domain.booking import DEFAULT_RULE, BookingPolicy, BookingRule
from ...domain.errors import InvalidInput, NotFound
from ...domain.model import Category, ServiceItem
from ...store import booking_tables as bt
from ...store import tables
from .. import access, lookups, views
from ..context import Actor, Deps, audit
from ..lookups import load_rules
from ..queue_messages import Outbox
from ..unit_of_work import run
from .rules import SETTINGS, _id_key, load_policy

RULES = bt.booking_rules


def rules_view(deps: Deps, hall_id: int) -> dict[str, Any]:
    """The hall's booking policy and every rule by scope."""
    with deps.db.reading() as session:
        hall = views.get_hall(session, hall_id)
        rules = load_rules(session, hall_id)
        categories = session.scalars(
            select(Category)
            .where(tables.categories.c.hall_id == hall_id)
            .order_by(tables.categories.c.sort_order)
        ).all()
        items = {
            i.id: i
            for i in session.scalars(
                select(ServiceItem).where(
                    tables.service_items.c.id.in_([k[1] for k in rules if k[1] is not None])
                )
            )
        }
        return {
            "hall": views.hall_view(hall),
            "policy": load_policy(session, hall_id).to_dict(),
            "default": rules.get((None, None), DEFAULT_RULE).to_dict(),
            "default_is_builtin": (None, None) not in rules,
            "categories": [
                {
                    "id": c.id,
                    "prefix": c.prefix,
                    "name": c.name,
                    "rule": rules[(c.id, None)].to_dict() if (c.id, None) in rules else None,
                }
                for c in categories
            ],
            "items": [
                {"id": item_id, "name": items[item_id].name, "rule": rule.to_dict()}
                for (cat, item_id), rule in rules.items()
                if item_id is not None and item_id in items
            ],
        }


def set_rule(deps: Deps, actor: Actor, hall_id: int, data: Any) -> dict[str, Any]:
    """Set (or with rule null, remove) the booking rule of the hall, a category or an item."""
    if not isinstance(data, dict):
        raise InvalidInput("预约规则设置应为对象", "the rule setting must be a JSON object")
    scope = data.get("scope")
    if scope not in ("hall", "category", "item"):
        raise InvalidInput(
            "scope 须为 hall、category 或 item", "scope must be hall, category or item"
        )
    raw = data.get("rule")
    if raw is not None:
        BookingRule.from_dict(raw)  # refuse a malformed rule before taking the lock

    def work(out: Outbox) -> None:
        s, hall = out.session, out.hall
        access.require(s, actor, hall, "booking.configure")
        rules = load_rules(s, hall.id or 0)
        # What a rule does not say, it takes from the rule it refines.
        base = DEFAULT_RULE if scope == "hall" else rules.get((None, None), DEFAULT_RULE)
        category_id: int | None = None
        item_id: int | None = None
        if scope == "category":
            category_id = lookups.find_category(s, hall, data.get("category")).id
        elif scope == "item":
            ref = data.get("item")
            item = (
                s.get(ServiceItem, ref)
                if isinstance(ref, int) and not isinstance(ref, bool)
                else None
            )
            if item is None or item.hall_id != hall.id:
                raise NotFound("本大厅没有该事项", "This hall has no such service item")
            item_id = item.id
            base = rules.get((item.category_id, None), base)
        rule = BookingRule.from_dict({**base.to_dict(), **raw}) if raw is not None else None
        match = and_(
            RULES.c.hall_id == hall.id,
            RULES.c.category_id.is_(None)
            if category_id is None
            else RULES.c.category_id == category_id,
            RULES.c.service_item_id.is_(None)
            if item_id is None
            else RULES.c.service_item_id == item_id,
        )
        s.execute(RULES.delete().where(match))
        if rule is not None:
            s.execute(
                insert(RULES).values(
                    hall_id=hall.id,
                    category_id=category_id,
                    service_item_id=item_id,
                    rule=rule.to_dict(),
                    updated_at=out.now,
                )
            )
        audit(s, at=out.now, actor=actor, action="booking.rule", hall_id=hall.id, subject=scope,
              detail={"category": category_id, "item": item_id,
                      "rule": rule.to_dict() if rule else None})  # fmt: skip

    run(deps, hall_id, work)
    return rules_view(deps, hall_id)


def set_policy(deps: Deps, actor: Actor, hall_id: int, data: Any) -> dict[str, Any]:
    """Change the hall's booking policy (manager); keys not given keep their value."""
    if not isinstance(data, dict):
        raise InvalidInput("预约设置应为对象", "booking settings must be a JSON object")

    def work(out: Outbox) -> dict[str, Any]:
        s, hall = out.session, out.hall
        access.require(s, actor, hall, "booking.configure")
        _id_key(s, hall.id or 0)
        before = load_policy(s, hall.id or 0)
        policy = BookingPolicy.from_dict({**before.to_dict(), **data})
        s.execute(
            update(SETTINGS).where(SETTINGS.c.hall_id == hall.id).values(policy=policy.to_dict())
        )
        audit(s, at=out.now, actor=actor, action="booking.policy", hall_id=hall.id,
              subject=hall.name, detail={"before": before.to_dict(), "after": policy.to_dict()})  # fmt: skip
        return policy.to_dict()

    return {"policy": run(deps, hall_id, work)}
