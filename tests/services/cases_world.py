"""A hall where cases are received and reviewed: the demo town (and a second one), an item
reviewed by two departments in parallel, an item decided on the spot, approvers of each
department, a ticket being served at window 1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from queue_server.domain.identity import id_check_character
from queue_server.domain.model import Role
from queue_server.services import issuing
from queue_server.services import queue as q
from queue_server.services.context import Actor, Deps
from queue_server.services.demo import demo_password, seed_demo
from queue_server.store import tables
from tests.conftest import cached_demo_hash as hash_password

FOOD = ["营业执照", "食品安全承诺书", "场所平面图"]
MARKET, HEALTH = "市场监管所", "卫健办"


def id_number(n: int) -> str:
    first = f"37080219800101{n:03d}"
    return first + id_check_character(first)


def applicant(n: int = 1) -> dict[str, str]:
    return {"name": "张三丰", "phone": "13912345678", "id_number": id_number(n)}


@dataclass
class World:
    deps: Deps
    hall: int
    other_hall: int
    village: int
    window: int
    clerk: Actor  # window 1's A post
    kiosk: Actor
    food_item: int  # 5 working days, 市场监管所 + 卫健办 in parallel
    spot_item: int  # 即办
    approvers: dict[str, Actor]  # "market", "health", "health2", "other_hall_market", "village"
    manager: Actor
    other_clerk: Actor  # a clerk of the other town, posted at its window 1
    other_window: int
    credentials: dict[str, tuple[str, str]]  # staff_no, password by the keys of `approvers`

    def serve(self) -> dict[str, Any]:
        """Issue a ticket at the kiosk and call it at window 1."""
        issuing.issue_ticket(self.deps, self.kiosk, self.hall, "A")
        return q.call_next(self.deps, self.clerk, self.window)

    def register(self, **extra: Any) -> dict[str, Any]:
        from queue_server.services import cases

        data = {
            "item": self.food_item,
            "applicant": applicant(),
            "materials": dict.fromkeys(FOOD, "provided"),
            **extra,
        }
        return cases.register_at_window(self.deps, self.clerk, self.window, data)


def build(deps: Deps) -> World:
    town, other = seed_demo(deps, halls=2)[:2]
    hall = town["hall"]
    with deps.db.transaction() as s:
        category = town["categories"]["A"]

        def item(code: str, name: str, days: int, materials: list[str], review: list[str]) -> int:
            return int(
                s.execute(
                    insert(tables.service_items)
                    .values(
                        hall_id=hall,
                        category_id=category,
                        code=code,
                        name=name,
                        name_en="",
                        item_type="行政许可",
                        legal_basis="",
                        time_limit_days=days,
                        conditions="",
                        steps=[],
                        materials=materials,
                        fee="",
                        department=MARKET,
                        review_departments=review,
                        village_proxy=False,
                        online=False,
                        active=True,
                    )
                    .returning(tables.service_items.c.id)
                ).scalar_one()
            )

        food = item("T-FOOD", "食品经营许可", 5, FOOD, [MARKET, HEALTH])
        spot = item("T-SPOT", "证明开具", 0, ["居民身份证"], [])
        people = {
            "market": (hall, MARKET, Role.CLERK, "9001"),
            "health": (hall, HEALTH, Role.CLERK, "9002"),
            "health2": (hall, HEALTH, Role.CLERK, "9003"),
            "other_hall_market": (other["hall"], MARKET, Role.CLERK, "9004"),
            "village": (town["village"], MARKET, Role.CLERK, "9005"),
        }
        approvers: dict[str, Actor] = {}
        credentials: dict[str, tuple[str, str]] = {}
        for key, (hall_id, department, role, staff_no) in people.items():
            clerk_id = s.execute(
                insert(tables.clerks)
                .values(
                    hall_id=hall_id,
                    staff_no=staff_no,
                    name=f"审批{key}",
                    role=role,
                    department=department,
                    photo_url="",
                    password_hash=hash_password(demo_password(staff_no)),
                    active=True,
                )
                .returning(tables.clerks.c.id)
            ).scalar_one()
            approvers[key] = Actor("clerk", int(clerk_id), hall_id, role, f"审批{key}")
            credentials[key] = (staff_no, demo_password(staff_no))

        def staff(staff_no: str) -> Actor:
            row = s.execute(select(tables.clerks).where(tables.clerks.c.staff_no == staff_no)).one()
            return Actor("clerk", row.id, row.hall_id, Role(row.role), row.name)

        clerk = staff(town["clerks"][0]["staff_no"])
        other_clerk = staff(other["clerks"][0]["staff_no"])
        manager = staff(town["manager"]["staff_no"])
    kiosk = Actor("device", town["kiosk_id"], hall, device_kind="kiosk")
    world = World(
        deps=deps,
        hall=hall,
        other_hall=other["hall"],
        village=town["village"],
        window=town["clerks"][0]["window"],
        clerk=clerk,
        kiosk=kiosk,
        food_item=food,
        spot_item=spot,
        approvers=approvers,
        manager=manager,
        other_clerk=other_clerk,
        other_window=other["clerks"][0]["window"],
        credentials=credentials,
    )
    q.open_window(deps, clerk, world.window)
    q.open_window(deps, other_clerk, world.other_window)
    world.town = town  # type: ignore[attr-defined]
    world.town_other_clerk_no = other["clerks"][0]["staff_no"]  # type: ignore[attr-defined]
    world.town_other_kiosk = other["kiosk_token"]  # type: ignore[attr-defined]
    return world
