"""Use cases end to end on a real database: what a clerk and a citizen see change."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from queue_server.domain.errors import (
    CapacityReached,
    Conflict,
    Forbidden,
    InvalidInput,
    Unauthorized,
)
from queue_server.services import issuing
from queue_server.services import queue as q
from queue_server.services.auth import actor_for_token, login
from queue_server.services.context import ANONYMOUS, Actor, Deps
from queue_server.store import tables


def kiosk(deps: Deps, demo: dict[str, Any]) -> Actor:
    actor = actor_for_token(deps, demo["kiosk_token"])
    assert actor is not None
    return actor


def clerk(deps: Deps, demo: dict[str, Any], window_number: int) -> tuple[Actor, int]:
    entry = next(c for c in demo["clerks"] if c["window_number"] == window_number)
    actor = actor_for_token(deps, login(deps, entry["staff_no"], entry["password"])["token"])
    assert actor is not None
    return actor, entry["window"]


def tap() -> str:
    """A fresh Idempotency-Key: a new tap on call-next, which may finish a ticket called a
    moment ago (a keyless call-next would not)."""
    return uuid.uuid4().hex


def audit_actions(deps: Deps) -> list[str]:
    with deps.db.reading() as s:
        return list(s.scalars(select(tables.audit_log.c.action).order_by(tables.audit_log.c.id)))


def test_numbers_run_per_category_and_restart_each_service_day(deps, demo, clock):
    k = kiosk(deps, demo)
    hall = demo["hall"]
    numbers = [issuing.issue_ticket(deps, k, hall, c)["number"] for c in ("A", "A", "B", "A")]
    assert numbers == ["A001", "A002", "B001", "A003"]
    clock.advance(days=1)  # Friday morning: a new service day, numbering starts over
    assert issuing.issue_ticket(deps, k, hall, "A")["number"] == "A001"


def test_the_daily_cap_refuses_with_a_clear_message_and_issues_nothing(deps, demo):
    with deps.db.transaction() as s:
        s.execute(
            tables.categories.update()
            .where(tables.categories.c.id == demo["categories"]["E"])
            .values(daily_cap=2)
        )
    k = kiosk(deps, demo)
    issuing.issue_ticket(deps, k, demo["hall"], "E")
    issuing.issue_ticket(deps, k, demo["hall"], "E")
    with pytest.raises(CapacityReached) as refused:
        issuing.issue_ticket(deps, k, demo["hall"], "E")
    assert "不动产登记" in refused.value.message and "2" in refused.value.message
    assert "tomorrow" in refused.value.message_en
    with deps.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(tables.tickets)) == 2


def test_a_full_visit_with_events_after_each_step(deps, demo, bus):
    k = kiosk(deps, demo)
    hall = demo["hall"]
    ticket = issuing.issue_ticket(deps, k, hall, "B")
    actor, window = clerk(deps, demo, 4)
    q.open_window(deps, actor, window)
    called = q.call_next(deps, actor, window)["ticket"]
    assert called["number"] == "B001" and called["state"] == "called"
    assert called["window"]["number"] == 4
    q.recall(deps, actor, window)
    q.start(deps, actor, window)
    done = q.finish(deps, actor, window, items=[], outcome="需补正")["ticket"]
    assert done["state"] == "done" and done["outcome"] == "needs_correction"

    hall_room = f"hall:{hall}"
    names = [m.event for m in bus.published if m.room == hall_room]
    assert names.index("ticket_issued") < names.index("ticket_called")
    assert names.index("ticket_called") < names.index("ticket_recalled")
    assert names.index("ticket_recalled") < names.index("ticket_finished")
    recalled = bus.events("ticket_recalled", room=hall_room)[0].payload
    assert recalled["number"] == "B001" and recalled["times_called"] == 2
    assert recalled["window_number"] == 4 and recalled["category_name"] == "社会保险"
    assert bus.events("ticket_called", room=f"ticket:{ticket['token']}")
    assert bus.events("ticket_called", room=f"window:{window}")
    assert audit_actions(deps)[-5:] == [
        "window.open",
        "ticket.call_next",
        "ticket.recall",
        "ticket.start",
        "ticket.finish",
    ]


def test_nothing_in_a_display_room_carries_the_citizens_phone(deps, demo, bus):
    issuing.issue_ticket(deps, kiosk(deps, demo), demo["hall"], "A", phone="13912345678")
    actor, window = clerk(deps, demo, 1)
    q.open_window(deps, actor, window)
    q.call_next(deps, actor, window)
    assert bus.published
    for message in bus.published:
        assert "13912345678" not in repr(message.payload)
        assert "phone" not in repr(message.payload)


def test_call_next_finishes_the_current_ticket_first(deps, demo, clock):
    k = kiosk(deps, demo)
    issuing.issue_ticket(deps, k, demo["hall"], "D")
    issuing.issue_ticket(deps, k, demo["hall"], "D")
    actor, window = clerk(deps, demo, 6)
    q.open_window(deps, actor, window)
    assert q.call_next(deps, actor, window)["ticket"]["number"] == "D001"
    clock.advance(seconds=10)  # the citizen came and was served
    assert q.call_next(deps, actor, window)["ticket"]["number"] == "D002"
    clock.advance(seconds=10)
    assert q.call_next(deps, actor, window) == {"ticket": None}
    with deps.db.reading() as s:
        states = dict(s.execute(select(tables.tickets.c.number, tables.tickets.c.state)).all())
    assert states == {"D001": "done", "D002": "done"}


def ticket_states(deps: Deps) -> dict[str, str]:
    with deps.db.reading() as s:
        return dict(s.execute(select(tables.tickets.c.number, tables.tickets.c.state)).all())


def test_a_second_call_next_does_not_finish_a_ticket_called_moments_ago(deps, demo, clock):
    """A double tap or a retry without a key: the citizen called a moment ago is still walking
    to the window, so the ticket is not finished and nobody else is called, until the hall's
    call_next_guard_seconds (10 by default) have passed or the service has started."""
    k = kiosk(deps, demo)
    for _ in range(3):
        issuing.issue_ticket(deps, k, demo["hall"], "D")
    actor, window = clerk(deps, demo, 6)
    q.open_window(deps, actor, window)
    assert q.call_next(deps, actor, window)["ticket"]["number"] == "D001"
    clock.advance(seconds=9)
    with pytest.raises(Conflict) as refused:
        q.call_next(deps, actor, window)
    assert "D001" in refused.value.message and "10" in refused.value.message_en
    assert ticket_states(deps) == {"D001": "called", "D002": "waiting", "D003": "waiting"}
    clock.advance(seconds=1)
    assert q.call_next(deps, actor, window)["ticket"]["number"] == "D002"
    q.start(deps, actor, window)  # being served: the next call-next may finish it at once
    assert q.call_next(deps, actor, window)["ticket"]["number"] == "D003"
    assert ticket_states(deps) == {"D001": "done", "D002": "done", "D003": "called"}


def test_a_retried_call_next_with_its_idempotency_key_calls_nobody_else(deps, demo, clock):
    k = kiosk(deps, demo)
    for _ in range(3):
        issuing.issue_ticket(deps, k, demo["hall"], "D")
    actor, window = clerk(deps, demo, 6)
    q.open_window(deps, actor, window)
    first = q.call_next(deps, actor, window, idempotency_key="tap-0001")
    again = q.call_next(deps, actor, window, idempotency_key="tap-0001")  # the retry
    assert first["ticket"]["number"] == again["ticket"]["number"] == "D001"
    assert ticket_states(deps) == {"D001": "called", "D002": "waiting", "D003": "waiting"}
    # a new tap sends a new key: the clerk asked for the next one, so D001 is finished
    assert (
        q.call_next(deps, actor, window, idempotency_key="tap-0002")["ticket"]["number"] == "D002"
    )
    assert ticket_states(deps)["D001"] == "done"
    with pytest.raises(InvalidInput):
        q.call_next(deps, actor, window, idempotency_key="x")


def test_the_api_takes_the_idempotency_key_of_call_next(api, deps):
    api.issue("A")
    api.issue("A")
    clerk_ = api.clerk(1)
    api.window(1, "open")
    headers = {
        "Authorization": f"Bearer {api.token(clerk_['staff_no'])}",
        "Idempotency-Key": "counter-tap-0001",
    }
    url = f"/api/v1/windows/{clerk_['window']}/call-next"
    replies = [api.client.post(url, json={}, headers=headers) for _ in range(2)]
    assert [r.status_code for r in replies] == [200, 200]
    assert replies[0].get_json()["ticket"]["number"] == replies[1].get_json()["ticket"]["number"]
    bare = api.client.post(url, json={}, headers={"Authorization": headers["Authorization"]})
    assert bare.status_code == 409 and "A001" in bare.get_json()["message"]
    assert ticket_states(deps) == {"A001": "called", "A002": "waiting"}


def test_no_show_waits_for_the_recall_rules_then_return_puts_it_near_the_front(deps, demo, clock):
    k = kiosk(deps, demo)
    for _ in range(5):
        issuing.issue_ticket(deps, k, demo["hall"], "C")
        clock.advance(seconds=20)
    actor, window = clerk(deps, demo, 5)
    q.open_window(deps, actor, window)
    q.call_next(deps, actor, window)  # C001
    with pytest.raises(Conflict) as too_few:
        q.no_show(deps, actor, window)
    assert "2" in too_few.value.message
    q.recall(deps, actor, window)
    with pytest.raises(Conflict) as too_soon:
        q.no_show(deps, actor, window)
    assert "秒" in too_soon.value.message
    clock.advance(seconds=61)
    assert q.no_show(deps, actor, window)["ticket"]["state"] == "no_show"

    returned = q.return_ticket(deps, actor, window, "C001")["ticket"]
    assert returned["state"] == "waiting"
    assert returned["position"] == 2  # two places behind the front (the hall's default)
    order = [
        q.call_next(deps, actor, window, idempotency_key=tap())["ticket"]["number"]
        for _ in range(5)
    ]
    assert order == ["C002", "C003", "C001", "C004", "C005"]


def test_hold_and_resume_at_the_same_window(deps, demo):
    k = kiosk(deps, demo)
    issuing.issue_ticket(deps, k, demo["hall"], "A")
    issuing.issue_ticket(deps, k, demo["hall"], "A")
    actor, window = clerk(deps, demo, 1)
    q.open_window(deps, actor, window)
    q.call_next(deps, actor, window)
    q.start(deps, actor, window)
    assert q.hold(deps, actor, window)["ticket"]["state"] == "held"
    # The window serves the next citizen meanwhile.
    assert q.call_next(deps, actor, window)["ticket"]["number"] == "A002"
    with pytest.raises(Conflict):
        q.resume_ticket(deps, actor, window)  # A002 is still at the window
    q.finish(deps, actor, window)
    resumed = q.resume_ticket(deps, actor, window)["ticket"]
    assert resumed["number"] == "A001" and resumed["state"] == "serving"
    panel = q.window_panel(deps, actor, window)
    assert panel["current"]["number"] == "A001" and panel["held"] == []


def test_transfer_to_another_window_keeps_the_original_place(deps, demo):
    k = kiosk(deps, demo)
    first = issuing.issue_ticket(deps, k, demo["hall"], "A")
    issuing.issue_ticket(deps, k, demo["hall"], "D")
    actor1, window1 = clerk(deps, demo, 1)
    actor6, window6 = clerk(deps, demo, 6)
    q.open_window(deps, actor1, window1)
    q.open_window(deps, actor6, window6)
    q.call_next(deps, actor1, window1)
    moved = q.transfer(deps, actor1, window1, to_window="6", note="需户籍窗口核验")["ticket"]
    assert moved["state"] == "waiting" and moved["transferred"] is True
    assert moved["issued_at"] == first["issued_at"]
    # A001 was issued before D001, so the household window takes it first.
    assert q.call_next(deps, actor6, window6)["ticket"]["number"] == "A001"
    with deps.db.reading() as s:
        records = s.execute(
            select(tables.service_records.c.window_id, tables.service_records.c.previous_id)
            .where(tables.service_records.c.ticket_id == first["id"])
            .order_by(tables.service_records.c.id)
        ).all()
    assert [r.window_id for r in records] == [window1, window6]
    assert records[1].previous_id is not None  # the second visit links to the first


def test_transfer_to_a_named_clerk_reaches_only_that_clerk(deps, demo):
    issuing.issue_ticket(deps, kiosk(deps, demo), demo["hall"], "A")
    actor1, window1 = clerk(deps, demo, 1)
    actor2, window2 = clerk(deps, demo, 2)
    actor3, window3 = clerk(deps, demo, 3)
    for actor, window in ((actor1, window1), (actor2, window2), (actor3, window3)):
        q.open_window(deps, actor, window)
    q.call_next(deps, actor1, window1)
    q.transfer(deps, actor1, window1, clerk=actor3.name and clerk_no(demo, 3))
    assert q.call_next(deps, actor2, window2) == {"ticket": None}
    assert q.call_next(deps, actor3, window3)["ticket"]["number"] == "A001"


def clerk_no(demo: dict[str, Any], window_number: int) -> str:
    return next(c["staff_no"] for c in demo["clerks"] if c["window_number"] == window_number)


def test_calling_out_of_order_is_off_by_default_and_audited_when_allowed(deps, demo):
    k = kiosk(deps, demo)
    issuing.issue_ticket(deps, k, demo["hall"], "A")
    issuing.issue_ticket(deps, k, demo["hall"], "A")
    actor, window = clerk(deps, demo, 1)
    q.open_window(deps, actor, window)
    with pytest.raises(Forbidden):
        q.call_ticket(deps, actor, window, "A002")
    with deps.db.transaction() as s:
        s.execute(
            tables.halls.update()
            .where(tables.halls.c.id == demo["hall"])
            .values(settings={"queue": {"allow_call_out_of_order": True}})
        )
    assert q.call_ticket(deps, actor, window, "A002")["ticket"]["number"] == "A002"
    assert "ticket.call_chosen" in audit_actions(deps)


def test_a_hall_can_let_comprehensive_windows_first_take_queues_without_an_open_fixed_window(
    deps, demo, clock
):
    k = kiosk(deps, demo)
    for _ in range(3):
        issuing.issue_ticket(deps, k, demo["hall"], "B")  # 社会保险: the 社保 window 4 serves it
    clock.advance(minutes=2)
    issuing.issue_ticket(deps, k, demo["hall"], "A")  # 综合受理: only comprehensive windows do
    issuing.issue_ticket(deps, k, demo["hall"], "D")  # 户籍: its fixed window 6 stays closed
    fixed, fixed_window = clerk(deps, demo, 4)
    q.open_window(deps, fixed, fixed_window)
    comprehensive, window = clerk(deps, demo, 1)
    q.open_window(deps, comprehensive, window)
    # Switched off (a hall's setting stored before the switch existed reads so), a comprehensive
    # window takes whoever has waited longest.
    with deps.db.transaction() as s:
        s.execute(
            tables.halls.update().where(tables.halls.c.id == demo["hall"]).values(settings={})
        )
    assert q.call_next(deps, comprehensive, window)["ticket"]["number"] == "B001"
    with deps.db.transaction() as s:
        s.execute(
            tables.halls.update()
            .where(tables.halls.c.id == demo["hall"])
            .values(settings={"queue": {"comprehensive_prefers_unserved": True}})
        )
    # With the switch, a paused 社保 window serves nobody: B is as unserved as A and D.
    q.pause_window(deps, fixed, fixed_window, "临时离开")
    assert (
        q.call_next(deps, comprehensive, window, idempotency_key=tap())["ticket"]["number"]
        == "B002"
    )
    # Once it is back, the comprehensive window leaves B to it while A and D wait.
    q.resume_window(deps, fixed, fixed_window)
    called = [
        q.call_next(deps, comprehensive, window, idempotency_key=tap())["ticket"]["number"]
        for _ in range(3)
    ]
    assert called == ["A001", "D001", "B003"]


def test_only_a_posted_clerk_acts_at_a_window(deps, demo):
    actor4, _ = clerk(deps, demo, 4)
    _, window1 = clerk(deps, demo, 1)
    with pytest.raises(Forbidden) as refused:
        q.open_window(deps, actor4, window1)
    assert "1 号窗口" in refused.value.message
    with pytest.raises(Unauthorized):
        q.call_next(deps, ANONYMOUS, window1)
    with pytest.raises(Unauthorized):
        issuing.issue_ticket(deps, ANONYMOUS, demo["hall"], "A")


def test_ab_posts_the_b_clerk_takes_over_a_paused_or_signed_out_window(deps, demo, bus):
    actor_a, window = clerk(deps, demo, 1)
    actor_b, _ = clerk(deps, demo, 2)  # holds the B post of window 1 in the demo
    q.open_window(deps, actor_a, window)
    with pytest.raises(Conflict):
        q.open_window(deps, actor_b, window)  # A is still working
    for act_beside_a in (q.call_next, q.recall, q.close_window):
        with pytest.raises(Conflict) as refused:
            act_beside_a(deps, actor_b, window)
        assert actor_a.name in refused.value.message
    with pytest.raises(Conflict):
        q.pause_window(deps, actor_b, window, "休息")
    q.pause_window(deps, actor_a, window, "会议")
    view = q.open_window(deps, actor_b, window)["window"]
    assert view["status"] == "open" and view["clerk"]["name"] == actor_b.name
    q.sign_out_of_windows(deps, actor_b)
    after = bus.events("window_changed", room=f"window:{window}")[-1].payload
    assert after["clerk"] is None and after["status"] == "paused"


def test_pause_needs_a_reason_and_blocks_calls(deps, demo):
    issuing.issue_ticket(deps, kiosk(deps, demo), demo["hall"], "A")
    actor, window = clerk(deps, demo, 1)
    q.open_window(deps, actor, window)
    from queue_server.domain.errors import InvalidInput

    with pytest.raises(InvalidInput):
        q.pause_window(deps, actor, window, "  ")
    q.pause_window(deps, actor, window, "休息")
    with pytest.raises(Conflict):
        q.call_next(deps, actor, window)
    q.resume_window(deps, actor, window)
    assert q.call_next(deps, actor, window)["ticket"]["number"] == "A001"


def test_flexible_window_calls_only_once_opened(deps, demo):
    issuing.issue_ticket(deps, kiosk(deps, demo), demo["hall"], "F")
    actor, window = clerk(deps, demo, 8)
    with pytest.raises(Conflict):
        q.call_next(deps, actor, window)
    q.open_window(deps, actor, window)
    assert q.call_next(deps, actor, window)["ticket"]["number"] == "F001"


def test_estimated_wait_follows_recent_service_times_and_open_windows(deps, demo, clock):
    k = kiosk(deps, demo)
    actor, window = clerk(deps, demo, 6)  # household registration: D only
    q.open_window(deps, actor, window)
    for _ in range(3):  # three visits of 4 minutes each
        issuing.issue_ticket(deps, k, demo["hall"], "D")
        q.call_next(deps, actor, window)
        q.start(deps, actor, window)
        clock.advance(minutes=4)
        q.finish(deps, actor, window)
    for _ in range(5):
        issuing.issue_ticket(deps, k, demo["hall"], "D")
    sixth = issuing.issue_ticket(deps, k, demo["hall"], "D")
    assert sixth["position"] == 5
    assert sixth["estimated_wait_minutes"] == 20  # 5 ahead × 4 min, one window


def test_cancel_from_the_phone_and_bad_tokens(deps, demo):
    from queue_server.domain.errors import NotFound

    ticket = issuing.issue_ticket(deps, kiosk(deps, demo), demo["hall"], "A")
    assert q.cancel(deps, ticket["token"])["ticket"]["state"] == "cancelled"
    with pytest.raises(Conflict):
        q.cancel(deps, ticket["token"])
    with pytest.raises(NotFound):
        q.ticket_status(deps, "x" * 16)


def test_priority_tickets_first_but_never_more_than_the_limit_in_a_row(deps, demo, clock):
    k = kiosk(deps, demo)
    for _ in range(3):
        issuing.issue_ticket(deps, k, demo["hall"], "A")
        clock.advance(seconds=5)
    for _ in range(5):
        issuing.issue_ticket(deps, k, demo["hall"], "A", priority="elderly")
        clock.advance(seconds=5)
    actor, window = clerk(deps, demo, 1)
    q.open_window(deps, actor, window)
    order = [
        q.call_next(deps, actor, window, idempotency_key=tap())["ticket"]["number"]
        for _ in range(8)
    ]
    # Default: at most 3 priority tickets in a row while others wait.
    assert order == ["A004", "A005", "A006", "A001", "A007", "A008", "A002", "A003"]
