"""The life of a ticket and of a window, as the clerk at the counter sees it.

waiting → called → serving → done, and the side roads: recall (重呼), no-show (过号), hold
(暂离), return after a no-show, transfer (转移), cancel; a window opens, pauses, resumes,
changes hands between the A and B post (AB岗) and closes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from queue_server.domain import events as ev
from queue_server.domain.errors import Conflict, InvalidInput
from queue_server.domain.model import (
    OUTCOME_NAMES,
    Outcome,
    QueueRules,
    TicketState,
    WindowStatus,
    WindowType,
)
from queue_server.domain.policy import choose_next, people_ahead, reentry_sort_key

HALL = 1
SOCIAL_SECURITY, CIVIL_AFFAIRS = 1, 2  # categories A and B
CLERK = 101  # works window 1
B_POST_CLERK = 102
OTHER_CLERK = 301
SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def window(make_window):
    """Window 1: a comprehensive window, open, clerk 101 at the counter."""
    return make_window(WindowType.COMPREHENSIVE, clerk_id=CLERK)


@pytest.fixture
def ticket_in(make_ticket, window, opening):
    """A factory for one ticket of category A brought into a given state at window 1.

    Each step happens a minute after the previous one, starting at 09:00.
    """

    def bring(state: TicketState):
        ticket = make_ticket(SOCIAL_SECURITY)
        if state == TicketState.WAITING:
            return ticket
        ticket.call(window, CLERK, opening)
        if state == TicketState.CALLED:
            return ticket
        if state == TicketState.NO_SHOW:
            ticket.recall(opening + MINUTE)
            ticket.mark_no_show(QueueRules(), opening + 2 * MINUTE)
            return ticket
        if state == TicketState.CANCELLED:
            ticket.cancel(opening + MINUTE)
            return ticket
        ticket.start(opening + MINUTE)
        if state == TicketState.SERVING:
            return ticket
        if state == TicketState.HELD:
            ticket.hold(opening + 2 * MINUTE)
            return ticket
        assert state == TicketState.DONE
        ticket.finish(Outcome.COMPLETED, [], opening + 2 * MINUTE)
        return ticket

    return bring


def states_except(*allowed: TicketState) -> list[TicketState]:
    """Every ticket state but the given ones: where an operation must be refused."""
    return [state for state in TicketState if state not in allowed]


# -- the main road: waiting → called → serving → done ----------------------------------------


def test_a_ticket_is_called_served_and_finished(make_ticket, window, opening):
    ticket = make_ticket(SOCIAL_SECURITY)
    assert ticket.state == TicketState.WAITING

    assert ticket.call(window, CLERK, opening) == [
        ev.TicketCalled(HALL, ticket.id, window.id, recall=False)
    ]
    assert ticket.state == TicketState.CALLED
    assert (ticket.window_id, ticket.clerk_id) == (window.id, CLERK)
    assert ticket.times_called == 1
    assert ticket.called_at == ticket.last_called_at == opening

    assert ticket.start(opening + MINUTE) == [ev.TicketStarted(HALL, ticket.id, window.id)]
    assert ticket.state == TicketState.SERVING
    assert ticket.started_at == opening + MINUTE

    finished = ticket.finish(Outcome.COMPLETED, [7, 9], opening + 8 * MINUTE)
    assert finished == [ev.TicketFinished(HALL, ticket.id, window.id, Outcome.COMPLETED)]
    assert ticket.state == TicketState.DONE
    assert ticket.outcome == Outcome.COMPLETED
    assert ticket.items == [7, 9]
    assert ticket.finished_at == opening + 8 * MINUTE
    assert ticket.started_at == opening + MINUTE, "finishing must not move the start of service"


@pytest.mark.parametrize(
    ("outcome", "chinese"),
    [
        (Outcome.COMPLETED, "办结"),
        (Outcome.NEEDS_CORRECTION, "需补正"),
        (Outcome.BACK_OFFICE, "转后台"),
    ],
)
def test_a_service_ends_with_each_outcome_and_the_items_done(ticket_in, opening, outcome, chinese):
    ticket = ticket_in(TicketState.SERVING)
    items = [3, 5, 8]

    events = ticket.finish(outcome, items, opening + 10 * MINUTE)

    assert ticket.state == TicketState.DONE
    assert ticket.outcome == outcome
    assert OUTCOME_NAMES[ticket.outcome][0] == chinese
    assert events[0].outcome == outcome
    items.append(13)  # the clerk's form changing afterwards does not rewrite the record
    assert ticket.items == [3, 5, 8]


def test_a_called_ticket_can_be_finished_straight_away(ticket_in, opening):
    """A quick question at the counter: no separate 'start', the service took no time."""
    ticket = ticket_in(TicketState.CALLED)

    ticket.finish(Outcome.COMPLETED, [], opening + 30 * SECOND)

    assert ticket.state == TicketState.DONE
    assert ticket.started_at == ticket.finished_at == opening + 30 * SECOND


@pytest.mark.parametrize("outcome", [Outcome.TRANSFERRED, Outcome.NO_SHOW])
def test_finish_refuses_outcomes_that_have_their_own_operation(
    ticket_in, opening, refused, outcome
):
    ticket = ticket_in(TicketState.SERVING)
    with refused(InvalidInput, "办结", "completed", unchanged=ticket):
        ticket.finish(outcome, [], opening + 5 * MINUTE)


@pytest.mark.parametrize("state", states_except(TicketState.CALLED, TicketState.SERVING))
def test_only_a_called_or_served_ticket_can_be_finished(ticket_in, opening, refused, state):
    ticket = ticket_in(state)
    with refused(Conflict, "办结", "finished", unchanged=ticket):
        ticket.finish(Outcome.COMPLETED, [], opening + 5 * MINUTE)


@pytest.mark.parametrize("state", states_except(TicketState.WAITING))
def test_only_a_waiting_ticket_can_be_called(ticket_in, window, opening, refused, state):
    ticket = ticket_in(state)
    with refused(
        Conflict, ticket.number, f"Ticket {ticket.number} is not waiting", unchanged=ticket
    ):
        ticket.call(window, CLERK, opening + 5 * MINUTE)


@pytest.mark.parametrize("state", states_except(TicketState.CALLED))
def test_only_a_called_ticket_can_start_being_served(ticket_in, opening, refused, state):
    ticket = ticket_in(state)
    with refused(Conflict, "开始办理", "start", unchanged=ticket):
        ticket.start(opening + 5 * MINUTE)


# -- recall (重呼) ----------------------------------------------------------------------------


def test_a_recall_calls_the_same_number_again_and_is_counted(ticket_in, window, opening):
    ticket = ticket_in(TicketState.CALLED)

    first = ticket.recall(opening + 30 * SECOND)
    second = ticket.recall(opening + 90 * SECOND)

    assert first == second == [ev.TicketCalled(HALL, ticket.id, window.id, recall=True)]
    assert ticket.times_called == 3
    assert ticket.called_at == opening, "the first call time stays for the wait statistics"
    assert ticket.last_called_at == opening + 90 * SECOND
    assert ticket.state == TicketState.CALLED


@pytest.mark.parametrize("state", states_except(TicketState.CALLED))
def test_only_a_called_ticket_can_be_recalled(ticket_in, opening, refused, state):
    ticket = ticket_in(state)
    with refused(Conflict, "重呼", "recalled", unchanged=ticket):
        ticket.recall(opening + 5 * MINUTE)


# -- no-show (过号) ---------------------------------------------------------------------------


def test_no_show_needs_enough_calls_however_long_the_wait(ticket_in, opening, refused):
    """Default rules: two calls, then 60 s after the last one."""
    ticket = ticket_in(TicketState.CALLED)
    rules = QueueRules()

    assert ticket.no_show_allowed_at(rules) is None
    with refused(Conflict, "至少呼叫 2 次", "at least 2 times", unchanged=ticket):
        ticket.mark_no_show(rules, opening + 30 * MINUTE)


def test_no_show_needs_the_wait_after_the_last_call(ticket_in, window, opening, refused):
    ticket = ticket_in(TicketState.CALLED)  # called at 09:00
    rules = QueueRules()
    last_call = opening + 5 * MINUTE
    ticket.recall(last_call)

    assert ticket.no_show_allowed_at(rules) == last_call + 60 * SECOND
    # 6 min 59 s after the first call, but only 59 s after the recall
    with refused(Conflict, "请 1 秒后", "in 1 s", unchanged=ticket):
        ticket.mark_no_show(rules, last_call + 59 * SECOND)
    with refused(Conflict, "请 30 秒后", "in 30 s", unchanged=ticket):
        ticket.mark_no_show(rules, last_call + 30 * SECOND)

    events = ticket.mark_no_show(rules, last_call + 60 * SECOND)

    assert events == [ev.TicketFinished(HALL, ticket.id, window.id, Outcome.NO_SHOW)]
    assert ticket.state == TicketState.NO_SHOW
    assert ticket.outcome == Outcome.NO_SHOW
    assert ticket.finished_at == last_call + 60 * SECOND


@pytest.mark.parametrize(
    ("settings", "calls", "too_soon", "allowed"),
    [
        # one call is enough and no wait at all: a small village station
        ({"min_calls_before_no_show": 1, "min_seconds_before_no_show": 0}, 1, None, 0),
        # three calls, then two minutes after the third
        ({"min_calls_before_no_show": 3, "min_seconds_before_no_show": 120}, 3, 119, 120),
        # only the wait changed: the default two calls, then five minutes
        ({"min_seconds_before_no_show": 300}, 2, 299, 300),
    ],
)
def test_no_show_thresholds_come_from_the_hall_rules(
    ticket_in, opening, refused, settings, calls, too_soon, allowed
):
    rules = QueueRules.from_dict(settings)
    ticket = ticket_in(TicketState.CALLED)
    last_call = opening
    for _ in range(calls - 1):
        with refused(Conflict, "至少呼叫", "Call at least", unchanged=ticket):
            ticket.mark_no_show(rules, last_call + 10 * MINUTE)
        last_call += MINUTE
        ticket.recall(last_call)
    if too_soon is not None:
        with refused(Conflict, "太短", "Too soon", unchanged=ticket):
            ticket.mark_no_show(rules, last_call + too_soon * SECOND)

    ticket.mark_no_show(rules, last_call + allowed * SECOND)

    assert ticket.state == TicketState.NO_SHOW


@pytest.mark.parametrize("state", states_except(TicketState.CALLED))
def test_only_a_called_ticket_can_be_a_no_show(ticket_in, opening, refused, state):
    ticket = ticket_in(state)
    with refused(Conflict, "过号", "no-show", unchanged=ticket):
        ticket.mark_no_show(QueueRules(), opening + 30 * MINUTE)
    assert ticket.no_show_allowed_at(QueueRules()) is None


# -- hold (暂离) and resume ------------------------------------------------------------------


@pytest.mark.parametrize("state", [TicketState.CALLED, TicketState.SERVING])
def test_a_held_ticket_resumes_at_the_same_window(ticket_in, window, opening, state):
    ticket = ticket_in(state)
    started_before = ticket.started_at

    assert ticket.hold(opening + 3 * MINUTE) == [ev.TicketHeld(HALL, ticket.id, window.id)]
    assert ticket.state == TicketState.HELD
    assert ticket.held_at == opening + 3 * MINUTE
    assert ticket.window_id == window.id, "a held ticket stays parked at its window"

    resumed = ticket.resume_held(window, opening + 9 * MINUTE)

    assert resumed == [ev.TicketStarted(HALL, ticket.id, window.id)]
    assert ticket.state == TicketState.SERVING
    assert ticket.held_at is None
    # service started when it first started; a ticket held straight after the call starts now
    assert ticket.started_at == (started_before or opening + 9 * MINUTE)


def test_a_held_ticket_cannot_resume_at_another_window(ticket_in, make_window, opening, refused):
    ticket = ticket_in(TicketState.HELD)
    next_window = make_window(WindowType.COMPREHENSIVE)
    with refused(Conflict, "原窗口", "window that held it", unchanged=ticket):
        ticket.resume_held(next_window, opening + 9 * MINUTE)


@pytest.mark.parametrize("state", states_except(TicketState.CALLED, TicketState.SERVING))
def test_only_a_called_or_served_ticket_can_be_held(ticket_in, opening, refused, state):
    ticket = ticket_in(state)
    with refused(Conflict, "暂离", "held", unchanged=ticket):
        ticket.hold(opening + 5 * MINUTE)


@pytest.mark.parametrize("state", states_except(TicketState.HELD))
def test_only_a_held_ticket_can_be_resumed(ticket_in, window, opening, refused, state):
    ticket = ticket_in(state)
    with refused(Conflict, "暂离", "not on hold", unchanged=ticket):
        ticket.resume_held(window, opening + 5 * MINUTE)


# -- return after a no-show ------------------------------------------------------------------


def test_a_returned_no_show_waits_again_with_a_clean_slate(ticket_in, opening):
    ticket = ticket_in(TicketState.NO_SHOW)

    events = ticket.return_after_no_show(12345.0, opening + 20 * MINUTE)

    assert events == [ev.TicketReturned(HALL, ticket.id, SOCIAL_SECURITY)]
    assert ticket.state == TicketState.WAITING
    assert ticket.sort_key == 12345.0
    assert ticket.times_called == 0, "the returned ticket gets its full calls again"
    assert (ticket.window_id, ticket.clerk_id) == (None, None)
    assert (ticket.outcome, ticket.finished_at) == (None, None)


@pytest.mark.parametrize("state", states_except(TicketState.NO_SHOW))
def test_only_a_no_show_can_return(ticket_in, opening, refused, state):
    ticket = ticket_in(state)
    with refused(Conflict, "未过号", "was not a no-show", unchanged=ticket):
        ticket.return_after_no_show(1.0, opening + 20 * MINUTE)


@pytest.mark.parametrize(
    ("places_from_front", "ahead"),
    [(0, 0), (1, 1), (2, 2), (4, 4), (5, 5), (6, 5), (100, 5)],
)
def test_a_returning_citizen_reenters_k_places_from_the_front(
    make_ticket, make_window, ticket_in, opening, places_from_front, ahead
):
    """Five people wait; K from the hall rules; K at or past the queue's end means last."""
    rules = QueueRules.from_dict({"return_places_from_front": places_from_front})
    missed = ticket_in(TicketState.NO_SHOW)  # A001, the earliest of all
    waiting = [make_ticket(SOCIAL_SECURITY) for _ in range(5)]  # A002..A006
    now = opening + 20 * MINUTE

    key = reentry_sort_key(
        [t.sort_key for t in waiting], rules.return_places_from_front, now.timestamp()
    )
    missed.return_after_no_show(key, now)
    queue = [*waiting, missed]

    assert people_ahead(missed, queue, rules, now) == ahead
    window = make_window(WindowType.FIXED, [SOCIAL_SECURITY])
    order = []
    while (ticket := choose_next(window, queue, rules, now)) is not None:
        ticket.call(window, window.active_clerk_id, now)
        order.append(ticket.number)
    others = ["A002", "A003", "A004", "A005", "A006"]
    assert order == [*others[:ahead], "A001", *others[ahead:]]


def test_a_citizen_returning_to_an_empty_queue_is_next(ticket_in, opening):
    missed = ticket_in(TicketState.NO_SHOW)
    now = opening + 20 * MINUTE

    missed.return_after_no_show(reentry_sort_key([], 2, now.timestamp()), now)

    assert people_ahead(missed, [missed], QueueRules(), now) == 0


def test_a_citizen_returning_behind_the_queue_stays_ahead_of_later_tickets(
    make_ticket, ticket_in, opening
):
    """Past the end of the queue is still before anyone who takes a ticket afterwards."""
    missed = ticket_in(TicketState.NO_SHOW)
    waiting = [make_ticket(SOCIAL_SECURITY) for _ in range(2)]
    now = opening + 20 * MINUTE

    key = reentry_sort_key([t.sort_key for t in waiting], 10, now.timestamp())
    missed.return_after_no_show(key, now)
    newcomer = make_ticket(SOCIAL_SECURITY, sort_key=(now + SECOND).timestamp())

    assert people_ahead(missed, [*waiting, missed, newcomer], QueueRules(), now) == 2
    assert people_ahead(newcomer, [*waiting, missed, newcomer], QueueRules(), now) == 3


# -- transfer (转移) --------------------------------------------------------------------------


@pytest.mark.parametrize("state", [TicketState.CALLED, TicketState.SERVING, TicketState.HELD])
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({"category_id": CIVIL_AFFAIRS}, (CIVIL_AFFAIRS, None, None)),
        ({"window_id": 5}, (SOCIAL_SECURITY, 5, None)),
        ({"clerk_id": OTHER_CLERK}, (SOCIAL_SECURITY, None, OTHER_CLERK)),
    ],
    ids=["category", "window", "clerk"],
)
def test_a_transfer_sends_the_ticket_back_to_wait_for_its_new_target(
    ticket_in, window, opening, state, target, expected
):
    ticket = ticket_in(state)
    issued_at, sort_key = ticket.issued_at, ticket.sort_key
    kwargs = {"category_id": None, "window_id": None, "clerk_id": None, **target}

    events = ticket.transfer(**kwargs, note="需到民政窗口核对", now=opening + 6 * MINUTE)

    assert events == [ev.TicketTransferred(HALL, ticket.id, window.id)]
    assert ticket.state == TicketState.WAITING
    assert (ticket.category_id, ticket.target_window_id, ticket.target_clerk_id) == expected
    assert (ticket.window_id, ticket.clerk_id) == (None, None)
    assert ticket.times_called == 0
    assert (ticket.started_at, ticket.held_at) == (None, None)
    assert ticket.note == "需到民政窗口核对"
    assert ticket.issued_at == issued_at, "a transfer keeps the original issue time"
    assert ticket.sort_key == sort_key, "a transfer keeps the ticket's place by issue time"


def test_a_transferred_ticket_keeps_its_place_in_the_new_queue(
    make_ticket, make_window, ticket_in, opening
):
    """Issued before B001 and B002, the A ticket moved to category B is called before them."""
    earlier_b = make_ticket(CIVIL_AFFAIRS)  # B001, issued before the A ticket
    moved = ticket_in(TicketState.SERVING)  # A001
    later_b = [make_ticket(CIVIL_AFFAIRS) for _ in range(2)]  # B002, B003
    now = opening + 6 * MINUTE

    moved.transfer(category_id=CIVIL_AFFAIRS, window_id=None, clerk_id=None, note="", now=now)

    civil_window = make_window(WindowType.FIXED, [CIVIL_AFFAIRS])
    queue = [*later_b, moved, earlier_b]
    order = []
    while (ticket := choose_next(civil_window, queue, QueueRules(), now)) is not None:
        ticket.call(civil_window, civil_window.active_clerk_id, now)
        order.append(ticket.number)
    assert order == ["B001", "A001", "B002", "B003"]


def test_a_transfer_needs_a_target(ticket_in, opening, refused):
    ticket = ticket_in(TicketState.SERVING)
    with refused(InvalidInput, "请选择", "Choose a category, window or clerk", unchanged=ticket):
        ticket.transfer(
            category_id=None, window_id=None, clerk_id=None, note="", now=opening + 6 * MINUTE
        )


@pytest.mark.parametrize(
    "state", states_except(TicketState.CALLED, TicketState.SERVING, TicketState.HELD)
)
def test_only_a_ticket_at_a_window_can_be_transferred(ticket_in, opening, refused, state):
    ticket = ticket_in(state)
    with refused(Conflict, "转移", "transferred", unchanged=ticket):
        ticket.transfer(
            category_id=CIVIL_AFFAIRS, window_id=None, clerk_id=None, note="", now=opening
        )


def test_a_long_transfer_note_is_cut_to_200_characters(ticket_in, opening):
    ticket = ticket_in(TicketState.SERVING)
    ticket.transfer(
        category_id=CIVIL_AFFAIRS, window_id=None, clerk_id=None, note="材" * 250, now=opening
    )
    assert ticket.note == "材" * 200


# -- cancel -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "window_in_event"),
    [(TicketState.WAITING, 0), (TicketState.CALLED, 1), (TicketState.NO_SHOW, 1)],
)
def test_a_ticket_not_yet_served_can_be_cancelled(ticket_in, opening, state, window_in_event):
    ticket = ticket_in(state)

    events = ticket.cancel(opening + 10 * MINUTE)

    assert events == [ev.TicketCancelled(HALL, ticket.id, window_in_event)]
    assert ticket.state == TicketState.CANCELLED
    assert ticket.finished_at == opening + 10 * MINUTE


@pytest.mark.parametrize(
    "state", [TicketState.SERVING, TicketState.HELD, TicketState.DONE, TicketState.CANCELLED]
)
def test_a_ticket_being_served_or_finished_cannot_be_cancelled(ticket_in, opening, refused, state):
    ticket = ticket_in(state)
    with refused(Conflict, "无法取消", "cannot be cancelled", unchanged=ticket):
        ticket.cancel(opening + 10 * MINUTE)


# -- the window -------------------------------------------------------------------------------


def test_a_clerk_opens_and_closes_a_window(make_window):
    window = make_window(WindowType.FIXED, [SOCIAL_SECURITY], status=WindowStatus.CLOSED)
    assert window.active_clerk_id is None

    assert window.open(CLERK) == [ev.WindowChanged(HALL, window.id)]
    assert (window.status, window.active_clerk_id) == (WindowStatus.OPEN, CLERK)
    window.require_open()

    window.priority_streak = 2
    assert window.close() == [ev.WindowChanged(HALL, window.id)]
    assert (window.status, window.active_clerk_id) == (WindowStatus.CLOSED, None)
    assert window.priority_streak == 0


def test_opening_again_by_the_same_clerk_is_harmless(window):
    window.open(CLERK)
    assert (window.status, window.active_clerk_id) == (WindowStatus.OPEN, CLERK)


def test_a_second_clerk_cannot_take_an_open_window_from_the_first(window, refused):
    with refused(Conflict, "另一位工作人员", "Another clerk", unchanged=window):
        window.open(B_POST_CLERK)


def test_a_clerk_may_open_an_open_window_that_nobody_staffs(make_window):
    window = make_window(WindowType.COMPREHENSIVE)
    window.active_clerk_id = None  # e.g. the clerk's session ended without closing
    window.open(B_POST_CLERK)
    assert window.active_clerk_id == B_POST_CLERK


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("午休", "午休"),
        ("  外出取件  ", "外出取件"),
        ("系" * 40, "系" * 40),
        ("x" * 40, "x" * 40),
    ],
)
def test_a_pause_shows_its_reason(window, reason, shown):
    assert window.pause(reason) == [ev.WindowChanged(HALL, window.id)]
    assert window.status == WindowStatus.PAUSED
    assert window.pause_reason == shown
    assert window.active_clerk_id == CLERK


@pytest.mark.parametrize("reason", ["", "   ", None, "系" * 41, "x" * 41])
def test_a_pause_needs_a_short_reason(window, refused, reason):
    with refused(InvalidInput, "暂停原因", "at most 40 characters", unchanged=window):
        window.pause(reason)


def test_a_closed_window_cannot_be_paused(make_window, refused):
    window = make_window(status=WindowStatus.CLOSED)
    with refused(Conflict, "未开放", "closed", unchanged=window):
        window.pause("午休")


def test_the_clerk_resumes_after_a_pause(window):
    window.pause("午休")

    assert window.resume(CLERK) == [ev.WindowChanged(HALL, window.id)]
    assert (window.status, window.pause_reason, window.active_clerk_id) == (
        WindowStatus.OPEN,
        "",
        CLERK,
    )


@pytest.mark.parametrize("take_over", ["resume", "open"])
def test_the_b_post_takes_over_a_paused_window(window, take_over):
    """AB岗: the A clerk pauses to step away; the B colleague carries on at the window."""
    window.pause("A岗外出开会")

    getattr(window, take_over)(B_POST_CLERK)

    assert (window.status, window.pause_reason, window.active_clerk_id) == (
        WindowStatus.OPEN,
        "",
        B_POST_CLERK,
    )
    window.require_open()


@pytest.mark.parametrize("status", [WindowStatus.OPEN, WindowStatus.CLOSED])
def test_only_a_paused_window_can_resume(make_window, refused, status):
    window = make_window(status=status)
    with refused(Conflict, "未处于暂停", "not paused", unchanged=window):
        window.resume(CLERK)


def test_a_paused_window_can_be_closed(window):
    window.pause("系统故障")
    window.close()
    assert (window.status, window.pause_reason, window.active_clerk_id) == (
        WindowStatus.CLOSED,
        "",
        None,
    )


@pytest.mark.parametrize("status", [WindowStatus.CLOSED, WindowStatus.PAUSED])
def test_calls_are_refused_at_a_closed_or_paused_window(make_window, refused, status):
    window = make_window(status=status)
    with refused(Conflict, "窗口未开放或已暂停", "open it first", unchanged=window):
        window.require_open()
