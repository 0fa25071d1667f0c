"""Case figures: 按时办结率 and average working days across the 2026 National Day week
(国庆 10-01…10-07, 调休上班 Saturday 10-10), per department in parallel, rolled up village →
town → county; a case whose promised day falls in a year nobody knows is counted neither way."""

from datetime import date

import pytest

from queue_server.domain.calendar import OfficialCalendar, TableCalendar
from queue_server.domain.case_reports import (
    CaseFigures,
    case_fact,
    case_figures,
    group_cases,
    rollup_cases,
    working_days_taken,
)
from queue_server.domain.cases import Case, Source, case_number
from queue_server.domain.errors import InvalidInput
from queue_server.domain.reports import Period

official = OfficialCalendar()
OCTOBER = Period("month", date(2026, 10, 1), date(2026, 10, 31))


def decided(
    received: date,
    on: date,
    limit: int = 5,
    hall: int = 1,
    departments: tuple[str, ...] = ("社保所",),
    refuse: bool = False,
    **extra,
) -> Case:
    case = Case(
        hall_id=hall,
        number=case_number("XL", received, 1),
        item_id=7,
        received_on=received,
        time_limit_days=limit,
        **extra,
    )
    case.send_to_review(departments)
    if refuse:
        case.refuse(departments[0], 11, "不符合条件", on)
    else:
        for department in departments:
            case.approve(department, 11, on)
    return case


def test_working_days_skip_the_national_day_week_and_the_days_in_correction():
    # Received Wednesday 30 September, decided Friday 9 October: 8 and 9 October only.
    case = decided(date(2026, 9, 30), date(2026, 10, 9))
    assert working_days_taken(case, official) == 2
    # The same, but waiting for materials from Thursday 8 to Friday 9 October: 1 day stopped.
    paused = Case(
        hall_id=1,
        number="XL-20260930-0002",
        item_id=7,
        received_on=date(2026, 9, 30),
        time_limit_days=5,
    )
    paused.send_to_review(["社保所"])
    paused.return_for_correction("社保所", 11, ["户口簿"], "", date(2026, 10, 8))
    paused.resubmit(date(2026, 10, 9))
    paused.approve("社保所", 11, date(2026, 10, 9))
    assert working_days_taken(paused, official) == 1
    # The 调休 Saturday 10 October is a working day.
    assert working_days_taken(decided(date(2026, 10, 9), date(2026, 10, 12)), official) == 2


def test_the_on_time_rate_counts_decisions_in_the_period_against_their_promised_day():
    # 30 September + 5 working days = Tuesday 13 October (8, 9, 10 调休, 12, 13).
    facts = [
        case_fact(decided(date(2026, 9, 30), date(2026, 10, 9)), official, date(2026, 11, 2)),
        case_fact(decided(date(2026, 9, 30), date(2026, 10, 13)), official, date(2026, 11, 2)),
        case_fact(decided(date(2026, 9, 30), date(2026, 10, 16)), official, date(2026, 11, 2)),
        # Refused in time counts as decided on time too.
        case_fact(
            decided(date(2026, 10, 12), date(2026, 10, 13), refuse=True),
            official,
            date(2026, 11, 2),
        ),
        # Decided in November: not in October's figures, but received in October.
        case_fact(decided(date(2026, 10, 26), date(2026, 11, 2)), official, date(2026, 11, 2)),
    ]
    assert facts[1].deadline == date(2026, 10, 13) and facts[2].on_time is False
    figures = case_figures(facts, OCTOBER)
    assert (figures.received, figures.decided, figures.on_time, figures.late) == (2, 4, 3, 1)
    assert figures.as_dict()["on_time_percent"] == 75.0
    # 2 + 5 + 8 + 1 working days over four decisions.
    assert figures.as_dict()["avg_working_days"] == 4.0
    assert CaseFigures().as_dict()["on_time_percent"] is None  # nothing decided: no rate


def test_an_open_case_past_its_promised_day_is_overdue_as_of_the_day_asked():
    case = Case(
        hall_id=1,
        number="XL-20260930-0003",
        item_id=7,
        received_on=date(2026, 9, 30),
        time_limit_days=5,
    )
    case.send_to_review(["社保所"])
    assert case_fact(case, official, date(2026, 10, 13)).overdue is False  # the promised day
    late = case_fact(case, official, date(2026, 10, 14))
    assert late.overdue is True and late.on_time is None
    assert case_figures([late], OCTOBER).overdue == 1


def test_a_promised_day_in_a_year_nobody_knows_is_neither_on_time_nor_late():
    only_2026 = TableCalendar([2026], {})
    case = decided(date(2026, 12, 29), date(2026, 12, 30))  # due in 2027
    fact = case_fact(case, only_2026, date(2026, 12, 30))
    assert (fact.deadline, fact.on_time, fact.overdue) == (None, None, False)
    december = Period("month", date(2026, 12, 1), date(2026, 12, 31))
    figures = case_figures([fact], december)
    assert (figures.decided, figures.on_time, figures.late) == (1, 0, 0)
    assert figures.on_time_percent is None


def test_a_case_counts_for_each_department_that_signs_it():
    both = decided(date(2026, 10, 12), date(2026, 10, 13), departments=("市场监管所", "卫健办"))
    one = decided(date(2026, 10, 12), date(2026, 10, 26), departments=("卫健办",))  # late
    facts = [case_fact(c, official, date(2026, 11, 2)) for c in (both, one)]
    by = group_cases(facts, "department", OCTOBER)
    assert by["市场监管所"].on_time_percent == 100
    assert by["卫健办"].on_time_percent == 50
    assert group_cases(facts, "item", OCTOBER)[7].decided == 2
    with pytest.raises(InvalidInput):
        group_cases(facts, "weather", OCTOBER)


def test_figures_roll_up_from_the_village_station_to_the_town_and_the_county():
    county, town, village, other_town = 1, 2, 3, 4
    parents = {county: None, town: county, village: town, other_town: county}
    # A case taken in at the village station belongs to the town but counts for the station.
    proxied = decided(
        date(2026, 10, 12),
        date(2026, 10, 13),
        hall=town,
        source=Source.STATION,
        station_id=village,
    )
    at_town = decided(date(2026, 10, 12), date(2026, 10, 30), hall=town)  # late
    elsewhere = decided(date(2026, 10, 12), date(2026, 10, 13), hall=other_town)
    facts = [case_fact(c, official, date(2026, 11, 2)) for c in (proxied, at_town, elsewhere)]
    assert facts[0].hall_id == village
    rolled = rollup_cases(facts, parents, parents, OCTOBER)
    assert rolled[village].decided == 1 and rolled[village].on_time_percent == 100
    assert rolled[town].decided == 2 and rolled[town].on_time_percent == 50
    assert rolled[county].decided == 3 and rolled[county].on_time == 2
    assert group_cases(facts, "hall", OCTOBER)[town].decided == 1  # its own cases only
