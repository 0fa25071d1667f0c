"""Personal data is kept for the retention period, then erased by a scheduled job, while every
report still shows the same figures. The clock is moved, not waited for."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from queue_server.bootstrap import JOB_MODULES
from queue_server.domain import reports as rp
from queue_server.domain.model import Hall
from queue_server.services import complaints, evaluation, reports, retention
from queue_server.services.context import Actor
from queue_server.services.notify import FakeNotifier
from queue_server.services.scheduler import registered_jobs
from queue_server.store import admin_tables, booking_tables, tables
from queue_server.store.idempotency_tables import issue_requests

PHONE = "13900001111"
BOOKER_PHONE = "13812345678"
NAME = "欧阳明月"
ADDRESS = "幸福村三组 18 号"
CONTACT = "欧阳先生 13900001111"
THURSDAY = date(2026, 11, 26)


def id_number() -> str:
    from queue_server.domain.identity import id_check_character

    base = "37088119640303123"
    return base + id_check_character(base)


def admin_actor(deps: Any) -> Actor:
    from queue_server.domain.model import Clerk, Role

    with deps.db.reading() as s:
        clerk = s.scalars(select(Clerk).where(tables.clerks.c.role == Role.ADMIN)).first()
        assert clerk is not None
        return Actor("clerk", clerk.id, clerk.hall_id, clerk.role, clerk.name)


def a_busy_morning(api: Any, deps: Any, demo: dict[str, Any]) -> None:
    """Tickets with a phone, served and rated; a booking with a full ID number and a home
    visit; a complaint with the citizen's contact."""
    from queue_server.services.booking.citizen import book

    served = api.issue("A", phone=PHONE)
    api.issue("A", phone=PHONE)
    api.issue("B")
    api.window(1, "open")
    api.window(1, "call-next")
    api.window(1, "start")
    api.window(1, "finish")
    evaluation.rate_by_token(deps, served["token"], "satisfied")
    api.window(1, "call-next")
    with deps.db.reading() as s:
        item = s.scalar(
            select(tables.service_items.c.id).where(tables.service_items.c.code == "370800-MZ-001")
        )
    book(
        deps,
        Actor("anonymous"),
        demo["hall"],
        {
            "item": item,
            "start": "2026-11-27T09:00:00+08:00",
            "name": NAME,
            "phone": BOOKER_PHONE,
            "id_number": id_number(),
            "note": f"{NAME}腿脚不便",
        },
        FakeNotifier(),
    )
    complaints.register_complaint(
        deps,
        admin_actor(deps),
        demo["hall"],
        {"channel": "phone", "summary": "等候时间太长", "contact": CONTACT},
    )


def figures(deps: Any, hall: int) -> dict[str, Any]:
    """Everything the reports show for that Thursday, and the booking counts."""
    actor = admin_actor(deps)
    period = rp.period_of("day", THURSDAY)
    out: dict[str, Any] = {
        by: reports.report_csv(reports.build_report(deps, actor, hall, period, by))
        for by in rp.DIMENSIONS
    }
    out["performance"] = reports.performance_csv(
        reports.performance_sheet(deps, actor, hall, period)
    )
    B = booking_tables.bookings
    with deps.db.reading() as s:
        out["bookings"] = sorted(
            tuple(row)
            for row in s.execute(
                select(B.c.state, B.c.kind, B.c.day, B.c.slot_start, func.count()).group_by(
                    B.c.state, B.c.kind, B.c.day, B.c.slot_start
                )
            )
        )
        out["tickets"] = s.scalar(select(func.count()).select_from(tables.tickets))
    return out


def database_text(deps: Any) -> str:
    """The whole database as SQL text."""
    db = sqlite3.connect(deps.db.url.removeprefix("sqlite:///"))
    try:
        return "\n".join(db.iterdump())
    finally:
        db.close()


def personal_values() -> list[str]:
    number = id_number()
    return [PHONE, BOOKER_PHONE, number, number[:4] + "*" * 10 + number[-4:], NAME, ADDRESS]


def test_personal_data_is_erased_after_the_period_and_every_report_adds_up_the_same(
    api, deps, demo, clock
):
    a_busy_morning(api, deps, demo)
    text = database_text(deps)
    assert [v for v in personal_values() if v in text], "the morning stored personal data"
    before = figures(deps, demo["hall"])

    clock.advance(days=retention.DEFAULT_DAYS - 1)  # the job runs; nothing is old enough yet
    assert retention.erase_expired_personal_data(deps) == dict.fromkeys(retention.KINDS, 0)
    assert PHONE in database_text(deps)

    clock.advance(days=3)  # past the period for the tickets and for the booking's day (Friday)
    erased = retention.erase_expired_personal_data(deps)
    assert erased["tickets"] == 2 and erased["bookings"] == 1 and erased["complaints"] == 1
    assert erased["booking_messages"] >= 1  # the confirmation, at least
    text = database_text(deps)
    left = [v for v in personal_values() if v in text]
    assert left == [], f"still stored after the period: {left}"
    assert CONTACT not in text
    B = booking_tables.bookings
    with deps.db.reading() as s:
        booking = s.execute(select(B)).one()
        assert (booking.citizen_name, booking.phone, booking.id_digest, booking.id_masked) == (
            "",
            "",
            "",
            "",
        )
        assert s.scalar(select(func.count()).where(tables.tickets.c.phone.is_not(None))) == 0
        contact = s.scalar(select(admin_tables.complaints.c.contact))
        entry = s.execute(
            select(tables.audit_log).where(tables.audit_log.c.action == "privacy.erase")
        ).one()
    assert contact == ""
    assert entry.detail["tickets"] == 2 and entry.actor == "system"
    assert figures(deps, demo["hall"]) == before  # the same figures, to the last cell
    assert retention.erase_expired_personal_data(deps)["tickets"] == 0  # idempotent


# Free text that names a citizen, typed on a first morning and on a morning four weeks later.
OLD_NAME, OLD_PHONE = "张秀英", "13700002222"
NEW_NAME, NEW_PHONE = "李春华", "13600003333"
OPEN_CASE = "王建国反映材料被退回，尚在核实"
KINDS_OF_TYPED_TEXT = {"tickets", "evaluations", "follow_ups", "complaints", "audit_log"}


def a_morning_of_typed_text(api: Any, deps: Any, demo: dict[str, Any], typed: str) -> None:
    """Each kind of text people type, each naming a citizen: a 差评's comment and the notes of
    its follow-up, a resolved complaint, a transfer's note and a pause's reason."""
    actor = admin_actor(deps)
    api.tokens.clear()  # sign in afresh: a morning may be months after the last one
    rated = api.issue("A")
    api.window(1, "open")
    api.window(1, "call-next")
    api.window(1, "start")
    api.window(1, "finish")
    evaluation.rate_by_token(deps, rated["token"], "dissatisfied", "attitude", f"{typed}说态度差")
    api.issue("A")
    api.window(1, "call-next")
    api.window(1, "transfer", {"category": "B", "note": f"{typed}要办社保"})
    api.window(1, "pause", {"reason": f"陪{typed}复印"})
    api.window(1, "resume")
    api.window(1, "close")
    (follow_up,) = complaints.list_follow_ups(deps, actor, demo["hall"], "open")
    for stage in ("verify", "rectify", "callback"):
        complaints.advance_follow_up(
            deps, actor, follow_up["id"], {"stage": stage, "note": f"{stage}：联系{typed}"}
        )
    complaint = complaints.register_complaint(
        deps,
        actor,
        demo["hall"],
        {"channel": "phone", "summary": f"{typed}反映等候太久", "contact": typed},
    )
    complaints.resolve_complaint(
        deps, actor, complaint["id"], {"resolution": f"已向{typed}致歉", "upheld": True}
    )


def stored_rows(deps: Any) -> dict[str, list[str]]:
    """Every row of every table as JSON text (non-ASCII kept as it is), table by table."""
    out: dict[str, list[str]] = {}
    with deps.db.reading() as s:
        for table in tables.metadata.sorted_tables:
            rows = s.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [
                json.dumps(list(row), ensure_ascii=False, default=str) for row in rows
            ]
    return out


def tables_holding(rows: dict[str, list[str]], value: str) -> set[str]:
    return {name for name, texts in rows.items() if any(value in text for text in texts)}


@pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)
def test_typed_free_text_is_cleared_after_the_period_and_the_figures_stay(
    api, deps, demo, clock, db_url
):
    a_morning_of_typed_text(api, deps, demo, f"{OLD_NAME} {OLD_PHONE}")
    complaints.register_complaint(
        deps, admin_actor(deps), demo["hall"], {"channel": "walk_in", "summary": OPEN_CASE}
    )
    clock.advance(days=28)  # Thursday 2026-12-24
    a_morning_of_typed_text(api, deps, demo, f"{NEW_NAME} {NEW_PHONE}")
    rows = stored_rows(deps)
    for value in (OLD_NAME, OLD_PHONE, NEW_NAME, NEW_PHONE):
        assert tables_holding(rows, value) == KINDS_OF_TYPED_TEXT, value
    before = figures(deps, demo["hall"])

    clock.advance(days=154)  # the first morning is 182 days old, the second 154
    erased = retention.erase_expired_personal_data(deps)
    assert {kind: erased[kind] for kind in KINDS_OF_TYPED_TEXT} == {
        "tickets": 1,  # the transferred ticket's note
        "evaluations": 1,
        "follow_ups": 1,
        "complaints": 1,  # the resolved one; the open one keeps what it says
        # complaint.register twice, complaint.resolve, three follow-up steps, transfer, pause
        "audit_log": 8,
    }
    rows = stored_rows(deps)
    for value in (OLD_NAME, OLD_PHONE):
        assert tables_holding(rows, value) == set(), f"{value} still stored after the period"
    for value in (NEW_NAME, NEW_PHONE):
        assert tables_holding(rows, value) == KINDS_OF_TYPED_TEXT, f"{value} erased too soon"

    E, F, CP = tables.evaluations, admin_tables.follow_ups, admin_tables.complaints
    with deps.db.reading() as s:
        old_rating = s.execute(select(E).order_by(E.c.id)).first()
        old_follow_up = s.execute(select(F).order_by(F.c.id)).first()
        resolved, still_open = s.execute(select(CP).order_by(CP.c.id).limit(2)).all()
    assert old_rating is not None and old_follow_up is not None
    assert (old_rating.level, old_rating.reason, old_rating.comment) == (
        "dissatisfied",
        "attitude",
        retention.ERASED,
    )
    assert old_follow_up.stage == "closed" and old_follow_up.closed_at is not None
    assert [(step["stage"], step["note"]) for step in old_follow_up.steps] == [
        (stage, retention.ERASED) for stage in ("verify", "rectify", "callback")
    ]
    assert (resolved.status, resolved.upheld, resolved.summary, resolved.resolution) == (
        "resolved",
        True,
        retention.ERASED,
        retention.ERASED,
    )
    # A complaint still being handled keeps what it says; only its copy in the log goes.
    assert (still_open.status, still_open.summary) == ("open", OPEN_CASE)
    assert tables_holding(rows, OPEN_CASE) == {"complaints"}

    assert figures(deps, demo["hall"]) == before  # the same figures, to the last cell
    assert retention.erase_expired_personal_data(deps) == dict.fromkeys(retention.KINDS, 0)
    assert stored_rows(deps) == rows  # a second run changes nothing more


def test_a_bad_review_keeps_its_comment_while_its_follow_up_is_open(api, deps, demo, clock):
    api.issue("A")
    api.window(1, "open")
    api.window(1, "call-next")
    api.window(1, "finish")
    with deps.db.reading() as s:
        token = s.scalar(select(tables.tickets.c.token))
    evaluation.rate_by_token(deps, token, "very_dissatisfied", "other", f"{OLD_NAME}等了两小时")
    clock.advance(days=retention.DEFAULT_DAYS + 1)
    assert retention.erase_expired_personal_data(deps)["evaluations"] == 0
    assert tables_holding(stored_rows(deps), OLD_NAME) == {"evaluations"}

    (follow_up,) = complaints.list_follow_ups(deps, admin_actor(deps), demo["hall"], "open")
    for stage in ("verify", "rectify", "callback"):
        complaints.advance_follow_up(
            deps, admin_actor(deps), follow_up["id"], {"stage": stage, "note": "已回访"}
        )
    assert retention.erase_expired_personal_data(deps)["evaluations"] == 0  # closed just now
    clock.advance(days=retention.DEFAULT_DAYS + 1)
    erased = retention.erase_expired_personal_data(deps)
    assert (erased["evaluations"], erased["follow_ups"]) == (1, 1)
    assert tables_holding(stored_rows(deps), OLD_NAME) == set()


def test_a_hall_may_keep_personal_data_for_less_time(api, deps, demo, clock, monkeypatch):
    token = api.token(demo["manager"]["staff_no"])
    url = f"/api/v1/admin/halls/{demo['hall']}/retention"
    headers = {"Authorization": f"Bearer {token}"}
    for bad in (0, 3651, "30", None, True):
        refused = api.client.put(url, json={"retention_days": bad}, headers=headers)
        assert refused.status_code == 422, bad
    clerk = api.token(api.clerk(1)["staff_no"])
    forbidden = api.client.put(
        url, json={"retention_days": 30}, headers={"Authorization": f"Bearer {clerk}"}
    )
    assert forbidden.status_code == 403
    done = api.client.put(url, json={"retention_days": 30}, headers=headers)
    assert done.status_code == 200 and done.get_json() == {"retention_days": 30}
    with deps.db.reading() as s:
        hall = s.get(Hall, demo["hall"])
        village = s.get(Hall, demo["village"])
        assert hall is not None and village is not None
        assert retention.retention_days(hall) == 30
        assert retention.retention_days(village) == retention.DEFAULT_DAYS
        monkeypatch.setenv("HALLQ_RETENTION_DAYS", "90")
        assert retention.retention_days(village) == 90 and retention.retention_days(hall) == 30
        monkeypatch.setenv("HALLQ_RETENTION_DAYS", "many")
        assert retention.retention_days(village) == retention.DEFAULT_DAYS

    api.issue("A", phone=PHONE)
    clock.advance(days=31)
    assert retention.erase_expired_personal_data(deps)["tickets"] == 1
    assert PHONE not in database_text(deps)


def test_the_jobs_are_registered_with_the_scheduler_and_old_idempotency_keys_go(api, deps, clock):
    names = {job.name for job in registered_jobs(JOB_MODULES)}
    assert {"personal_data_retention", "forget_issue_keys"} <= names
    api.client.post(
        f"/api/v1/halls/{api.demo['hall']}/tickets",
        json={"category": "A"},
        headers={**api.kiosk_headers(), "Idempotency-Key": "tap-aaaaaaaaaaaa"},
    )
    assert retention.forget_issue_keys(deps) == 0
    clock.advance(minutes=11)
    assert retention.forget_issue_keys(deps) == 1
    with deps.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(issue_requests)) == 0


@pytest.mark.parametrize("db_url", ["pg"], indirect=True)
def test_erasure_on_postgresql(api, deps, demo, clock, db_url):
    api.issue("A", phone=PHONE)
    clock.advance(days=retention.DEFAULT_DAYS + 1)
    assert retention.erase_expired_personal_data(deps)["tickets"] == 1
    with deps.db.reading() as s:
        assert s.scalar(select(func.count()).where(tables.tickets.c.phone.is_not(None))) == 0
