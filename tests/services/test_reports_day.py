"""Report figures against one small day worked out by hand.

Thursday 2026-11-26 in the demo town (clock starts 09:30) and its village station:

  ticket  issued  window (clerk)   called  started  ended   wait  service  rating
  A001    09:30   1 (王芳)          09:35   09:35    09:45    5     10       非常满意 100
  A002    09:30   1 (王芳)          09:45   —        09:47    15    —        (过号 no-show)
  B001    09:30   4 (刘洋)          09:35   09:35    09:55    5     20       满意 75
  B002    10:00   —                 —       —        10:05    —     —        (cancelled)
  A003    09:47   1 (王芳)          10:12   10:12    10:18    25    6        不满意 25 → 差评
  V-A001  09:30   village 1 (代办)  09:40   09:40    09:44    10    4        —

and one complaint against window 4 (刘洋), registered at 10:20.

Town: issued 5, served 3, no-show 1, cancelled 1; waits 5, 15, 25, 5 → average 12.5, P90 25;
within the 20-minute target 3 of 4 = 75 %; services 10, 20, 6 → average 12, P90 20;
satisfaction (100 + 75 + 25) / 3 = 66.7 with one 差评; one complaint.
Town with its village: issued 6, served 4; waits average 12, P90 25; within target 4/5 = 80 %;
services 10, 20, 6, 4 → average 10, P90 20.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from queue_server.domain import reports as rp
from queue_server.services import complaints, evaluation, issuing, reports
from queue_server.services import queue as q
from queue_server.services.context import Actor
from queue_server.services.demo import seed_demo
from queue_server.store import tables

from .conftest import staff

# The same figures and rules on the embedded SQLite and on PostgreSQL (city scale).
pytestmark = [
    pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True),
    pytest.mark.usefixtures("demo_passwords_hashed_once"),
]

DAY = date(2026, 11, 26)


def window_id(demo: dict[str, Any], number: int) -> int:
    return next(c["window"] for c in demo["clerks"] if c["window_number"] == number)


@pytest.fixture
def day(deps, clock) -> dict[str, Any]:
    """The day of the table above; returns the actors and ids the tests need."""
    town, other = seed_demo(deps, halls=2)
    hall = town["hall"]
    kiosk = Actor("device", town["kiosk_id"], hall, device_kind="kiosk")
    clerk1, clerk4 = (
        staff(deps, town["clerks"][0]["staff_no"]),
        staff(deps, town["clerks"][3]["staff_no"]),
    )
    agent = staff(deps, town["agent"]["staff_no"])
    manager = staff(deps, town["manager"]["staff_no"])
    w1, w4 = window_id(town, 1), window_id(town, 4)
    with deps.db.reading() as s:
        village_window = s.scalar(
            select(tables.windows.c.id).where(tables.windows.c.hall_id == town["village"])
        )

    a001 = issuing.issue_ticket(deps, kiosk, hall, "A")
    issuing.issue_ticket(deps, kiosk, hall, "A")  # A002
    b001 = issuing.issue_ticket(deps, kiosk, hall, "B")
    issuing.issue_ticket(deps, agent, town["village"], "A")  # the village's A001
    q.open_window(deps, clerk1, w1)
    q.open_window(deps, clerk4, w4)
    q.open_window(deps, agent, village_window)

    clock.advance(minutes=5)  # 09:35
    assert q.call_next(deps, clerk1, w1)["ticket"]["number"] == "A001"
    q.start(deps, clerk1, w1)
    assert q.call_next(deps, clerk4, w4)["ticket"]["number"] == "B001"
    q.start(deps, clerk4, w4)

    clock.advance(minutes=5)  # 09:40
    q.call_next(deps, agent, village_window)
    q.start(deps, agent, village_window)
    clock.advance(minutes=4)  # 09:44
    q.finish(deps, agent, village_window)

    clock.advance(minutes=1)  # 09:45
    q.finish(deps, clerk1, w1)
    evaluation.rate_by_token(deps, a001["token"], "very_satisfied")
    assert q.call_next(deps, clerk1, w1)["ticket"]["number"] == "A002"
    clock.advance(minutes=1)  # 09:46
    q.recall(deps, clerk1, w1)
    clock.advance(minutes=1)  # 09:47
    q.no_show(deps, clerk1, w1)
    a003 = issuing.issue_ticket(deps, kiosk, hall, "A")

    clock.advance(minutes=8)  # 09:55
    q.finish(deps, clerk4, w4)
    evaluation.rate_by_token(deps, b001["token"], "satisfied")

    clock.advance(minutes=5)  # 10:00
    b002 = issuing.issue_ticket(deps, kiosk, hall, "B")
    clock.advance(minutes=5)  # 10:05
    q.cancel(deps, b002["token"])

    clock.advance(minutes=7)  # 10:12
    assert q.call_next(deps, clerk1, w1)["ticket"]["number"] == "A003"
    q.start(deps, clerk1, w1)
    clock.advance(minutes=6)  # 10:18
    q.finish(deps, clerk1, w1)
    evaluation.rate_by_token(deps, a003["token"], "dissatisfied", "efficiency", "等太久")
    complaints.open_follow_ups(deps)  # what the rating's handler does in the app (bootstrap.py)

    clock.advance(minutes=2)  # 10:20
    complaints.register_complaint(
        deps,
        manager,
        hall,
        {"channel": "phone", "summary": "窗口态度生硬", "window_id": w4, "clerk_id": clerk4.id},
    )
    return {
        "hall": hall,
        "village": town["village"],
        "other": other["hall"],
        "manager": manager,
        "clerk1": clerk1.id,
        "clerk4": clerk4.id,
        "w1": w1,
        "w4": w4,
    }


def report(deps: Any, day: dict[str, Any], by: str, hall: int | None = None) -> reports.Report:
    return reports.build_report(
        deps, day["manager"], hall or day["hall"], rp.period_of("day", DAY), by
    )


def row(result: reports.Report, key: Any) -> dict[str, Any]:
    return next(r for r in result.rows if r.key == key).figures.as_dict()


def test_the_town_and_its_village_roll_up_as_worked_out_by_hand(deps, day):
    result = report(deps, day, "hall")
    assert [(r.key, r.depth) for r in result.rows] == [(day["hall"], 0), (day["village"], 1)]
    town = row(result, day["hall"])
    assert {k: town[k] for k in ("issued", "served", "no_show", "cancelled")} == {
        "issued": 6,
        "served": 4,
        "no_show": 1,
        "cancelled": 1,
    }
    assert town["wait_avg_minutes"] == 12.0 and town["wait_p90_minutes"] == 25.0
    assert town["within_target_percent"] == 80.0
    assert town["service_avg_minutes"] == 10.0 and town["service_p90_minutes"] == 20.0
    assert town["satisfaction"] == 66.7 and town["bad_reviews"] == 1 and town["rated"] == 3
    assert town["complaints"] == 1 and town["follow_ups"] == 1
    village = row(result, day["village"])
    assert (village["issued"], village["served"], village["wait_avg_minutes"]) == (1, 1, 10.0)
    assert village["service_avg_minutes"] == 4.0 and village["satisfaction"] is None
    assert result.total.as_dict() == town


def test_the_town_alone_by_category_window_and_clerk(deps, day):
    by_category = report(deps, day, "category")
    totals = by_category.total.as_dict()
    assert (totals["issued"], totals["served"]) == (6, 4)  # the village is in the total
    with deps.db.reading() as s:
        prefixes = dict(
            s.execute(
                select(tables.categories.c.id, tables.categories.c.prefix).where(
                    tables.categories.c.hall_id == day["hall"]
                )
            ).all()
        )
    a = row(by_category, next(k for k, p in prefixes.items() if p == "A"))
    b = row(by_category, next(k for k, p in prefixes.items() if p == "B"))
    assert (a["issued"], a["served"], a["no_show"]) == (3, 2, 1)
    assert a["wait_avg_minutes"] == 15.0 and a["within_target_percent"] == 66.7
    assert (b["issued"], b["served"], b["cancelled"], b["wait_avg_minutes"]) == (2, 1, 1, 5.0)
    assert b["satisfaction"] == 75.0
    # Quiet categories are listed with nothing in them.
    assert row(by_category, next(k for k, p in prefixes.items() if p == "E"))["issued"] == 0

    town_only = reports.build_report(
        deps, day["manager"], day["hall"], rp.period_of("day", DAY), "window"
    )
    w1, w4 = row(town_only, day["w1"]), row(town_only, day["w4"])
    assert (w1["issued"], w1["served"], w1["no_show"]) == (3, 2, 1)
    assert w1["wait_avg_minutes"] == 15.0 and w1["wait_p90_minutes"] == 25.0
    assert w1["service_avg_minutes"] == 8.0 and w1["service_p90_minutes"] == 10.0
    assert w1["satisfaction"] == 62.5 and w1["bad_reviews"] == 1
    assert (w4["served"], w4["service_avg_minutes"], w4["complaints"]) == (1, 20.0, 1)
    uncalled = row(town_only, None)
    assert (uncalled["issued"], uncalled["cancelled"]) == (1, 1)

    by_clerk = report(deps, day, "clerk")
    assert row(by_clerk, day["clerk1"])["satisfaction"] == 62.5
    assert row(by_clerk, day["clerk4"])["complaints"] == 1


def test_by_hour_the_issues_fall_in_the_hours_they_were_taken(deps, day):
    by_hour = report(deps, day, "hour")
    assert {r.key: r.figures.issued for r in by_hour.rows if r.figures.issued} == {9: 5, 10: 1}
    assert [r.key for r in by_hour.series] == [9, 10]  # a single day's chart is by hour


def test_a_week_has_the_same_figures_on_its_thursday_and_nothing_elsewhere(deps, day):
    week = reports.build_report(deps, day["manager"], day["hall"], rp.period_of("week", DAY), "day")
    assert [r.key for r in week.series] == [date(2026, 11, 23 + n) for n in range(7)]
    issued = {r.key: r.figures.issued for r in week.series}
    assert issued[DAY] == 6 and sum(issued.values()) == 6
    assert week.total.as_dict()["wait_p90_minutes"] == 25.0


def test_the_other_town_sees_none_of_it(deps, day):
    other_manager = staff(deps, f"{day['other']:02d}90")
    result = reports.build_report(
        deps, other_manager, day["other"], rp.period_of("day", DAY), "hall"
    )
    assert result.total.issued == 0
    from queue_server.domain.errors import Forbidden

    with pytest.raises(Forbidden):
        reports.build_report(deps, other_manager, day["hall"], rp.period_of("day", DAY))


def test_the_csv_has_a_line_per_group_and_the_total(deps, day):
    text = reports.report_csv(report(deps, day, "window"))
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").splitlines()
    assert "取号 Issued" in lines[1] and "满意度 Satisfaction" in lines[1]
    window_one = next(line for line in lines if line.startswith("1 号"))
    cells = window_one.split(",")
    assert cells[1:5] == ["3", "2", "1", "0"]  # issued, served, no-show, cancelled
    assert lines[-1].startswith("合计 Total,6,4,1,1,12.0,25.0,10.0,20.0,80.0,3,66.7,1,1")


def test_the_performance_sheet_of_each_clerk(deps, day):
    sheet = reports.performance_sheet(deps, day["manager"], day["hall"], rp.period_of("day", DAY))
    by_clerk = {r.key: r.figures.as_dict() for r in sheet.rows}
    one = by_clerk[day["clerk1"]]
    assert (one["served"], one["no_show"]) == (2, 1)
    assert (one["service_avg_minutes"], one["service_p90_minutes"]) == (8.0, 10.0)
    assert (one["wait_avg_minutes"], one["within_target_percent"]) == (15.0, 66.7)
    assert (one["rated"], one["satisfaction"], one["bad_reviews"]) == (2, 62.5, 1)
    four = by_clerk[day["clerk4"]]
    assert (four["served"], four["satisfaction"], four["complaints"]) == (1, 75.0, 1)
    # Clerks with nothing that day are still on the sheet, with zeros.
    assert len(sheet.rows) >= 9 and all(r.figures.served == 0 for r in sheet.rows[4:8])
    single = reports.performance_sheet(
        deps, day["manager"], day["hall"], rp.period_of("day", DAY), day["clerk1"]
    )
    assert [r.key for r in single.rows] == [day["clerk1"]]
    assert [f["ticket"] for f in single.bad_reviews] == ["A003"]
    assert single.complaints == []
    csv_text = reports.performance_csv(sheet)
    assert "王芳" in csv_text and "办结 Served" in csv_text
