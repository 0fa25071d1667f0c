"""The busy paths at scale: `queue_changed` coalesced per hall, and a hall's cached settings."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import update

from queue_server.domain.errors import NotFound
from queue_server.services import issuing, views
from queue_server.services.bus import RecordingBus
from queue_server.services.context import Actor, Deps
from queue_server.services.queue_changes import QueueChangedThrottle
from queue_server.store import tables
from queue_server.store.db import Database

KIOSK = Actor("system")


def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class Ticking:
    """The throttle's monotonic clock, moved by the test: no figure depends on the machine's
    speed."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticking() -> Ticking:
    return Ticking()


def advance(throttle: QueueChangedThrottle, ticking: Ticking, seconds: float) -> None:
    """Move the throttle's clock and wake its thread to look at it."""
    with throttle._cond:
        ticking.now += seconds
        throttle._cond.notify()


@pytest.fixture
def throttled(deps: Deps, ticking: Ticking) -> Any:
    throttle = QueueChangedThrottle(deps, interval=1.0, monotonic=ticking)
    deps.queue_changes = throttle
    yield throttle
    throttle.close()
    deps.queue_changes = None


def waiting_in(message: Any, prefix: str) -> int:
    return next(c["waiting"] for c in message.payload["categories"] if c["prefix"] == prefix)


def test_a_burst_of_tickets_gives_one_message_at_once_and_one_with_the_final_figures(
    deps: Deps,
    demo: dict[str, Any],
    bus: RecordingBus,
    throttled: QueueChangedThrottle,
    ticking: Ticking,
):
    hall = demo["hall"]
    room = f"hall:{hall}"
    issuing.issue_ticket(deps, KIOSK, hall, "A")
    # The first change after a quiet spell goes out at once: the throttle's clock stands still.
    wait_for(lambda: bus.events("queue_changed", room))
    assert waiting_in(bus.events("queue_changed", room)[0], "A") == 1
    for _ in range(9):
        issuing.issue_ticket(deps, KIOSK, hall, "A")
    assert len(bus.events("ticket_issued", room)) == 10  # every ticket is still announced
    advance(throttled, ticking, 0.5)  # within the interval: the nine changes wait
    time.sleep(0.2)
    assert len(bus.events("queue_changed", room)) == 1
    advance(throttled, ticking, 0.5)  # the interval is over: one message with the final figures
    wait_for(lambda: len(bus.events("queue_changed", room)) == 2)
    assert waiting_in(bus.events("queue_changed", room)[-1], "A") == 10
    advance(throttled, ticking, 5)  # nothing more comes once the final figures are out
    time.sleep(0.2)
    assert len(bus.events("queue_changed", room)) == 2


def test_with_the_throttle_the_use_case_itself_sends_no_queue_figures_but_still_moves_places(
    deps: Deps, demo: dict[str, Any], bus: RecordingBus, throttled: QueueChangedThrottle
):
    hall = demo["hall"]
    batches: list[list[Any]] = []
    bus.subscribe(batches.append)
    regular = issuing.issue_ticket(deps, KIOSK, hall, "A")
    issuing.issue_ticket(deps, KIOSK, hall, "A", priority="elderly")
    issued = [b for b in batches if any(m.event == "ticket_issued" for m in b)]
    assert len(issued) == 2
    assert all(m.event != "queue_changed" for batch in issued for m in batch)
    # The green-channel ticket went ahead: the regular ticket's phone hears its new place.
    moved = bus.events("ticket_changed", f"ticket:{regular['token']}")
    assert moved and moved[-1].payload["position"] == 1


def test_without_the_throttle_each_change_carries_its_queue_figures(
    deps: Deps, demo: dict[str, Any], bus: RecordingBus
):
    issuing.issue_ticket(deps, KIOSK, demo["hall"], "A")
    issuing.issue_ticket(deps, KIOSK, demo["hall"], "A")
    messages = bus.events("queue_changed", f"hall:{demo['hall']}")
    assert [waiting_in(m, "A") for m in messages] == [1, 2]


def test_halls_are_throttled_apart(deps: Deps, bus: RecordingBus, throttled: QueueChangedThrottle):
    from queue_server.services.demo import seed_demo

    first, second = (h["hall"] for h in seed_demo(deps, halls=2))
    issuing.issue_ticket(deps, KIOSK, first, "A")
    issuing.issue_ticket(deps, KIOSK, second, "B")
    wait_for(lambda: bus.events("queue_changed", f"hall:{first}"))
    wait_for(lambda: bus.events("queue_changed", f"hall:{second}"))


# -- a hall's cached settings --------------------------------------------------------------------


def test_a_category_switched_off_takes_no_more_tickets_at_once(deps: Deps, demo: dict[str, Any]):
    hall = demo["hall"]
    issuing.issue_ticket(deps, KIOSK, hall, "E")  # the settings are now cached
    with deps.db.transaction() as s:
        s.execute(
            update(tables.categories)
            .where(tables.categories.c.id == demo["categories"]["E"])
            .values(active=False)
        )
    with pytest.raises(NotFound):
        issuing.issue_ticket(deps, KIOSK, hall, "E")


def test_an_opened_window_counts_in_the_next_estimate_at_once(
    deps: Deps, demo: dict[str, Any], api: Any
):
    hall = demo["hall"]
    api.window(6, "open")  # 户籍窗口: household registration, 10 minutes a citizen
    for _ in range(6):
        issuing.issue_ticket(deps, KIOSK, hall, "D")
    before = issuing.issue_ticket(deps, KIOSK, hall, "D")["estimated_wait_minutes"]
    api.window(1, "open")  # a comprehensive window serves every category
    after = issuing.issue_ticket(deps, KIOSK, hall, "D")["estimated_wait_minutes"]
    assert (before, after) == (60, 35)


def test_a_change_by_another_process_is_seen_within_the_cache_time(
    deps: Deps, demo: dict[str, Any], db_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(views, "CONFIG_SECONDS", 0.2)
    hall = demo["hall"]
    issuing.issue_ticket(deps, KIOSK, hall, "A")
    other = Database(db_url)  # another process's database object: its writes are not seen here
    try:
        with other.transaction() as s:
            s.execute(
                update(tables.categories)
                .where(tables.categories.c.id == demo["categories"]["A"])
                .values(name="综合受理（新）")
            )
    finally:
        other.dispose()
    time.sleep(0.25)
    assert issuing.issue_ticket(deps, KIOSK, hall, "A")["category"]["name"] == "综合受理（新）"


def test_settings_read_while_a_change_was_being_written_are_dropped_at_its_commit(
    deps: Deps, demo: dict[str, Any]
):
    hall = demo["hall"]
    with deps.db.transaction() as s:
        s.execute(
            update(tables.halls).where(tables.halls.c.id == hall).values(name="新名字便民服务中心")
        )
        # Another request reads (and caches) the settings before the change is committed...
        with deps.db.reading() as other:
            assert views.hall_config(other, hall).hall.name != "新名字便民服务中心"
    # ...the commit drops what it read: the next request sees the committed name.
    with deps.db.reading() as s:
        assert views.hall_config(s, hall).hall.name == "新名字便民服务中心"


# -- estimates in a busy hall --------------------------------------------------------------------


def test_comprehensive_windows_busy_with_other_queues_count_for_their_share_in_the_estimate(
    deps: Deps, demo: dict[str, Any], api: Any
):
    hall = demo["hall"]
    for number in (1, 2, 3):  # the three comprehensive windows, which serve every category
        api.window(number, "open")
    for _ in range(6):
        issuing.issue_ticket(deps, KIOSK, hall, "B")
    for _ in range(2):
        issuing.issue_ticket(deps, KIOSK, hall, "A")
    third = issuing.issue_ticket(deps, KIOSK, hall, "A")
    # Three windows, but two thirds of what they will call is social insurance: the two A
    # tickets ahead (8 minutes each) get one window's worth of calling, not three.
    assert third["position"] == 2
    assert third["estimated_wait_minutes"] == 16
    # The kiosk's figure for the next A ticket: 3 ahead, 4 of the 10 waiting are A: 20 minutes.
    shown = {c["prefix"]: c for c in q_categories(deps, hall)}
    assert shown["A"]["estimated_wait_minutes"] == 20 and shown["A"]["open_windows"] == 3


def q_categories(deps: Deps, hall: int) -> list[dict[str, Any]]:
    with deps.db.reading() as s:
        return views.QueueStatus(s, views.get_hall(s, hall), deps.clock.now()).categories_view()


def test_call_next_tells_the_hall_the_windows_new_state_once_after_the_call(
    deps: Deps, demo: dict[str, Any], api: Any, bus: RecordingBus
):
    api.window(1, "open")
    api.issue("A")
    api.issue("A")
    api.window(1, "call-next")
    bus.published.clear()
    api.window(1, "call-next")  # finishes A001 and calls A002
    # Printing reports (print_status) come from the print worker's thread whenever it is done.
    hall_events = [
        m.event
        for m in bus.published
        if m.room == f"hall:{demo['hall']}" and m.event != "print_status"
    ]
    assert hall_events[:3] == ["ticket_finished", "ticket_called", "window_changed"]
    assert hall_events.count("window_changed") == 1
    [state] = bus.events("window_changed", f"hall:{demo['hall']}")
    assert state.payload["current"]["number"] == "A002"


def test_a_token_revoked_by_another_process_stops_working_within_the_cache_time(
    deps: Deps, demo: dict[str, Any], db_url: str, monkeypatch: pytest.MonkeyPatch
):
    from queue_server.services import auth

    monkeypatch.setattr(auth, "TOKEN_SECONDS", 0.2)
    token = demo["kiosk_token"]
    assert auth.actor_for_token(deps, token) is not None
    other = Database(db_url)
    try:
        with other.transaction() as s:
            s.execute(
                update(tables.devices)
                .where(tables.devices.c.id == demo["kiosk_id"])
                .values(token_hash=auth.token_digest("another token"))
            )
    finally:
        other.dispose()
    time.sleep(0.25)
    assert auth.actor_for_token(deps, token) is None
    assert auth.actor_for_token(deps, "another token") is not None


def test_a_token_revoked_in_this_process_stops_working_at_once(deps: Deps, demo: dict[str, Any]):
    from queue_server.services import auth

    token = demo["kiosk_token"]
    assert auth.actor_for_token(deps, token) is not None
    with deps.db.transaction() as s:
        s.execute(
            update(tables.devices)
            .where(tables.devices.c.id == demo["kiosk_id"])
            .values(token_hash=auth.token_digest("another token"))
        )
    assert auth.actor_for_token(deps, token) is None
