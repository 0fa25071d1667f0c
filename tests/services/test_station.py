"""The village station's cases (代办、转报): the agent registers a case for a citizen, the town's
back office reviews it, the station follows it, the decision goes back to the station and is
handed out there."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from queue_server.domain.errors import Conflict, Forbidden, InvalidInput
from queue_server.domain.model import Role
from queue_server.services import cases, station
from queue_server.services.context import Actor
from queue_server.store import tables

from .cases_world import FOOD, HEALTH, MARKET, World, applicant, build


@pytest.fixture
def world(deps: Any) -> World:
    made = build(deps)
    with deps.db.transaction() as s:  # the food licence may be taken in at a village station
        s.execute(
            update(tables.service_items)
            .where(tables.service_items.c.id == made.food_item)
            .values(village_proxy=True)
        )
    return made


def agent(deps: Any, world: World) -> Actor:
    staff_no = world.town["agent"]["staff_no"]  # type: ignore[attr-defined]
    with deps.db.reading() as s:
        row = s.execute(select(tables.clerks).where(tables.clerks.c.staff_no == staff_no)).one()
    return Actor("clerk", row.id, row.hall_id, Role(row.role), row.name)


def proxy(deps: Any, world: World, who: Actor | None = None, **extra: Any) -> dict[str, Any]:
    data = {
        "item": world.food_item,
        "applicant": applicant(),
        "materials": dict.fromkeys(FOOD, "provided"),
        **extra,
    }
    return station.register_at_station(deps, who or agent(deps, world), world.village, data)


@pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)
def test_the_agent_registers_a_case_that_goes_to_the_towns_back_office(world: World, deps: Any):
    made = proxy(deps, world)
    # The town's number and promised day; its departments review it (转报).
    code = cases.hall_case_code(_hall(deps, world.hall))
    assert made["number"] == f"{code}-20261126-0001"
    assert (made["state"], made["deadline"], made["departments"]) == (
        "in_review",
        "2026-12-03",
        [MARKET, HEALTH],
    )
    assert made["station"]["id"] == world.village and made["town"]["id"] == world.hall
    back_office = cases.list_cases(deps, world.approvers["market"], world.hall, department=MARKET)
    [seen] = back_office["cases"]
    assert (seen["source"], seen["station_id"]) == ("station", world.village)
    # The station sees it, its state in words, with the applicant masked.
    listed = station.station_cases(deps, agent(deps, world), world.village)
    [mine] = listed["cases"]
    assert (mine["number"], mine["state_name"], mine["ready_here"]) == (
        made["number"],
        "审批中",
        False,
    )
    assert mine["applicant"]["name"] == "张**"
    offered = {i["id"] for i in listed["items"]}  # the town's items a station may take in
    assert world.food_item in offered and world.spot_item not in offered
    # A window case of the town keeps counting on after it.
    world.serve()
    assert world.register()["number"].endswith("-0002")


def test_what_the_station_may_not_take_in_is_refused_and_changes_nothing(world: World, deps: Any):
    with pytest.raises(InvalidInput, match="cannot take this item"):
        proxy(deps, world, item=world.spot_item)  # not marked for villages
    with pytest.raises(InvalidInput) as missing:
        proxy(deps, world, materials=dict.fromkeys(FOOD, "provided") | {"营业执照": "missing"})
    assert missing.value.missing == ["营业执照"]  # type: ignore[attr-defined]
    # The town itself is not a station; a town's clerk is not the station's staff; another
    # town's clerk neither.
    with pytest.raises(Conflict, match="village service station"):
        station.register_at_station(deps, world.manager, world.hall, {"item": world.food_item})
    for who in (world.clerk, world.other_clerk):
        with pytest.raises(Forbidden):
            proxy(deps, world, who=who)
        with pytest.raises(Forbidden):
            station.station_cases(deps, world.other_clerk, world.village)
    with deps.db.reading() as s:
        assert s.scalar(select(tables.audit_log.c.id).where(
            tables.audit_log.c.action == "case.register")) is None  # fmt: skip


@pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)
def test_the_decision_goes_back_to_the_station_and_is_handed_out_there(world: World, deps: Any):
    made = proxy(deps, world)
    the_agent = agent(deps, world)
    with pytest.raises(Conflict, match="nothing to send back"):
        station.send_to_station(deps, world.clerk, made["id"])
    cases.approve(deps, world.approvers["market"], made["id"])
    cases.approve(deps, world.approvers["health"], made["id"])
    # The station's agent is not the town's front desk; the town's clerk sends it back.
    with pytest.raises(Forbidden):
        station.send_to_station(deps, the_agent, made["id"])
    sent = station.send_to_station(deps, world.clerk, made["id"])
    assert sent["sent_to_station_on"] == "2026-11-26"
    with pytest.raises(Conflict, match="already been sent"):
        station.send_to_station(deps, world.clerk, made["id"])
    [ready] = station.station_cases(deps, the_agent, world.village, state="approved")["cases"]
    assert ready["ready_here"] is True
    # The citizen's page says where to pick it up: the station.
    public = cases.find_by_token(deps, made["token"])
    assert public["pickup"]["hall"].endswith("李家村便民服务站")
    # The agent hands it out at the station; nowhere else.
    with pytest.raises(Forbidden):
        cases.deliver(deps, the_agent, made["id"], {"how": "window"})
    done = cases.deliver(deps, the_agent, made["id"], {"how": "station"})
    assert (done["state"], done["delivery"]) == ("delivered", "station")
    with deps.db.reading() as s:
        actions = list(
            s.scalars(
                select(tables.audit_log.c.action)
                .where(tables.audit_log.c.action.like("case.%"))
                .order_by(tables.audit_log.c.id)
            )
        )
    assert actions == [
        "case.register",
        "case.approve",
        "case.approve",
        "case.send_to_station",
        "case.deliver",
    ]


def test_a_window_case_is_not_sent_to_a_station(world: World, deps: Any):
    world.serve()
    made = world.register(item=world.spot_item, materials={"居民身份证": "provided"})
    with pytest.raises(Conflict, match="village station"):
        station.send_to_station(deps, world.clerk, made["id"])
    # Nor does the station's agent hand out the town's window cases.
    with pytest.raises(Forbidden):
        cases.deliver(deps, agent(deps, world), made["id"], {"how": "station"})
    assert HEALTH  # the world's second department reviews station cases too (above)


def _hall(deps: Any, hall_id: int) -> Any:
    from queue_server.domain.model import Hall

    with deps.db.reading() as s:
        hall = s.get(Hall, hall_id)
        s.expunge(hall)
        return hall
