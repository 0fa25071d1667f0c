"""Report arithmetic: percentiles, waits, satisfaction, grouping, the hall tree and periods."""

from __future__ import annotations

from datetime import date

import pytest

from queue_server.domain import reports as rp
from queue_server.domain.errors import InvalidInput

DAY = date(2026, 11, 26)


def ticket(state: str = "done", wait: float | None = 300, **extra: object) -> rp.TicketFact:
    values: dict[str, object] = {
        "hall_id": 1,
        "category_id": 10,
        "item_id": None,
        "window_id": 1,
        "clerk_id": 7,
        "day": DAY,
        "hour": 9,
        "state": state,
        "wait_seconds": wait,
        "target_wait_seconds": 1200,
    }
    values.update(extra)
    return rp.TicketFact(**values)  # type: ignore[arg-type]


def rating(level: str, **extra: object) -> rp.RatingFact:
    values: dict[str, object] = {
        "hall_id": 1,
        "category_id": 10,
        "item_id": None,
        "window_id": 1,
        "clerk_id": 7,
        "day": DAY,
        "hour": 9,
        "level": level,
    }
    values.update(extra)
    return rp.RatingFact(**values)  # type: ignore[arg-type]


def test_the_90th_percentile_is_the_nearest_rank():
    assert rp.percentile([5, 15, 25, 5], 90) == 25  # ceil(3.6) = 4th of 5, 5, 15, 25
    assert rp.percentile(list(range(1, 11)), 90) == 9  # ceil(9.0) = 9th
    assert rp.percentile(list(range(1, 12)), 90) == 10  # ceil(9.9) = 10th
    assert rp.percentile([42], 90) == 42
    assert rp.percentile([], 90) is None
    with pytest.raises(InvalidInput):
        rp.percentile([1], 0)


def test_the_wait_runs_from_the_ticket_or_its_booked_time_to_the_first_call():
    assert rp.wait_seconds(1000, 1600) == 600
    assert rp.wait_seconds(1000, None) is None
    # An appointment taken early waits from its booked time, never below zero.
    assert rp.wait_seconds(1000, 1600, appointment_due_ts=1300) == 300
    assert rp.wait_seconds(1000, 1200, appointment_due_ts=1500) == 0


def test_figures_count_states_waits_targets_and_ratings():
    facts = rp.Facts(
        tickets=(
            ticket("done", 300),
            ticket("no_show", 900),
            ticket("done", 1500),  # over the 20-minute target
            ticket("cancelled", None),  # never called: no wait, not in the target share
        ),
        services=(
            rp.ServiceFact(1, 10, None, 1, 7, DAY, 9, 600),
            rp.ServiceFact(1, 10, None, 1, 7, DAY, 10, 360),
        ),
        ratings=(rating("very_satisfied"), rating("satisfied"), rating("dissatisfied")),
    )
    got = rp.figures(facts)
    assert (got.issued, got.served, got.no_show, got.cancelled, got.called) == (4, 2, 1, 1, 3)
    assert got.wait_avg_minutes == pytest.approx(15.0)
    assert got.wait_p90_minutes == pytest.approx(25.0)
    assert got.within_target_percent == pytest.approx(200 / 3)
    assert got.service_avg_minutes == pytest.approx(8.0)
    assert got.service_p90_minutes == pytest.approx(10.0)
    # 好差评: 100, 75, 25 → 66.7; 不满意 is a 差评.
    assert got.satisfaction == pytest.approx(200 / 3)
    assert got.bad_reviews == 1 and got.rated == 3
    assert got.as_dict()["satisfaction"] == 66.7
    assert got.as_dict()["bad_review_percent"] == 33.3


def test_every_level_has_its_score_and_the_two_lowest_are_bad():
    scores = {level: rating(level).score for level in rp.LEVEL_SCORES}
    assert scores == {
        "very_satisfied": 100,
        "satisfied": 75,
        "basic": 50,
        "dissatisfied": 25,
        "very_dissatisfied": 0,
    }
    assert {level for level in rp.LEVEL_SCORES if rating(level).bad} == {
        "dissatisfied",
        "very_dissatisfied",
    }


def test_an_empty_group_has_no_averages():
    empty = rp.figures(rp.Facts())
    assert empty.issued == 0
    assert empty.wait_avg_minutes is None and empty.satisfaction is None
    assert empty.within_target_percent is None
    assert empty.as_dict()["wait_p90_minutes"] is None


def test_grouping_by_window_keeps_uncalled_tickets_apart():
    facts = rp.Facts(
        tickets=(
            ticket(window_id=1),
            ticket(window_id=2),
            ticket("cancelled", None, window_id=None),
        )
    )
    groups = rp.group(facts, "window")
    assert set(groups) == {1, 2, None}
    assert groups[None].cancelled == 1 and groups[1].served == 1
    with pytest.raises(InvalidInput):
        rp.group(facts, "colour")


def test_halls_roll_up_village_to_town_to_county_to_city():
    parents = {1: None, 2: 1, 3: 2, 4: 3, 5: 2}  # city 1, county 2, towns 3 and 5, village 4
    assert rp.subtree(parents, 2) == {2, 3, 4, 5}
    assert rp.subtree(parents, 4) == {4}
    facts = rp.Facts(tickets=tuple(ticket(hall_id=h) for h in (3, 4, 4, 5)))
    rolled = rp.rollup(facts, parents, parents)
    assert {h: f.issued for h, f in rolled.items()} == {1: 4, 2: 4, 3: 3, 4: 2, 5: 1}
    assert rp.tree_order(parents, parents) == [(1, 0), (2, 1), (3, 2), (4, 3), (5, 2)]
    # A manager's tree starts at their own hall.
    assert rp.tree_order(parents, {3, 4}) == [(3, 0), (4, 1)]


def test_periods_are_a_day_an_iso_week_a_month_or_a_range():
    assert rp.period_of("day", DAY).days == [DAY]
    week = rp.period_of("week", DAY)
    assert (week.start, week.end) == (date(2026, 11, 23), date(2026, 11, 29))
    month = rp.period_of("month", date(2026, 12, 31))
    assert (month.start, month.end) == (date(2026, 12, 1), date(2026, 12, 31))
    assert rp.period_of("month", date(2027, 2, 10)).end == date(2027, 2, 28)
    custom = rp.period_of("range", DAY, date(2026, 11, 1), date(2026, 11, 3))
    assert len(custom.days) == 3 and custom.label == "2026-11-01 – 2026-11-03"
    with pytest.raises(InvalidInput, match="last day"):
        rp.period_of("range", DAY, date(2026, 11, 3), date(2026, 11, 1))
    with pytest.raises(InvalidInput):
        rp.period_of("range", DAY, date(2025, 1, 1), date(2026, 11, 1))
    with pytest.raises(InvalidInput):
        rp.period_of("year", DAY)
