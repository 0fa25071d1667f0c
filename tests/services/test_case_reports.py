"""The console's case reports through the services, on SQLite and PostgreSQL: cases per state,
the overdue list (filtered by the database, decided on the calendar), 按时办结率 and average
working days per hall rolled up from the village station, per department, and the cases each
clerk received."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from queue_server.domain.errors import Forbidden, InvalidInput
from queue_server.domain.reports import Period
from queue_server.services import case_reports, cases, station
from queue_server.store import tables

from .cases_world import FOOD, HEALTH, MARKET, World, applicant, build
from .test_station import agent

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)
SHANGHAI = ZoneInfo("Asia/Shanghai")
SPAN = Period("range", date(2026, 11, 26), date(2026, 12, 4))


def at(day: int, month: int = 12) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def world(deps: Any, clock: Any) -> World:
    """On Thursday 26 November two window cases and one from the village station (5 working
    days: due Thursday 3 December); one decided on Friday, one late on 4 December, the
    station's still open then."""
    made = build(deps)
    with deps.db.transaction() as s:
        s.execute(
            update(tables.service_items)
            .where(tables.service_items.c.id == made.food_item)
            .values(village_proxy=True)
        )
    made.serve()
    early, late = made.register()["id"], made.register(applicant=applicant(2))["id"]
    data = {"item": made.food_item, "applicant": applicant(3)}
    data["materials"] = dict.fromkeys(FOOD, "provided")
    proxied = station.register_at_station(deps, agent(deps, made), made.village, data)
    clock.current = at(27, 11)
    for who in ("market", "health"):
        cases.approve(deps, made.approvers[who], early)
    clock.current = at(4)
    for who in ("market", "health"):
        cases.approve(deps, made.approvers[who], late)
    made.ids = (early, late, proxied["id"])  # type: ignore[attr-defined]
    return made


def test_cases_per_state_and_the_overdue_list(world: World, deps: Any):
    counts = {
        c["state"]: c["count"] for c in case_reports.state_counts(deps, world.manager, world.hall)
    }
    assert (counts["approved"], counts["in_review"], counts["delivered"]) == (2, 1, 0)
    [overdue] = case_reports.overdue_cases(deps, world.manager, world.hall)
    assert (overdue["id"], overdue["light"], overdue["deadline"]) == (
        world.ids[2],
        "red",
        "2026-12-03",
    )  # type: ignore[attr-defined]
    assert overdue["hall_name"].endswith("李家村便民服务站")
    assert overdue["applicant"]["name"] == "张**"
    # The station's own view of the console: its case only.
    assert [c["count"] for c in case_reports.state_counts(deps, world.manager, world.village)
            if c["state"] == "in_review"] == [1]  # fmt: skip


def test_on_the_promised_day_nothing_is_overdue(world: World, deps: Any, clock: Any):
    clock.current = at(3)
    assert case_reports.overdue_cases(deps, world.manager, world.hall) == []
    assert case_reports.overdue_by_hall(deps) == {}
    clock.current = at(4)
    assert list(case_reports.overdue_by_hall(deps)) == [world.hall]


def test_the_on_time_rate_per_hall_rolls_up_from_the_station(world: World, deps: Any):
    report = case_reports.case_report(deps, world.manager, world.hall, SPAN, "hall")
    rows = {r.key: r for r in report.rows}
    assert [(r.key, r.depth) for r in report.rows] == [(world.hall, 0), (world.village, 1)]
    town, village = rows[world.hall].figures, rows[world.village].figures
    assert (town.received, town.decided, town.on_time, town.late, town.overdue) == (3, 2, 1, 1, 1)
    assert town.as_dict()["on_time_percent"] == 50.0
    # Friday 27 November: 1 working day; 4 December: 6 (27, 30, 1, 2, 3, 4).
    assert town.as_dict()["avg_working_days"] == 3.5
    assert (village.received, village.decided, village.overdue) == (1, 0, 1)
    assert report.total == town
    by_department = case_reports.case_report(deps, world.manager, world.hall, SPAN, "department")
    assert {r.label: r.figures.decided for r in by_department.rows} == {MARKET: 2, HEALTH: 2}
    by_item = case_reports.case_report(deps, world.manager, world.hall, SPAN, "item")
    assert [(r.label, r.figures.received) for r in by_item.rows] == [("食品经营许可", 3)]
    text = case_reports.case_report_csv(report)
    assert text.startswith("\ufeff") and "按时办结率(%) On-time rate (%)" in text
    assert "50.0" in text and "合计 Total" in text
    with pytest.raises(InvalidInput):
        case_reports.case_report(deps, world.manager, world.hall, SPAN, "weather")
    # A decision outside the period is not in its figures.
    first_day = Period("day", date(2026, 11, 26), date(2026, 11, 26))
    day = case_reports.case_report(deps, world.manager, world.hall, first_day, "hall").total
    assert (day.received, day.decided) == (3, 0)


def test_the_cases_each_clerk_received(world: World, deps: Any):
    with deps.db.reading() as s:
        received = case_reports.received_by_clerk(s, {world.hall, world.village}, SPAN)
    assert received == {world.clerk.id: 2, agent(deps, world).id: 1}


def test_another_towns_staff_see_none_of_it(world: World, deps: Any):
    for call in (
        lambda: case_reports.state_counts(deps, world.other_clerk, world.hall),
        lambda: case_reports.overdue_cases(deps, world.other_clerk, world.hall),
        lambda: case_reports.case_report(deps, world.clerk, world.hall, SPAN, "hall"),
    ):
        with pytest.raises(Forbidden):
            call()
