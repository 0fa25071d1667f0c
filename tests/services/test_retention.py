"""Personal data is kept for the retention period, then erased by a scheduled job, while every
report still shows the same figures. The clock is moved, not waited for."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from queue_server.domain import reports as rp
from queue_server.domain.model import Hall
from queue_server.services import complaints, reports, retention
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
    from queue_server.services import booking as bk
    from queue_server.services import evaluation

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
    bk.book(
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
    assert retention.erase_expired_personal_data(deps) == {
        "tickets": 0,
        "bookings": 0,
        "booking_messages": 0,
        "complaints": 0,
    }
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
    names = {job.name for job in registered_jobs()}
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
