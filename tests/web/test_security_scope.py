"""Taking tickets on a citizen's behalf stays within the hall tree: a manager for their hall and
the stations below it, a village agent at their station and the town centre above it; another
town's staff are refused and nothing is issued (found by the access matrix)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from queue_server.services.demo import demo_password

from .hall_world import World, hall_world, make_app, make_deps  # noqa: F401
from .test_api import assert_error, table_counts


@pytest.fixture
def towns(hall_world: World, tmp_path: Path) -> Any:  # noqa: F811
    deps = make_deps(hall_world.copy_to(tmp_path))
    yield make_app(deps, tmp_path).test_client(), deps, hall_world
    deps.db.dispose()


def take(client: Any, staff_no: str, hall: int, category: str = "A") -> Any:
    token = client.post(
        "/api/v1/auth/login", json={"staff_no": staff_no, "password": demo_password(staff_no)}
    ).get_json()["token"]
    return client.post(
        f"/api/v1/halls/{hall}/tickets",
        json={"category": category},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_a_manager_takes_tickets_in_their_town_and_its_stations_only(towns):
    client, deps, world = towns
    manager = world.mine.staff["manager"]
    assert take(client, manager, world.mine.hall).status_code == 201
    assert take(client, manager, world.mine.village).status_code == 201
    before = table_counts(deps)
    assert_error(take(client, manager, world.theirs.hall), 403, "forbidden")
    assert_error(take(client, manager, world.theirs.village), 403, "forbidden")
    assert table_counts(deps) == before


def test_a_village_agent_takes_tickets_at_their_station_and_the_town_above_only(towns):
    client, deps, world = towns
    agent = world.mine.staff["agent"]
    assert take(client, agent, world.mine.village).status_code == 201
    assert take(client, agent, world.mine.hall).status_code == 201
    before = table_counts(deps)
    refused = take(client, agent, world.theirs.hall)
    assert assert_error(refused, 403)["message"] == "您无权为该大厅取号"
    assert_error(take(client, agent, world.theirs.village), 403)
    assert table_counts(deps) == before


def test_a_clerk_takes_tickets_only_in_their_own_hall(towns):
    client, deps, world = towns
    clerk = world.mine.staff["clerk"]
    assert take(client, clerk, world.mine.hall).status_code == 201
    before = table_counts(deps)
    assert_error(take(client, clerk, world.mine.village), 403)
    assert_error(take(client, clerk, world.theirs.hall), 403)
    assert table_counts(deps) == before
