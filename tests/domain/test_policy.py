"""Who a window calls next, how long a citizen waits, and the hall's queue rules.

Most tests let one window call, one ticket after another, until nobody is left for it, and
compare the numbers it called with what the hall expects to hear announced.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.domain.errors import InvalidInput
from queue_server.domain.model import (
    Hall,
    HallKind,
    Priority,
    QueueRules,
    Ticket,
    TicketState,
    Window,
    WindowStatus,
    WindowType,
)
from queue_server.domain.policy import (
    after_call,
    average_service_minutes,
    choose_next,
    estimated_wait_minutes,
    people_ahead,
)

A, B, C = 1, 2, 3  # categories; their tickets are numbered A001…, B001…, C001…
MINUTE = timedelta(minutes=1)
HALF_PAST_NINE = datetime(2026, 11, 27, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
GREEN = Priority.ELDERLY  # 绿色通道


def call_in_turn(
    window: Window,
    queue: list[Ticket],
    rules: QueueRules | None = None,
    now: datetime | None = None,
    clerk_id: int | None = None,
) -> list[str]:
    """Let the window call until nobody is left for it; the numbers in the order called."""
    rules = rules or QueueRules()
    now = now or HALF_PAST_NINE
    called = []
    while (ticket := choose_next(window, queue, rules, now, clerk_id)) is not None:
        ticket.call(window, clerk_id or window.active_clerk_id or 0, now)
        after_call(window, ticket, rules, now)
        called.append(ticket.number)
        assert len(called) <= len(queue), "a ticket was called twice"
    return called


def still_waiting(queue: list[Ticket]) -> list[str]:
    return [t.number for t in queue if t.state == TicketState.WAITING]


# -- fixed, flexible and comprehensive windows ----------------------------------------------


@pytest.mark.parametrize("window_type", [WindowType.FIXED, WindowType.FLEXIBLE])
def test_a_fixed_or_flexible_window_empties_its_first_category_before_its_second(
    make_window, make_ticket, window_type
):
    window = make_window(window_type, [B, A])  # B is this window's main business
    queue = [make_ticket(cat) for cat in (A, B, A, C, B, A)]  # A001 B001 A002 C001 B002 A003

    assert call_in_turn(window, queue) == ["B001", "B002", "A001", "A002", "A003"]
    assert still_waiting(queue) == ["C001"], "a category the window does not serve stays"


def test_a_fixed_window_turns_back_to_its_first_category_as_soon_as_a_ticket_arrives(
    make_window, make_ticket, opening
):
    window = make_window(WindowType.FIXED, [A, B])
    queue = [make_ticket(B), make_ticket(B)]
    rules = QueueRules()

    first = choose_next(window, queue, rules, opening)
    first.call(window, window.active_clerk_id, opening)
    queue.append(make_ticket(A))  # A001 arrives after both B tickets

    assert first.number == "B001"
    assert choose_next(window, queue, rules, opening).number == "A001"


def test_a_fixed_window_without_categories_calls_nobody(make_window, make_ticket, opening):
    window = make_window(WindowType.FIXED, [])
    assert choose_next(window, [make_ticket(A)], QueueRules(), opening) is None


def test_a_comprehensive_window_takes_whoever_has_waited_longest(make_window, make_ticket):
    window = make_window(WindowType.COMPREHENSIVE, [])  # 全科窗口: every category
    queue = [make_ticket(cat) for cat in (C, A, B, A, C, B)]

    assert call_in_turn(window, queue) == ["C001", "A001", "B001", "A002", "C002", "B002"]


def test_a_comprehensive_window_with_a_list_serves_only_those_by_waiting_time(
    make_window, make_ticket
):
    window = make_window(WindowType.COMPREHENSIVE, [B, A])  # the list's order does not matter
    queue = [make_ticket(cat) for cat in (A, C, B, A, B)]

    assert call_in_turn(window, queue) == ["A001", "B001", "A002", "B002"]
    assert still_waiting(queue) == ["C001"]


PREFER_UNSERVED = QueueRules(comprehensive_prefers_unserved=True)


def test_with_the_switch_a_comprehensive_window_first_calls_queues_no_open_fixed_window_serves(
    make_window, make_ticket, opening
):
    comprehensive = make_window(WindowType.COMPREHENSIVE, [])
    fixed_b = make_window(WindowType.FIXED, [B])
    closed_c = make_window(WindowType.FIXED, [C], status=WindowStatus.CLOSED)
    windows = [comprehensive, fixed_b, closed_c]
    queue = [make_ticket(cat) for cat in (B, C, A, B, A)]
    queue.append(make_ticket(B, priority=GREEN))

    called = []
    while (
        ticket := choose_next(comprehensive, queue, PREFER_UNSERVED, opening, windows=windows)
    ) is not None:
        ticket.call(comprehensive, 101, opening)
        after_call(comprehensive, ticket, PREFER_UNSERVED, opening)
        called.append(ticket.number)
    # The green channel still comes first; then C (its fixed window is closed) and A by
    # waiting time; B, which its open fixed window serves, only once nobody else waits.
    assert called == ["B003", "C001", "A001", "A002", "B001", "B002"]
    # Off (the default), the same window takes whoever has waited longest.
    for ticket in queue:
        ticket.state, ticket.window_id = TicketState.WAITING, None
    comprehensive.priority_streak = 0
    assert choose_next(comprehensive, queue, QueueRules(), opening, windows=windows).number == (
        "B003"
    )
    queue[-1].state = TicketState.DONE
    assert choose_next(comprehensive, queue, QueueRules(), opening, windows=windows).number == (
        "B001"
    )


def test_fixed_windows_are_not_changed_by_the_comprehensive_switch(make_window, make_ticket):
    fixed = make_window(WindowType.FIXED, [B, A])
    queue = [make_ticket(cat) for cat in (A, B, A, B)]
    assert call_in_turn(fixed, queue, PREFER_UNSERVED) == ["B001", "B002", "A001", "A002"]


def test_with_the_switch_an_unserved_queue_counts_comprehensive_windows_among_its_kind_only(
    make_window,
):
    from queue_server.domain.policy import window_shares

    windows = [
        make_window(WindowType.COMPREHENSIVE, []),
        make_window(WindowType.COMPREHENSIVE, []),
        make_window(WindowType.FIXED, [B]),
    ]
    waiting = {A: 4, B: 12}
    # Off: each comprehensive window is shared by everyone waiting, A gets 4/16 of each.
    assert window_shares(A, windows, waiting) == pytest.approx(0.5)
    # On: A has both comprehensive windows to itself while B has its fixed window.
    assert window_shares(A, windows, waiting, PREFER_UNSERVED) == pytest.approx(2.0)
    assert window_shares(B, windows, waiting, PREFER_UNSERVED) == pytest.approx(1 + 2 * 12 / 16)


def test_the_switch_is_read_from_the_hall_settings_and_checked():
    hall = Hall(
        name="x", kind=HallKind.TOWN, settings={"queue": {"comprehensive_prefers_unserved": True}}
    )
    assert hall.rules.comprehensive_prefers_unserved
    assert hall.rules.to_dict()["comprehensive_prefers_unserved"] is True
    with pytest.raises(InvalidInput):
        QueueRules.from_dict({"comprehensive_prefers_unserved": "yes"})


@pytest.mark.parametrize("status", [WindowStatus.CLOSED, WindowStatus.PAUSED])
@pytest.mark.parametrize("window_type", list(WindowType))
def test_a_closed_or_paused_window_calls_nobody(
    make_window, make_ticket, opening, status, window_type
):
    window = make_window(window_type, [A], status=status)
    queue = [
        make_ticket(A),
        make_ticket(A, priority=GREEN),
        make_ticket(A, target_window_id=window.id),
    ]
    assert choose_next(window, queue, QueueRules(), opening, clerk_id=101) is None


def test_tickets_that_are_not_waiting_are_never_called(make_window, make_ticket, opening):
    window = make_window(WindowType.COMPREHENSIVE, [])
    queue = [make_ticket(A, state=state) for state in TicketState if state != TicketState.WAITING]
    assert choose_next(window, queue, QueueRules(), opening) is None


# -- 绿色通道 and appointments ---------------------------------------------------------------


@pytest.mark.parametrize("priority", [p for p in Priority if p != Priority.NONE])
@pytest.mark.parametrize("window_type", list(WindowType))
def test_the_green_channel_goes_before_earlier_regular_tickets(
    make_window, make_ticket, priority, window_type
):
    window = make_window(window_type, [A])
    queue = [make_ticket(A), make_ticket(A), make_ticket(A, priority=priority)]

    assert call_in_turn(window, queue) == ["A003", "A001", "A002"]


def test_a_fixed_window_calls_the_green_channel_of_its_second_category_first(
    make_window, make_ticket
):
    window = make_window(WindowType.FIXED, [A, B])
    queue = [make_ticket(A), make_ticket(B, priority=Priority.DISABLED), make_ticket(A)]

    assert call_in_turn(window, queue) == ["B001", "A001", "A002"]


def test_an_appointment_due_now_goes_before_the_green_channel(make_window, make_ticket, opening):
    window = make_window(WindowType.COMPREHENSIVE, [])
    queue = [
        make_ticket(A),  # A001
        make_ticket(A, priority=Priority.PREGNANT),  # A002
        make_ticket(B, appointment_due_at=opening + 5 * MINUTE),  # B001, booked for 09:05
    ]

    assert call_in_turn(window, queue, now=opening) == ["B001", "A002", "A001"]


@pytest.mark.parametrize(
    ("lead_minutes", "due_in_minutes", "called_first"),
    [
        (10, 10, True),  # the default lead: ten minutes before the booked time
        (10, 11, False),
        (10, 0, True),
        (10, -40, True),  # late for the booking, still first
        (0, 0, True),
        (0, 1, False),
        (30, 30, True),
        (30, 31, False),
    ],
)
def test_an_appointment_counts_as_due_within_the_lead_time(
    make_window, make_ticket, opening, lead_minutes, due_in_minutes, called_first
):
    rules = QueueRules.from_dict({"appointment_lead_minutes": lead_minutes})
    window = make_window(WindowType.COMPREHENSIVE, [])
    queue = [
        make_ticket(A),
        make_ticket(A, appointment_due_at=opening + due_in_minutes * MINUTE),
    ]

    expected = ["A002", "A001"] if called_first else ["A001", "A002"]
    assert call_in_turn(window, queue, rules, now=opening) == expected


def test_an_appointment_not_yet_due_keeps_its_green_channel(make_window, make_ticket, opening):
    window = make_window(WindowType.COMPREHENSIVE, [])
    queue = [
        make_ticket(A),
        make_ticket(A, priority=GREEN, appointment_due_at=opening + 60 * MINUTE),
    ]
    assert call_in_turn(window, queue, now=opening) == ["A002", "A001"]


# -- at most N of the green channel in a row ------------------------------------------------


def test_two_green_channel_tickets_then_one_regular_when_the_hall_allows_two_in_a_row(
    make_window, make_ticket
):
    rules = QueueRules.from_dict({"max_priority_in_row": 2})
    window = make_window(WindowType.COMPREHENSIVE, [])
    regular = [make_ticket(A) for _ in range(3)]  # A001..A003, waiting since early morning
    green = [make_ticket(A, priority=GREEN) for _ in range(6)]  # A004..A009

    called = call_in_turn(window, [*regular, *green], rules)

    # P P R P P R P P R
    assert called == [
        "A004", "A005", "A001",
        "A006", "A007", "A002",
        "A008", "A009", "A003",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("in_a_row", "pattern"),
    [
        (1, "PRPRPRPPPP"),
        (2, "PPRPPRPPRP"),
        (3, "PPPRPPPRPR"),
        (7, "PPPPPPPRRR"),
    ],
)
def test_regular_tickets_are_not_starved_by_the_green_channel(
    make_window, make_ticket, in_a_row, pattern
):
    """Seven green-channel and three regular tickets; the green ones left alone all go."""
    rules = QueueRules.from_dict({"max_priority_in_row": in_a_row})
    window = make_window(WindowType.FIXED, [A, B])
    regular = [make_ticket(B) for _ in range(3)]
    green = [make_ticket(A, priority=Priority.MILITARY) for _ in range(7)]
    kind = {t.number: ("P" if t in green else "R") for t in [*regular, *green]}

    called = call_in_turn(window, [*green, *regular], rules)

    assert "".join(kind[number] for number in called) == pattern
    assert [n for n in called if kind[n] == "P"] == [t.number for t in green], "FIFO within"
    assert [n for n in called if kind[n] == "R"] == ["B001", "B002", "B003"], "FIFO within"


def test_green_channel_tickets_alone_are_all_served_then_a_newcomer_is_not_kept_waiting(
    make_window, make_ticket
):
    rules = QueueRules.from_dict({"max_priority_in_row": 2})
    window = make_window(WindowType.COMPREHENSIVE, [])
    queue = [make_ticket(A, priority=GREEN) for _ in range(5)]

    assert call_in_turn(window, queue, rules) == ["A001", "A002", "A003", "A004", "A005"]

    queue += [make_ticket(A, priority=GREEN), make_ticket(A)]  # A006 green, A007 regular

    assert call_in_turn(window, queue, rules) == ["A007", "A006"]


def test_the_count_in_a_row_restarts_after_a_regular_ticket(make_window, make_ticket, opening):
    rules = QueueRules.from_dict({"max_priority_in_row": 2})
    window = make_window(WindowType.COMPREHENSIVE, [])
    green, regular = make_ticket(A, priority=GREEN), make_ticket(A)

    after_call(window, green, rules, opening)
    after_call(window, green, rules, opening)
    assert window.priority_streak == 2
    after_call(window, regular, rules, opening)
    assert window.priority_streak == 0


# -- first come, first served ----------------------------------------------------------------


def test_twenty_tickets_are_called_in_the_order_they_were_taken(make_window, make_ticket):
    window = make_window(WindowType.COMPREHENSIVE, [])
    queue = [make_ticket(A if n % 2 else B) for n in range(1, 21)]  # A001 B001 A002 B002 …
    random.Random(2026).shuffle(queue)  # the store may hand them over in any order

    expected = [f"{prefix}{n:03d}" for n in range(1, 11) for prefix in "AB"]
    assert call_in_turn(window, queue) == expected


def test_tickets_with_the_same_sort_key_go_by_id(make_window, make_ticket):
    """Two kiosks issuing in the same instant: the lower id was issued first."""
    window = make_window(WindowType.FIXED, [A])
    queue = [make_ticket(A, sort_key=float(n * 3 % 4)) for n in range(1, 21)]  # 3 2 1 0 3 2 1 0 …
    random.Random(7).shuffle(queue)

    assert call_in_turn(window, queue) == [
        "A004", "A008", "A012", "A016", "A020",  # sort key 0
        "A003", "A007", "A011", "A015", "A019",  # 1
        "A002", "A006", "A010", "A014", "A018",  # 2
        "A001", "A005", "A009", "A013", "A017",  # 3
    ]  # fmt: skip


# -- tickets for one window or one clerk, and other halls ------------------------------------


def test_a_ticket_transferred_to_a_window_is_called_only_there(make_window, make_ticket, opening):
    social = make_window(WindowType.FIXED, [A])
    comprehensive = make_window(WindowType.COMPREHENSIVE, [])
    special = make_window(WindowType.FIXED, [C])  # does not even serve A
    ticket = make_ticket(A)
    ticket.call(social, social.active_clerk_id, opening)
    ticket.transfer(category_id=None, window_id=special.id, clerk_id=None, note="", now=opening)
    queue = [ticket]

    assert choose_next(social, queue, QueueRules(), opening) is None
    assert choose_next(comprehensive, queue, QueueRules(), opening) is None
    assert choose_next(special, queue, QueueRules(), opening) is ticket


def test_a_ticket_transferred_to_a_named_clerk_waits_for_that_clerk(
    make_window, make_ticket, opening
):
    social = make_window(WindowType.FIXED, [A])  # clerk 101
    elsewhere = make_window(WindowType.FIXED, [C], clerk_id=205)
    ticket = make_ticket(A, target_clerk_id=205)
    queue = [ticket]

    assert choose_next(social, queue, QueueRules(), opening, clerk_id=101) is None
    assert choose_next(social, queue, QueueRules(), opening, clerk_id=None) is None
    assert choose_next(elsewhere, queue, QueueRules(), opening, clerk_id=205) is ticket


def test_a_window_never_calls_another_halls_ticket(make_window, make_ticket, opening):
    window = make_window(WindowType.COMPREHENSIVE, [], hall_id=1)
    queue = [
        make_ticket(A, hall_id=2),
        make_ticket(A, hall_id=2, priority=GREEN),
        make_ticket(A, hall_id=2, target_window_id=window.id),
        make_ticket(A, hall_id=2, target_clerk_id=window.active_clerk_id),
    ]
    assert (
        choose_next(window, queue, QueueRules(), opening, clerk_id=window.active_clerk_id) is None
    )


# -- the property: never an ineligible ticket, never nobody while someone waits ---------------


def eligible(window: Window, ticket: Ticket, clerk_id: int | None) -> bool:
    """The calling rules written out once more, independently of the policy module."""
    if ticket.state != TicketState.WAITING or ticket.hall_id != window.hall_id:
        return False
    if ticket.target_clerk_id is not None:
        return ticket.target_clerk_id == clerk_id
    if ticket.target_window_id is not None:
        return ticket.target_window_id == window.id
    if window.type == WindowType.COMPREHENSIVE and not window.category_ids:
        return True
    return ticket.category_id in window.category_ids


NOON = datetime(2026, 11, 27, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@st.composite
def tickets(draw: st.DrawFn, ticket_id: int) -> Ticket:
    due_in = draw(st.none() | st.integers(-60, 60))
    return Ticket(
        hall_id=draw(st.sampled_from([1, 1, 1, 2])),
        category_id=draw(st.sampled_from([A, B, C])),
        service_day=NOON.date(),
        seq=ticket_id,
        number=f"X{ticket_id:03d}",
        token=f"token-{ticket_id}",
        issued_at=NOON,
        sort_key=float(draw(st.integers(0, 5))),  # small range: many ties
        priority=draw(st.sampled_from(list(Priority))),
        state=draw(st.sampled_from(list(TicketState))),
        appointment_due_at=None if due_in is None else NOON + due_in * MINUTE,
        target_window_id=draw(st.sampled_from([None, None, 1, 2])),
        target_clerk_id=draw(st.sampled_from([None, None, 101, 102])),
        id=ticket_id,
    )


@st.composite
def scenes(draw: st.DrawFn) -> tuple[Window, list[Ticket], QueueRules, int | None]:
    window = Window(
        hall_id=1,
        number=1,
        name="1号窗口",
        type=draw(st.sampled_from(list(WindowType))),
        category_ids=draw(st.lists(st.sampled_from([A, B, C]), unique=True, max_size=3)),
        status=draw(st.sampled_from(list(WindowStatus))),
        priority_streak=draw(st.integers(0, 5)),
        id=1,
    )
    rules = QueueRules(
        max_priority_in_row=draw(st.integers(1, 4)),
        appointment_lead_minutes=draw(st.integers(0, 30)),
    )
    count = draw(st.integers(0, 12))
    queue = [draw(tickets(ticket_id)) for ticket_id in range(1, count + 1)]
    clerk_id = draw(st.sampled_from([None, 101, 102]))
    return window, queue, rules, clerk_id


@settings(max_examples=300, deadline=None, database=None)
@given(scenes())
def test_choose_next_only_calls_eligible_tickets_and_never_leaves_one_waiting(scene):
    window, queue, rules, clerk_id = scene
    can_go = [t for t in queue if eligible(window, t, clerk_id)]

    chosen = choose_next(window, queue, rules, NOON, clerk_id)

    if window.status != WindowStatus.OPEN:
        assert chosen is None
        return
    if not can_go:
        assert chosen is None
        return
    assert chosen is not None, "an eligible ticket waits at an open window"
    assert eligible(window, chosen, clerk_id)
    # the green channel and appointments go first, but not more than N in a row
    regular_waits = any(t.rank(NOON, rules) == 2 for t in can_go)
    priority_waits = any(t.rank(NOON, rules) < 2 for t in can_go)
    if regular_waits and window.priority_streak >= rules.max_priority_in_row:
        assert chosen.rank(NOON, rules) == 2
    elif priority_waits:
        assert chosen.rank(NOON, rules) < 2
    # first come, first served among equals
    for other in can_go:
        if other.rank(NOON, rules) == chosen.rank(NOON, rules) and (
            window.type == WindowType.COMPREHENSIVE or other.category_id == chosen.category_id
        ):
            assert (chosen.sort_key, chosen.id) <= (other.sort_key, other.id)


# -- how long a citizen waits ---------------------------------------------------------------


def test_people_ahead_counts_who_waits_before_me_in_my_queue(make_window, make_ticket, opening):
    window = make_window(WindowType.COMPREHENSIVE, [])
    rules = QueueRules()
    queue = [make_ticket(A) for _ in range(4)]  # A001..A004
    queue.append(make_ticket(B))  # another queue
    mine = make_ticket(A)  # A005
    queue.append(mine)

    assert people_ahead(mine, queue, rules, opening) == 4

    queue[0].call(window, window.active_clerk_id, opening)  # A001 is at the window now
    assert people_ahead(mine, queue, rules, opening) == 3

    green = make_ticket(A, priority=GREEN)  # A006 comes later but goes before me
    queue.append(green)
    assert people_ahead(mine, queue, rules, opening) == 4
    assert people_ahead(green, queue, rules, opening) == 0
    assert people_ahead(queue[1], queue, rules, opening) == 1, "A002: only the green ticket"


@pytest.mark.parametrize(
    ("ahead", "average", "windows", "minutes"),
    [
        (0, 10.0, 1, 0),  # next in line: no wait
        (0, 10.0, 0, 0),
        (3, 5.0, 1, 15),
        (1, 2.5, 1, 3),  # rounded up: nobody is told "2 minutes" for 2.5
        (3, 5.0, 2, 8),  # 7.5 → 8: two windows share the queue
        (4, 6.0, 3, 8),
        (9, 4.0, 3, 12),
        (3, 5.0, 0, 15),  # no window open: as if one will open
        (4, 0.0, 1, 2),  # no service is quicker than half a minute
    ],
)
def test_the_estimated_wait(ahead, average, windows, minutes):
    assert estimated_wait_minutes(ahead, average, windows) == minutes


@pytest.mark.parametrize(
    ("seconds", "sample", "minutes"),
    [
        ([], 20, 6.0),  # nothing served yet today: the category's default
        ([0.0, -5.0], 20, 6.0),  # records without a real service time do not count
        ([300.0, 420.0], 20, 6.0),
        ([0.0, -5.0, 120.0], 20, 2.0),
        ([6000.0] + [60.0] * 20, 20, 1.0),  # the morning's long case has left the sample
        ([600.0, 60.0, 120.0, 180.0], 3, 2.0),
    ],
)
def test_the_average_service_time_uses_the_latest_services(seconds, sample, minutes):
    assert average_service_minutes(seconds, default_minutes=6.0, sample=sample) == minutes


# -- the hall's queue rules ------------------------------------------------------------------

DEFAULT_RULES = {
    "min_calls_before_no_show": 2,
    "min_seconds_before_no_show": 60,
    "return_places_from_front": 2,
    "max_priority_in_row": 3,
    "appointment_lead_minutes": 10,
    "day_end_grace_minutes": 30,
    "call_next_guard_seconds": 10,
    "allow_call_out_of_order": False,
    "comprehensive_prefers_unserved": False,
}

BOUNDS = [
    ("min_calls_before_no_show", 1, 10),
    ("min_seconds_before_no_show", 0, 3600),
    ("return_places_from_front", 0, 100),
    ("max_priority_in_row", 1, 100),
    ("appointment_lead_minutes", 0, 120),
]


@pytest.mark.parametrize("stored", [None, {}])
def test_a_hall_without_queue_settings_gets_the_defaults(stored):
    assert QueueRules.from_dict(stored).to_dict() == DEFAULT_RULES
    assert Hall(name="城关镇便民服务中心").rules == QueueRules()


def test_settings_not_given_keep_their_defaults():
    rules = QueueRules.from_dict({"max_priority_in_row": 5, "allow_call_out_of_order": True})
    assert rules.to_dict() == {
        **DEFAULT_RULES,
        "max_priority_in_row": 5,
        "allow_call_out_of_order": True,
    }


def test_a_hall_reads_its_rules_from_its_queue_settings():
    hall = Hall(name="城关镇便民服务中心", settings={"queue": {"return_places_from_front": 0}})
    assert hall.rules.return_places_from_front == 0


def test_rules_survive_a_round_trip_through_json():
    rules = QueueRules(4, 90, 0, 1, True, 30)
    assert QueueRules.from_dict(rules.to_dict()) == rules


@pytest.mark.parametrize(("key", "low", "high"), BOUNDS)
def test_each_setting_accepts_its_whole_range(key, low, high):
    assert getattr(QueueRules.from_dict({key: low}), key) == low
    assert getattr(QueueRules.from_dict({key: high}), key) == high


@pytest.mark.parametrize("too_far", ["below", "above"])
@pytest.mark.parametrize(("key", "low", "high"), BOUNDS)
def test_each_setting_refuses_values_out_of_range(refused, key, low, high, too_far):
    value = low - 1 if too_far == "below" else high + 1
    with refused(InvalidInput, f"{key} 须为 {low} 到 {high} 之间的整数", f"from {low} to {high}"):
        QueueRules.from_dict({key: value})


@pytest.mark.parametrize("value", ["3", 3.0, True, None, [3]])
@pytest.mark.parametrize("key", [key for key, _, _ in BOUNDS])
def test_a_number_setting_refuses_other_types(refused, key, value):
    with refused(InvalidInput, key, "whole number"):
        QueueRules.from_dict({key: value})


@pytest.mark.parametrize("value", [True, False])
def test_calling_out_of_order_is_a_yes_or_no(value):
    assert QueueRules.from_dict({"allow_call_out_of_order": value}).allow_call_out_of_order is value


@pytest.mark.parametrize("value", [1, 0, "true", None])
def test_calling_out_of_order_refuses_anything_but_yes_or_no(refused, value):
    with refused(InvalidInput, "是或否", "true or false"):
        QueueRules.from_dict({"allow_call_out_of_order": value})


def test_an_unknown_setting_is_refused_by_name(refused):
    with refused(InvalidInput, "未知设置：max_priority_in_a_row", "Unknown setting: max_priority"):
        QueueRules.from_dict({"max_priority_in_a_row": 2})


@pytest.mark.parametrize("stored", [[("max_priority_in_row", 2)], "max_priority_in_row=2", 3])
def test_queue_settings_that_are_not_an_object_are_refused(refused, stored):
    with refused(InvalidInput, "队列设置", "Queue settings"):
        QueueRules.from_dict(stored)
    with refused(InvalidInput, "队列设置", "Queue settings"):
        _ = Hall(name="城关镇便民服务中心", settings={"queue": stored}).rules


def test_an_unknown_setting_typed_in_chinese_is_named_in_both_messages():
    with pytest.raises(InvalidInput) as refused:
        QueueRules.from_dict({"叫号顺序": 1})
    assert "叫号顺序" in refused.value.message
    assert refused.value.message_en.isascii() and "\\u53eb" in refused.value.message_en
