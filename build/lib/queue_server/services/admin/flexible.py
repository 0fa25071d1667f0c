"""Flexible windows (机动窗口): when to suggest opening one, and the alarm that suggests it."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ...domain.errors import InvalidInput
from ...domain.model import Hall, WindowStatus, WindowType
from ...store import tables
from .. import alarms
from ..bus import Message
from ..context import Actor, Deps
from .change import changing
from .fields import FieldSpec, clean

W = tables.windows


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
    with changing(deps, actor, "hall.configure") as change:
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
