"""The access policy over a four-level tree (city → county → town → village, two branches at
each level), asked directly: every permission × every kind of actor × every hall of the tree.

A manager reaches their own hall and its whole subtree, never the parent's or a sibling's; an
admin reaches every hall; counter staff and devices only what their permissions name."""

from __future__ import annotations

from typing import Any

import pytest

from queue_server.domain.errors import Forbidden, Unauthorized
from queue_server.domain.model import Hall, HallKind, Role
from queue_server.domain.reports import subtree
from queue_server.services import access
from queue_server.services.context import ANONYMOUS, SYSTEM, Actor

KINDS = (HallKind.CITY, HallKind.COUNTY, HallKind.TOWN, HallKind.VILLAGE)


@pytest.fixture
def tree(deps: Any) -> dict[int, int | None]:
    """Fifteen halls: a city, two counties, four towns, eight villages; hall → parent."""
    parents: dict[int, int | None] = {}
    with deps.db.transaction() as s:
        level: list[int | None] = [None]
        for depth, kind in enumerate(KINDS):
            below: list[int | None] = []
            for parent in level:
                for side in range(1 if depth == 0 else 2):
                    hall = Hall(name=f"{kind.value}{parent}-{side}", kind=kind, parent_id=parent)
                    s.add(hall)
                    s.flush()
                    parents[hall.id or 0] = parent
                    below.append(hall.id)
            level = below
    return parents


def staff(role: Role, hall: int) -> Actor:
    return Actor("clerk", 1000 + hall, hall, role, "某人")


def device(kind: str, hall: int) -> Actor:
    return Actor("device", 2000 + hall, hall, device_kind=kind)


def reach(deps: Any, actor: Actor, name: str, halls: Any) -> set[int]:
    with deps.db.reading() as s:
        return {hall for hall in halls if access.has_permission(s, actor, hall, name)}


CONSOLE = [
    name
    for name, permission in access.PERMISSIONS.items()
    if permission.grants.get(Role.MANAGER.value) == access.Reach.TREE
]


def test_a_manager_reaches_their_hall_and_its_whole_subtree_never_above_or_beside(deps, tree):
    assert {"hall.configure", "hall.hours", "device.manage", "report.read"} <= set(CONSOLE)
    assert {"complaint.handle", "booking.staff", "ticket.issue"} <= set(CONSOLE)
    for hall in tree:
        below = subtree(tree, hall)
        for name in CONSOLE:
            assert reach(deps, staff(Role.MANAGER, hall), name, tree) == below, (hall, name)
    # A county manager sets a village's hours, its kiosk's printer, reads its bookings.
    county = next(hall for hall, parent in tree.items() if parent == 1)
    village = next(hall for hall, parent in tree.items() if parent and tree[parent] == county)
    assert village in subtree(tree, county) and village not in tree.values()
    county_manager = staff(Role.MANAGER, county)
    for name in ("hall.hours", "device.manage", "booking.staff"):
        assert village in reach(deps, county_manager, name, tree)


def test_an_admin_reaches_every_hall_and_the_deployment(deps, tree):
    admin = staff(Role.ADMIN, max(tree))  # an admin's own hall does not narrow them
    for name in [*CONSOLE, "deployment.configure", "home_visit.close"]:
        assert reach(deps, admin, name, tree) == set(tree), name
    with deps.db.reading() as s:
        assert not access.has_permission(s, staff(Role.MANAGER, 1), None, "deployment.configure")
        with pytest.raises(Forbidden, match="Only an admin"):
            access.require(s, staff(Role.MANAGER, 1), 1, "deployment.configure")


def test_counter_staff_take_tickets_where_they_work_and_never_open_the_console(deps, tree):
    town = 4
    village = next(hall for hall, parent in tree.items() if parent == town)
    assert reach(deps, staff(Role.CLERK, town), "ticket.issue", tree) == {town}
    # A village agent: their station and the town above it, where they take citizens.
    assert reach(deps, staff(Role.AGENT, village), "ticket.issue", tree) == {village, town}
    assert reach(deps, staff(Role.CLERK, town), "booking.staff", tree) == {town}
    for role in (Role.CLERK, Role.AGENT):
        for name in CONSOLE:
            # Cases (办件) are the counter's and back office's work, not the console's.
            if name not in ("booking.staff", "ticket.issue") and not name.startswith("case."):
                assert reach(deps, staff(role, town), name, tree) == set(), (role, name)
        with deps.db.reading() as s, pytest.raises(Forbidden, match="managers and admins"):
            access.require(s, staff(role, town), town, "hall.configure")


def test_devices_hold_only_their_own_halls_device_permissions(deps, tree):
    town = 4
    assert reach(deps, device("kiosk", town), "ticket.issue", tree) == {town}
    assert reach(deps, device("kiosk", town), "kiosk.self", tree) == {town}
    assert reach(deps, device("evaluator", town), "window.rate", tree) == {town}
    for kind in ("screen", "board", "evaluator", "printer"):
        assert reach(deps, device(kind, town), "ticket.issue", tree) == set(), kind
    for kind in ("kiosk", "screen", "evaluator"):
        for name in [n for n in CONSOLE if n != "ticket.issue"]:
            assert reach(deps, device(kind, town), name, tree) == set(), (kind, name)
    with deps.db.reading() as s:
        with pytest.raises(Forbidden, match="This device may not issue"):
            access.require(s, device("screen", town), town, "ticket.issue")
        with pytest.raises(Unauthorized):  # the console answers devices as signed out
            access.require(s, device("kiosk", town), town, "hall.configure")


def test_nobody_signed_out_holds_anything_but_booking_and_the_system_issues_anywhere(deps, tree):
    for name in access.PERMISSIONS:
        expected = set(tree) if name == "booking.create" else set()
        assert reach(deps, ANONYMOUS, name, tree) == expected, name
    assert reach(deps, SYSTEM, "ticket.issue", tree) == set(tree)
    with deps.db.reading() as s:
        with pytest.raises(Unauthorized, match="kiosk or a signed-in member"):
            access.require(s, ANONYMOUS, 1, "ticket.issue")
        with pytest.raises(Forbidden):  # booking on someone's behalf is a step of booking
            access.require(s, ANONYMOUS, 1, "booking.proxy")
        # A staff actor without an id (a broken session) holds nothing.
        with pytest.raises(Unauthorized):
            access.require(s, Actor("clerk", None, 1, Role.ADMIN), 1, "hall.configure")


def test_an_unknown_permission_is_a_programming_error(deps, tree):
    with deps.db.reading() as s, pytest.raises(ValueError, match="unknown permission"):
        access.has_permission(s, staff(Role.ADMIN, 1), 1, "hall.everything")
