"""Cases (办件, 受审分离) through the services, on SQLite and PostgreSQL: received at a window
while a ticket is served, reviewed by two departments in parallel, returned for correction
with the clock stopped, extended, refused, delivered, picked up with a kiosk ticket; every
step audited and announced to the back office only; two approvers claiming at once, one wins."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from queue_server.bootstrap import bootstrap
from queue_server.domain.errors import Conflict, Forbidden, InvalidInput, QueueError
from queue_server.services import cases, issuing
from queue_server.services import queue as q
from queue_server.services.bus import RecordingBus
from queue_server.store import case_tables, tables
from queue_server.store.db import Database

from .cases_world import FOOD, HEALTH, MARKET, World, applicant, build

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(deps: Any) -> World:
    return build(deps)


def audit_actions(deps: Any) -> list[str]:
    with deps.db.reading() as s:
        return list(
            s.scalars(
                select(tables.audit_log.c.action)
                .where(tables.audit_log.c.action.like("case.%"))
                .order_by(tables.audit_log.c.id)
            )
        )


def test_a_case_received_while_serving_goes_to_both_departments_with_its_promised_day(
    world: World, deps: Any, bus: RecordingBus
):
    world.serve()
    bus.published.clear()
    made = world.register()
    # Thursday 26 November + 5 working days = Thursday 3 December.
    assert made["number"] == f"{cases.hall_case_code(_hall(deps, world.hall))}-20261126-0001"
    assert (made["state"], made["deadline"], made["light"]) == ("in_review", "2026-12-03", "green")
    assert made["departments"] == [MARKET, HEALTH]
    second = world.register(applicant=applicant(2))
    assert second["number"].endswith("-0002") and second["token"] != made["token"]
    # The back office hears of it; no display room does, and nothing personal travels.
    rooms = {m.room for m in bus.published if m.event == "case_changed"}
    assert rooms == {f"backoffice:{world.hall}"}
    assert all("张" not in str(m.payload) and "139" not in str(m.payload) for m in bus.published)
    with deps.db.reading() as s:
        row = s.execute(select(case_tables.cases).where(case_tables.cases.c.id == made["id"])).one()
    assert row.id_masked == "3708**********" + applicant()["id_number"][-4:]
    assert applicant()["id_number"] not in str(tuple(row))  # only the digest is kept
    assert len(row.id_digest) == 64
    assert audit_actions(deps) == ["case.register", "case.register"]


def test_no_case_without_a_ticket_being_served_at_the_window(world: World):
    with pytest.raises(Conflict, match="serve a ticket"):
        world.register()


def test_missing_materials_refuse_the_case_unless_accepted_with_them_to_follow(
    world: World, deps: Any
):
    world.serve()
    checklist = dict.fromkeys(FOOD, "provided") | {"场所平面图": "missing"}
    with pytest.raises(InvalidInput) as refused:
        world.register(materials=checklist)
    assert refused.value.missing == ["场所平面图"]  # type: ignore[attr-defined]
    assert audit_actions(deps) == []
    made = world.register(materials=checklist, accept_with_missing=True)
    assert made["state"] == "in_review"
    # Materials can also be named by their place in the item's list.
    made = world.register(materials={"1": "provided", "2": "provided", "3": "na"})
    assert made["state"] == "in_review"


def test_an_item_without_a_time_limit_is_approved_on_the_spot(world: World):
    world.serve()
    made = world.register(item=world.spot_item, materials={"居民身份证": "provided"})
    assert (made["state"], made["deadline"], made["light"]) == ("approved", "2026-11-26", "green")


def test_the_whole_path_two_departments_correction_extension_delivery(
    world: World, deps: Any, clock: Any
):
    world.serve()
    case_id = world.register()["id"]
    market, health = world.approvers["market"], world.approvers["health"]
    cases.claim(deps, market, case_id)
    view = cases.return_for_correction(
        deps, market, case_id, {"missing": ["场所平面图"], "note": "图纸不清"}
    )
    assert view["state"] == "correction" and view["missing"] == ["场所平面图"]
    public = cases.find_by_token(deps, view["token"])
    assert public["missing"] == ["场所平面图"] and public["state_name"] == "需补正"
    assert public["applicant"] == "张**"
    # Approving while the applicant's materials are awaited is refused, in both languages.
    with pytest.raises(Conflict) as refused:
        cases.approve(deps, health, case_id)
    assert "需补正" in refused.value.message and "materials needed" in refused.value.message_en
    # Three working days in 需补正 (Fri, Mon, Tue) push the promised day by three.
    clock.current = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
    view = cases.resubmit(deps, world.clerk, case_id)
    assert (view["state"], view["deadline"]) == ("in_review", "2026-12-08")
    view = cases.extend(deps, world.manager, case_id, {"days": 2, "reason": "需现场核查"})
    assert view["deadline"] == "2026-12-10"
    view = cases.approve(deps, market, case_id)
    assert view["state"] == "in_review"  # the other department has not signed yet
    assert [s["state"] for s in view["steps"]] == ["approved", "pending"]
    view = cases.approve(deps, health, case_id)
    assert (view["state"], view["decided_on"]) == ("approved", "2026-12-01")
    with pytest.raises(InvalidInput, match="tracking"):
        cases.deliver(deps, world.clerk, case_id, {"how": "post"})
    view = cases.deliver(deps, world.clerk, case_id, {"how": "post", "tracking": "SF123"})
    assert (view["state"], view["delivery"], view["tracking"]) == ("delivered", "post", "SF123")
    with pytest.raises(Conflict):
        cases.deliver(deps, world.clerk, case_id, {"how": "window"})
    assert audit_actions(deps) == [
        "case.register",
        "case.claim",
        "case.return",
        "case.resubmit",
        "case.extend",
        "case.approve",
        "case.approve",
        "case.deliver",
    ]


def test_one_refusal_refuses_the_case_with_its_reason(world: World, deps: Any):
    world.serve()
    case_id = world.register()["id"]
    with pytest.raises(InvalidInput, match="reason"):
        cases.refuse(deps, world.approvers["health"], case_id, {"reason": " "})
    view = cases.refuse(deps, world.approvers["health"], case_id, {"reason": "选址不符合卫生要求"})
    assert (view["state"], view["refusal_reason"]) == ("refused", "选址不符合卫生要求")
    with pytest.raises(Conflict):
        cases.approve(deps, world.approvers["market"], case_id)


def test_only_the_reviewing_departments_of_the_hall_or_above_decide(world: World, deps: Any):
    world.serve()
    case_id = world.register()["id"]
    # The window clerk (便民服务中心) reviews nothing; neither does 市场监管所 of another town,
    # nor a 市场监管所 clerk of the village below.
    for who in (world.clerk, world.approvers["other_hall_market"], world.approvers["village"]):
        with pytest.raises(Forbidden, match="department that reviews"):
            cases.claim(deps, who, case_id)
    with pytest.raises(Forbidden):
        cases.resubmit(deps, world.other_clerk, case_id)
    with pytest.raises(Forbidden):
        cases.list_cases(deps, world.other_clerk, world.hall)
    # A clerk at another hall's window cannot register here.
    with pytest.raises(Forbidden):
        cases.register_at_window(deps, world.other_clerk, world.window, {"item": world.food_item})
    assert audit_actions(deps) == ["case.register"]


def test_a_hall_lists_its_cases_by_state_department_and_overdue(
    world: World, deps: Any, clock: Any
):
    world.serve()
    first = world.register()["id"]
    spot = world.register(item=world.spot_item, materials={"居民身份证": "provided"})["id"]
    listed = cases.list_cases(deps, world.manager, world.hall)
    assert {c["id"] for c in listed["cases"]} == {first, spot}
    assert listed["cases"][0]["applicant"] == {
        "name": "张**",
        "phone": "139****5678",
        "id_number": "3708**********" + applicant()["id_number"][-4:],
    }
    only = cases.list_cases(deps, world.manager, world.hall, state="approved")
    assert [c["id"] for c in only["cases"]] == [spot]
    assert [
        c["id"] for c in cases.list_cases(deps, world.clerk, world.hall, department=HEALTH)["cases"]
    ] == [first]
    assert cases.list_cases(deps, world.manager, world.hall, overdue=True)["cases"] == []
    # Friday 4 December: past Thursday's promised day.
    clock.current = datetime(2026, 12, 4, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)
    overdue = cases.list_cases(deps, world.manager, world.hall, overdue=True)["cases"]
    assert [(c["id"], c["light"]) for c in overdue] == [(first, "red")]
    with pytest.raises(InvalidInput):
        cases.list_cases(deps, world.manager, world.hall, state="lost")


def test_a_promised_day_in_a_year_without_its_notice_is_counted_provisionally(
    world: World, deps: Any
):
    # 300 working days from 26 November 2026 end in 2028, a year whose holiday notice is not
    # out: counted on the statutory holidays by law, and said to be provisional.
    with deps.db.transaction() as s:
        s.execute(
            update(tables.service_items)
            .where(tables.service_items.c.id == world.food_item)
            .values(time_limit_days=300)
        )
    world.serve()
    received = world.register()
    assert received["deadline"].startswith("2028-")
    assert received["deadline_provisional"] is True
    with deps.db.transaction() as s:
        s.execute(
            update(tables.service_items)
            .where(tables.service_items.c.id == world.food_item)
            .values(time_limit_days=5)
        )
    assert world.register()["deadline_provisional"] is False


def test_a_ready_case_gets_a_pickup_ticket_of_its_own_category(world: World, deps: Any):
    world.serve()
    made = world.register(item=world.spot_item, materials={"居民身份证": "provided"})
    pending = world.register()
    with pytest.raises(Conflict, match="nothing to pick up"):
        cases.pickup_ticket(deps, world.kiosk, world.hall, pending["number"])
    ticket = cases.pickup_ticket(deps, world.kiosk, world.hall, made["token"])
    again = cases.pickup_ticket(deps, world.kiosk, world.hall, made["number"].lower())
    assert ticket["case"]["number"] == made["number"]
    assert ticket["category"]["id"] == again["category"]["id"]
    names = [ticket["category"]["name"]]
    assert names == ["出件"]  # made once, used again
    assert again["number"][:-3] == ticket["number"][:-3] and again["number"] != ticket["number"]
    assert ticket["priority"] == "none"
    # A hall may let pickups go ahead of the queue (a short visit): its pickup priority.
    with deps.db.transaction() as s:
        s.execute(
            update(tables.halls)
            .where(tables.halls.c.id == world.hall)
            .values(settings={"cases": {"pickup_priority": "elderly"}})
        )
    assert cases.pickup_ticket(deps, world.kiosk, world.hall, made["number"])["priority"] == (
        "elderly"
    )
    other_kiosk = world.kiosk.__class__("device", 999, world.other_hall, device_kind="kiosk")
    with pytest.raises(Forbidden):
        cases.pickup_ticket(deps, other_kiosk, world.hall, made["number"])


def test_a_pickup_ticket_is_linked_to_its_case_in_the_same_transaction(world: World, deps: Any):
    """The clerk who calls a pickup ticket sees its case: the link is written with the ticket,
    so a ticket never exists without it, and a failed link issues no ticket."""
    world.serve()
    made = world.register(item=world.spot_item, materials={"居民身份证": "provided"})
    ticket = cases.pickup_ticket(deps, world.kiosk, world.hall, made["number"])
    with deps.db.reading() as s:
        linked = s.scalar(
            select(case_tables.cases.c.pickup_ticket_id).where(case_tables.cases.c.id == made["id"])
        )
        issued = s.scalar(select(func.count()).select_from(tables.tickets))
    assert linked == ticket["id"]

    def broken(session: Any, ticket_id: int) -> None:
        raise RuntimeError("the link could not be written")

    with pytest.raises(RuntimeError):
        issuing.issue_ticket(deps, world.kiosk, world.hall, ticket["category"]["id"], then=broken)
    with deps.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(tables.tickets)) == issued


def test_two_approvers_claiming_the_same_case_at_once_one_wins(
    world: World, deps: Any, db_url: str
):
    world.serve()
    case_id = world.register()["id"]
    # Two processes' worth: each approver's request on its own Database object.
    second = Database(db_url)
    others = bootstrap(
        {"DB": second, "BUS": RecordingBus(), "CLOCK": deps.clock, "DATABASE_URL": db_url}
    )
    barrier = threading.Barrier(2)
    outcomes: list[Any] = [None, None]

    def approver(index: int, using: Any, who: Any) -> None:
        barrier.wait()
        try:
            outcomes[index] = cases.claim(using, who, case_id)
        except QueueError as error:
            outcomes[index] = error

    threads = [
        threading.Thread(target=approver, args=(0, deps, world.approvers["health"])),
        threading.Thread(target=approver, args=(1, others, world.approvers["health2"])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    second.dispose()
    won = [o for o in outcomes if isinstance(o, dict)]
    lost = [o for o in outcomes if isinstance(o, QueueError)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert isinstance(lost[0], Conflict) and "claimed" in lost[0].message_en
    winner = won[0]["steps"][1]["approver_id"]
    view = cases.find_by_token(deps, won[0]["token"])
    assert view["state"] == "in_review"
    with deps.db.reading() as s:
        steps = s.scalar(select(case_tables.cases.c.steps).where(case_tables.cases.c.id == case_id))
    assert steps[1]["approver_id"] == winner
    # The loser may not decide the step the winner holds.
    loser = next(
        a for a in (world.approvers["health"], world.approvers["health2"]) if a.id != winner
    )
    with pytest.raises(Conflict):
        cases.approve(deps, loser, case_id)


def _hall(deps: Any, hall_id: int) -> Any:
    from queue_server.domain.model import Hall

    with deps.db.reading() as s:
        hall = s.get(Hall, hall_id)
        s.expunge(hall)
        return hall


def test_the_window_clerk_registers_only_while_a_ticket_is_at_the_window(world: World, deps: Any):
    served = world.serve()
    q.finish(deps, world.clerk, world.window, [], "back_office")
    assert served["ticket"] is not None
    with pytest.raises(Conflict):
        world.register()


def test_a_manager_names_the_departments_that_review_an_item_in_parallel(world: World, deps: Any):
    from queue_server.services.admin.items import save_item

    world.serve()
    saved = save_item(
        deps, world.manager, None, world.food_item, {"review_departments": [" 卫健办 ", "消防"]}
    )
    assert saved["review_departments"] == ["卫健办", "消防"]
    assert world.register()["departments"] == ["卫健办", "消防"]
    save_item(deps, world.manager, None, world.food_item, {"review_departments": []})
    # None named: the item's own department reviews it.
    assert world.register()["departments"] == [MARKET]
