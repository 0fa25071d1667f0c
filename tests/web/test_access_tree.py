"""One access policy, seen through the API on the four-level tree: what a manager's console lists
is exactly what they may change — hours, devices and printers, bookings — however deep below
their hall it sits, and nothing above or beside it (these used to disagree: a town manager
could add a village's kiosk but not set its printer, a county manager saw a village but could
not set its hours)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .hall_world import HallTree, database_digest, hall_tree, make_app, make_deps  # noqa: F401
from .test_api import assert_error


@pytest.fixture
def tree(hall_tree: HallTree, tmp_path: Path) -> Any:  # noqa: F811
    deps = make_deps(hall_tree.copy_to(tmp_path))
    yield make_app(deps, tmp_path).test_client(), deps, hall_tree
    deps.db.dispose()


def signed_in(client: Any, staff_no: str) -> dict[str, str]:
    reply = client.post(
        "/api/v1/auth/login", json={"staff_no": staff_no, "password": f"demo{staff_no}"}
    )
    assert reply.status_code == 200
    return {"Authorization": f"Bearer {reply.get_json()['token']}"}


def close_a_day(client: Any, auth: dict[str, str], hall: int) -> Any:
    return client.put(
        f"/api/v1/halls/{hall}/hours/overrides/2026-12-24",
        json={"closed": True, "reason": "设备检修"},
        headers=auth,
    )


def set_printer(client: Any, auth: dict[str, str], kiosk: int) -> Any:
    return client.put(f"/api/v1/kiosks/{kiosk}/printer", json={"paper_mm": 58}, headers=auth)


@pytest.mark.parametrize("manager", ["county1", "town1"])
def test_a_manager_changes_the_hours_of_exactly_the_halls_their_console_lists(tree, manager):
    client, deps, world = tree
    auth = signed_in(client, world.halls[manager].staff["manager"])
    listed = {
        hall["id"] for hall in client.get("/api/v1/admin/halls", headers=auth).get_json()["halls"]
    }
    below = {
        "county1": {"county1", "town1", "town2", "village1a", "village1b", "village2a",
                    "village2b"},
        "town1": {"town1", "village1a", "village1b"},
    }[manager]  # fmt: skip
    assert listed == {world.ids[name] for name in below}
    for name, hall in world.ids.items():
        reply = close_a_day(client, auth, hall)
        if name in below:
            assert reply.status_code == 200, (name, reply.get_json())
        else:
            before = database_digest(deps)
            assert_error(reply, 403, "forbidden")
            assert database_digest(deps) == before


def test_a_county_manager_sets_a_village_kiosks_printer_and_reads_its_bookings(tree):
    client, _, world = tree
    auth = signed_in(client, world.halls["county1"].staff["manager"])
    village = world.halls["village1a"]  # two levels below the county
    assert set_printer(client, auth, village.kiosk).status_code == 200
    bookings = client.get(f"/api/v1/halls/{village.hall}/bookings", headers=auth)
    assert bookings.status_code == 200 and bookings.get_json()["bookings"]
    assert_error(set_printer(client, auth, world.halls["town3"].kiosk), 403, "forbidden")


def test_a_town_manager_sets_the_printer_of_the_kiosk_they_add_in_a_village_below(tree):
    client, deps, world = tree
    auth = signed_in(client, world.halls["town1"].staff["manager"])
    village = world.ids["village1b"]
    made = client.post(
        f"/api/v1/admin/halls/{village}/devices",
        json={"kind": "kiosk", "name": "村站取号机"},
        headers=auth,
    )
    assert made.status_code == 201, made.get_json()
    kiosk = made.get_json()["id"]
    assert set_printer(client, auth, kiosk).status_code == 200
    assert set_printer(client, auth, world.halls["village1a"].kiosk).status_code == 200
    before = database_digest(deps)
    for above_or_beside in ("county1", "town2", "town3"):
        reply = set_printer(client, auth, world.halls[above_or_beside].kiosk)
        assert_error(reply, 403, "forbidden")
    assert database_digest(deps) == before
