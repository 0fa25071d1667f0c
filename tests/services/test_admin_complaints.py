"""差评 follow-ups (verify, rectify, call back, close within 15 working days) and complaints
(registered against a ticket, window or clerk; assigned with a deadline; resolved)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event

from queue_server.bootstrap import JOB_MODULES, console_handlers
from queue_server.domain import reports as rp
from queue_server.domain.calendar import PublicHoliday, TableCalendar
from queue_server.domain.errors import Conflict, Forbidden
from queue_server.domain.model import Hall
from queue_server.services import complaints, evaluation, hours, issuing, reports
from queue_server.services import queue as q
from queue_server.services.admin import FieldErrors
from queue_server.services.context import Actor
from queue_server.services.demo import seed_demo
from queue_server.services.scheduler import registered_jobs

from .conftest import staff

pytestmark = pytest.mark.usefixtures("demo_passwords_hashed_once")


@pytest.fixture
def hall(deps) -> dict[str, Any]:
    town, other = seed_demo(deps, halls=2)
    clerk = staff(deps, town["clerks"][0]["staff_no"])
    return {
        **town,
        "other": other,
        "manager": staff(deps, town["manager"]["staff_no"]),
        "other_manager": staff(deps, other["manager"]["staff_no"]),
        "clerk": clerk,
        "w1": town["clerks"][0]["window"],
        "kiosk": Actor("device", town["kiosk_id"], town["hall"], device_kind="kiosk"),
    }


def serve_and_rate(deps: Any, hall: dict[str, Any], level: str, reason: str | None = None) -> str:
    ticket = issuing.issue_ticket(deps, hall["kiosk"], hall["hall"], "A")
    q.open_window(deps, hall["clerk"], hall["w1"])
    q.call_next(deps, hall["clerk"], hall["w1"])
    q.finish(deps, hall["clerk"], hall["w1"])
    evaluation.rate_by_token(deps, ticket["token"], level, reason)
    return str(ticket["number"])


def test_fifteen_working_days_skip_weekends_and_public_holidays():
    assert complaints.due_after(date(2026, 11, 26), calendar=hours.PACKAGE) == date(2026, 12, 17)
    holidays = {date(2026, 12, d): PublicHoliday("测试假", "Test holiday") for d in (1, 2, 3)}
    calendar = TableCalendar([2026], holidays)
    assert complaints.due_after(date(2026, 11, 26), calendar=calendar) == date(2026, 12, 22)
    # A year the calendar does not know yet still gets a deadline, Monday to Friday.
    assert complaints.due_after(date(2026, 12, 30), calendar=calendar) == date(2027, 1, 20)


def test_each_bad_review_opens_one_follow_up_due_in_fifteen_working_days(deps, hall):
    serve_and_rate(deps, hall, "basic")  # 基本满意 is not a 差评
    number = serve_and_rate(deps, hall, "very_dissatisfied", "attitude")
    assert complaints.open_follow_ups(deps) == 1
    assert complaints.open_follow_ups(deps) == 0  # once only
    (item,) = complaints.list_follow_ups(deps, hall["manager"], hall["hall"])
    assert item["ticket"] == number and item["level_name"] == "非常不满意"
    assert item["reason"] == "态度" and item["clerk"].startswith(hall["clerk"].name)
    assert (item["opened_on"], item["due_on"]) == ("2026-11-26", "2026-12-17")
    assert item["stage"] == "verify" and item["overdue"] is False
    with pytest.raises(Forbidden):
        complaints.list_follow_ups(deps, hall["other_manager"], hall["hall"])
    with pytest.raises(Forbidden):
        complaints.get_follow_up(deps, hall["other_manager"], item["id"])


def test_a_follow_up_goes_verify_rectify_call_back_close(deps, hall, clock):
    serve_and_rate(deps, hall, "dissatisfied", "efficiency")
    complaints.open_follow_ups(deps)  # what the rating's handler does in the app
    (item,) = complaints.list_follow_ups(deps, hall["manager"], hall["hall"])
    manager = hall["manager"]
    with pytest.raises(FieldErrors) as empty:
        complaints.advance_follow_up(deps, manager, item["id"], {"stage": "verify", "note": " "})
    assert empty.value.errors["note"] == ("请填写办理情况", "What was done is required")
    with pytest.raises(Conflict, match="reload"):
        complaints.advance_follow_up(deps, manager, item["id"], {"stage": "rectify", "note": "x"})
    notes = {
        "verify": "调取录像，情况属实",
        "rectify": "对窗口人员进行业务培训",
        "callback": "电话回访群众，表示满意",
    }
    for stage, note in notes.items():
        clock.advance(days=1)
        item = complaints.advance_follow_up(
            deps, manager, item["id"], {"stage": stage, "note": note}
        )
    assert item["stage"] == "closed" and item["closed_at"] and item["overdue"] is False
    assert [s["stage"] for s in item["steps"]] == ["verify", "rectify", "callback"]
    assert (
        item["steps"][2]["note"] == "电话回访群众，表示满意"
        and item["steps"][0]["by"] == manager.name
    )
    with pytest.raises(Conflict, match="closed already"):
        complaints.advance_follow_up(deps, manager, item["id"], {"stage": "verify", "note": "x"})
    assert complaints.list_follow_ups(deps, manager, hall["hall"], "open") == []
    assert len(complaints.list_follow_ups(deps, manager, hall["hall"], "closed")) == 1


@contextmanager
def statements_that_write(deps: Any) -> Iterator[list[str]]:
    """The INSERT, UPDATE and DELETE statements sent to the database inside the block."""
    written: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            written.append(statement)

    engines = {deps.db.engine, deps.db.read_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
    try:
        yield written
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", note)


def test_reading_a_report_or_the_follow_ups_opens_no_follow_up(deps, hall):
    serve_and_rate(deps, hall, "very_dissatisfied", "attitude")  # no handler listens here
    manager, town, today = hall["manager"], hall["hall"], rp.period_of("day", date(2026, 11, 26))
    with statements_that_write(deps) as written:
        reports.build_report(deps, manager, town, today)
        sheet = reports.performance_sheet(deps, manager, town, today, hall["clerk"].id)
        assert complaints.list_follow_ups(deps, manager, town, "all") == []
    assert written == []
    assert sheet.bad_reviews == []  # its follow-up is opened by the handler or the job
    assert complaints.list_follow_ups(deps, manager, town, "all") == []


def test_a_bad_rating_gets_its_follow_up_from_the_periodic_job_or_its_handler(deps, hall):
    manager, town = hall["manager"], hall["hall"]
    serve_and_rate(deps, hall, "dissatisfied", "efficiency")  # no handler listens yet
    [job] = [j for j in registered_jobs(JOB_MODULES) if j.name == "follow_ups"]
    job.run(deps)
    (first,) = complaints.list_follow_ups(deps, manager, town)
    assert first["level_name"] == "不满意"
    deps.bus.subscribe(console_handlers(deps, {}))  # what the app wires (bootstrap.py)
    serve_and_rate(deps, hall, "very_dissatisfied", "attitude")
    levels = {f["level_name"] for f in complaints.list_follow_ups(deps, manager, town)}
    assert levels == {"不满意", "非常不满意"}


def test_a_follow_up_still_open_after_its_due_day_is_overdue(deps, hall, clock):
    serve_and_rate(deps, hall, "dissatisfied", "materials")
    complaints.open_follow_ups(deps)
    clock.advance(days=21)  # Thursday 2026-12-17: the due day itself is still in time
    assert complaints.list_follow_ups(deps, hall["manager"], hall["hall"], "overdue") == []
    clock.advance(days=1)
    (late,) = complaints.list_follow_ups(deps, hall["manager"], hall["hall"], "overdue")
    assert late["overdue"] is True
    with deps.db.reading() as s:
        town = s.get(Hall, hall["hall"])
        assert complaints.overdue_follow_ups(s, town, deps.clock.now()) == 1


def test_a_complaint_against_a_ticket_finds_its_window_and_clerk(deps, hall, clock):
    number = serve_and_rate(deps, hall, "satisfied")
    manager = hall["manager"]
    registered = complaints.register_complaint(
        deps,
        manager,
        hall["hall"],
        {"channel": "hotline", "summary": "办理时态度冷淡", "contact": "张先生 13800000000",
         "ticket_number": number.lower()},
    )  # fmt: skip
    assert registered["ticket"] == number and registered["window"].startswith("1 号")
    assert registered["clerk"].startswith(hall["clerk"].name)
    assert registered["status"] == "open" and registered["due_on"] == "2026-12-17"
    assert registered["channel_name"] == "12345 热线"
    assigned = complaints.assign_complaint(
        deps, manager, registered["id"], {"assignee_id": manager.id, "due_on": "2026-12-01"}
    )
    assert (assigned["status"], assigned["assignee"], assigned["due_on"]) == (
        "assigned",
        manager.name,
        "2026-12-01",
    )
    clock.advance(days=6)  # 2026-12-02: past the deadline, not resolved
    assert (
        complaints.list_complaints(deps, manager, hall["hall"], "overdue")[0]["id"]
        == registered["id"]
    )
    resolved = complaints.resolve_complaint(
        deps, manager, registered["id"], {"resolution": "已约谈并通报批评", "upheld": True}
    )
    assert resolved["status"] == "resolved" and resolved["upheld"] is True
    assert resolved["overdue"] is True  # resolved after its deadline: stays counted as late
    with pytest.raises(Conflict):
        complaints.resolve_complaint(
            deps, manager, registered["id"], {"resolution": "x", "upheld": False}
        )


def test_complaints_refuse_what_is_not_of_the_hall(deps, hall):
    manager = hall["manager"]
    with pytest.raises(FieldErrors) as missing:
        complaints.register_complaint(deps, manager, hall["hall"], {"channel": "phone"})
    assert "summary" in missing.value.errors
    with pytest.raises(FieldErrors, match="No ticket A099"):
        complaints.register_complaint(
            deps,
            manager,
            hall["hall"],
            {"channel": "phone", "summary": "x", "ticket_number": "A099"},
        )
    other_clerk = staff(deps, hall["other"]["clerks"][0]["staff_no"])
    with pytest.raises(FieldErrors) as outsider:
        complaints.register_complaint(
            deps,
            manager,
            hall["hall"],
            {"channel": "phone", "summary": "x", "clerk_id": other_clerk.id},
        )
    assert "clerk_id" in outsider.value.errors
    with pytest.raises(FieldErrors) as past:
        complaints.register_complaint(
            deps,
            manager,
            hall["hall"],
            {"channel": "phone", "summary": "x", "due_on": "2026-01-01"},
        )
    assert past.value.errors["due_on"][1] == "The due day cannot be in the past"
    with pytest.raises(FieldErrors):
        complaints.register_complaint(
            deps, manager, hall["hall"], {"channel": "pigeon", "summary": "x"}
        )
    with pytest.raises(Forbidden):
        complaints.register_complaint(
            deps, hall["other_manager"], hall["hall"], {"channel": "phone", "summary": "x"}
        )
    # A village complaint is within the town manager's reach and listed with the town's.
    village = complaints.register_complaint(
        deps, manager, hall["village"], {"channel": "walk_in", "summary": "代办员不在岗"}
    )
    assert village["id"] in [
        c["id"] for c in complaints.list_complaints(deps, manager, hall["hall"])
    ]


def test_a_provisional_complaint_deadline_is_recomputed_when_the_official_year_arrives(
    deps, hall, clock
):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from queue_server.services import admin

    clock.current = datetime(2026, 12, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    manager = hall["manager"]
    estimated = complaints.register_complaint(
        deps, manager, hall["hall"], {"channel": "hotline", "summary": "窗口长时间无人"}
    )
    # 15 working days from 24 Dec: 25, 28–31 Dec (5); 1 Jan is 元旦 by law; 4–8, 11–15 Jan → 15.
    assert (estimated["due_on"], estimated["due_provisional"]) == ("2027-01-15", True)
    chosen = complaints.register_complaint(
        deps, manager, hall["hall"],
        {"channel": "hotline", "summary": "叫号屏不亮", "due_on": "2027-01-20"},
    )  # fmt: skip
    # A made-up official 2027: Saturday 9 January is worked, so the 15th day comes a day earlier.
    admin.save_year(
        deps,
        staff(deps, hall["admin"]["staff_no"]),
        2027,
        {"holidays": [{"day": "2027-01-01", "name": "元旦"}], "swapped_workdays": ["2027-01-09"]},
    )
    recomputed = complaints.get_complaint(deps, manager, estimated["id"])
    assert (recomputed["due_on"], recomputed["due_provisional"]) == ("2027-01-14", False)
    assert complaints.get_complaint(deps, manager, chosen["id"])["due_on"] == "2027-01-20"
    assert complaints.recompute_estimated_deadlines(deps) == 0  # done once
