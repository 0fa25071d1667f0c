"""办件: numbers, the materials checklist, the back office's sign-offs and the deadline's clock,
across the 2026 National Day week (国庆 10-01…10-07, 调休上班 Saturday 10-10) and a missing year."""

from datetime import date

import pytest

from queue_server.domain.calendar import CalendarYearMissing, OfficialCalendar, TableCalendar
from queue_server.domain.cases import (
    Case,
    CaseState,
    Delivery,
    Light,
    Material,
    MaterialsMissing,
    Source,
    case_number,
    check_materials,
    deadline,
    light,
    on_time,
)
from queue_server.domain.errors import Conflict, InvalidInput

official = OfficialCalendar()


def a_case(received: date, limit: int = 5, **extra) -> Case:
    return Case(
        hall_id=1,
        number=case_number("XL", received, 1),
        item_id=7,
        received_on=received,
        time_limit_days=limit,
        **extra,
    )


def in_review(received: date, limit: int = 5, departments=("社保所",), **extra) -> Case:
    case = a_case(received, limit, **extra)
    case.send_to_review(departments)
    return case


# -- numbers and materials ---------------------------------------------------------------------


def test_a_case_number_reads_hall_day_and_sequence():
    assert case_number("XL", date(2026, 12, 8), 7) == "XL-20261208-0007"


@pytest.mark.parametrize(("code", "sequence"), [("xl", 1), ("", 1), ("XL-1", 1), ("XL", 0)])
def test_a_case_number_refuses_what_cannot_be_read_aloud(code, sequence):
    with pytest.raises(InvalidInput):
        case_number(code, date(2026, 12, 8), sequence)


def test_a_missing_material_refuses_the_application_and_names_it():
    with pytest.raises(MaterialsMissing) as refused:
        check_materials(
            ["身份证", "户口簿", "申请表"],
            {"身份证": "provided", "户口簿": "missing", "申请表": "missing"},
        )
    assert refused.value.missing == ["户口簿", "申请表"]
    assert "户口簿、申请表" in refused.value.message
    assert refused.value.message_en[0].isupper()


def test_accepting_with_materials_to_follow_keeps_what_is_missing_on_the_checklist():
    checklist = check_materials(
        ["身份证", "户口簿", "委托书"],
        {"身份证": "provided", "户口簿": "missing", "委托书": "na"},
        accept_with_missing=True,
    )
    assert checklist == {
        "身份证": Material.PROVIDED,
        "户口簿": Material.MISSING,
        "委托书": Material.NOT_APPLICABLE,
    }


@pytest.mark.parametrize(
    "checklist",
    [
        {"身份证": "provided"},  # 户口簿 not checked
        {"身份证": "provided", "户口簿": "maybe"},
        {"身份证": "provided", "户口簿": "provided", "结婚证": "provided"},  # not the item's
    ],
)
def test_every_required_material_is_checked_and_nothing_else(checklist):
    with pytest.raises(InvalidInput):
        check_materials(["身份证", "户口簿"], checklist)


# -- the deadline ------------------------------------------------------------------------------


def test_the_promised_day_skips_national_day_and_counts_the_swapped_saturday():
    case = a_case(date(2026, 9, 30), limit=3)
    # 10-08 Thu (1), 10-09 Fri (2), 10-10 Sat worked in exchange for the holiday (3).
    assert deadline(case, official, date(2026, 9, 30)) == date(2026, 10, 10)


def test_the_clock_stops_while_the_applicant_brings_missing_materials():
    case = in_review(date(2026, 9, 28), limit=5)
    assert deadline(case, official, date(2026, 9, 28)) == date(2026, 10, 10)
    case.return_for_correction("社保所", 11, ["户口簿"], "缺户口簿", on=date(2026, 9, 29))
    # Waiting over the holiday: 9-30, 10-08 and 10-09 are working days the clock stands still.
    case.resubmit(on=date(2026, 10, 9))
    assert deadline(case, official, date(2026, 10, 12)) == date(2026, 10, 14)


def test_while_a_case_waits_for_materials_its_promised_day_moves_with_today():
    case = in_review(date(2026, 9, 28), limit=5)
    case.return_for_correction("社保所", 11, ["户口簿"], "", on=date(2026, 9, 29))
    assert case.state is CaseState.CORRECTION and case.missing == ["户口簿"]
    before = deadline(case, official, date(2026, 9, 29))
    later = deadline(case, official, date(2026, 10, 8))
    assert (before, later) == (date(2026, 10, 10), date(2026, 10, 13))
    assert light(case, official, date(2026, 10, 8)) is light(case, official, date(2026, 9, 29))


def test_an_extension_adds_working_days_with_its_reason():
    case = in_review(date(2026, 9, 28), limit=5)
    case.extend(2, "需现场核查", on=date(2026, 9, 30))
    assert deadline(case, official, date(2026, 9, 30)) == date(2026, 10, 13)
    assert case.extensions[0].reason == "需现场核查"


@pytest.mark.parametrize(("days", "reason"), [(0, "核查"), (61, "核查"), (2, "  ")])
def test_an_extension_needs_a_sensible_length_and_a_reason(days, reason):
    case = in_review(date(2026, 9, 28))
    with pytest.raises(InvalidInput):
        case.extend(days, reason, on=date(2026, 9, 30))
    assert case.extensions == []


def test_the_light_turns_yellow_on_the_last_working_day_before_a_holiday_week():
    case = in_review(date(2026, 9, 28), limit=3)  # due Thursday 10-08
    assert light(case, official, date(2026, 9, 28)) is Light.GREEN
    # Eight calendar days before, but only one working day is left: yellow.
    assert light(case, official, date(2026, 9, 30)) is Light.YELLOW
    assert light(case, official, date(2026, 10, 8)) is Light.YELLOW
    assert light(case, official, date(2026, 10, 9)) is Light.RED


def test_a_decided_case_keeps_the_colour_of_the_day_it_was_decided():
    late = in_review(date(2026, 9, 28), limit=3)
    late.approve("社保所", 11, on=date(2026, 10, 9))
    assert light(late, official, date(2026, 12, 1)) is Light.RED
    assert on_time(late, official) is False
    prompt = in_review(date(2026, 9, 28), limit=3)
    prompt.approve("社保所", 11, on=date(2026, 10, 8))
    assert light(prompt, official, date(2026, 12, 1)) is Light.GREEN
    assert on_time(prompt, official) is True
    assert on_time(in_review(date(2026, 9, 28)), official) is None


def test_a_deadline_in_a_year_nobody_knows_is_refused_not_guessed():
    only_2026 = TableCalendar([2026], {})
    case = a_case(date(2026, 12, 29), limit=5)  # runs into 2027
    with pytest.raises(CalendarYearMissing) as missing:
        deadline(case, only_2026, date(2026, 12, 29))
    assert missing.value.year == 2027


# -- the back office ---------------------------------------------------------------------------


def test_parallel_departments_each_sign_and_the_last_signature_approves():
    case = in_review(date(2026, 11, 2), departments=["自然资源所", "税务分局", "自然资源所"])
    assert [s.department for s in case.steps] == ["自然资源所", "税务分局"]
    assert [e.what for e in case.approve("税务分局", 21, on=date(2026, 11, 3))] == ["step_approved"]
    assert case.state is CaseState.IN_REVIEW
    assert [e.what for e in case.approve("自然资源所", 31, on=date(2026, 11, 4))] == ["approved"]
    assert (case.state, case.decided_on) == (CaseState.APPROVED, date(2026, 11, 4))


def test_one_departments_refusal_refuses_the_case_with_its_reason():
    case = in_review(date(2026, 11, 2), departments=["自然资源所", "税务分局"])
    case.approve("税务分局", 21, on=date(2026, 11, 3))
    with pytest.raises(InvalidInput):
        case.refuse("自然资源所", 31, " ", on=date(2026, 11, 4))
    case.refuse("自然资源所", 31, "宅基地超出规划范围", on=date(2026, 11, 4))
    assert case.state is CaseState.REFUSED and case.refusal_reason == "宅基地超出规划范围"
    with pytest.raises(Conflict):
        case.approve("自然资源所", 31, on=date(2026, 11, 5))


def test_two_approvers_of_one_department_cannot_both_take_a_case():
    case = in_review(date(2026, 11, 2))
    case.claim("社保所", 11)
    case.claim("社保所", 11)  # claiming again is harmless
    with pytest.raises(Conflict):
        case.claim("社保所", 12)
    with pytest.raises(Conflict):
        case.approve("社保所", 12, on=date(2026, 11, 3))
    assert case.state is CaseState.IN_REVIEW


def test_a_department_not_asked_cannot_sign():
    case = in_review(date(2026, 11, 2))
    with pytest.raises(Conflict):
        case.approve("税务分局", 21, on=date(2026, 11, 3))


def test_a_return_for_correction_lists_what_is_missing():
    case = in_review(date(2026, 11, 2))
    with pytest.raises(InvalidInput):
        case.return_for_correction("社保所", 11, [" "], "", on=date(2026, 11, 3))
    assert case.state is CaseState.IN_REVIEW and case.pauses == []


def test_materials_brought_after_correction_are_marked_provided():
    case = in_review(
        date(2026, 11, 2), materials={"身份证": Material.PROVIDED, "户口簿": Material.MISSING}
    )
    case.return_for_correction("社保所", 11, ["户口簿"], "", on=date(2026, 11, 3))
    case.resubmit(on=date(2026, 11, 5))
    assert case.materials["户口簿"] is Material.PROVIDED
    assert (case.state, case.missing) == (CaseState.IN_REVIEW, [])
    with pytest.raises(Conflict):
        case.resubmit(on=date(2026, 11, 6))


def test_an_on_the_spot_item_is_approved_when_received_and_others_are_not():
    quick = a_case(date(2026, 11, 2), limit=0)
    quick.approve_on_the_spot(on=date(2026, 11, 2))
    assert quick.state is CaseState.APPROVED
    with pytest.raises(Conflict):
        a_case(date(2026, 11, 2), limit=5).approve_on_the_spot(on=date(2026, 11, 2))


def test_a_case_needs_a_department_to_go_to_review():
    case = a_case(date(2026, 11, 2))
    with pytest.raises(InvalidInput):
        case.send_to_review(["", " "])
    assert case.state is CaseState.RECEIVED


def test_a_decided_case_cannot_be_extended():
    case = in_review(date(2026, 11, 2))
    case.approve("社保所", 11, on=date(2026, 11, 3))
    with pytest.raises(Conflict) as refused:
        case.extend(2, "核查", on=date(2026, 11, 4))
    assert "已办结" in refused.value.message


# -- 统一出件 ----------------------------------------------------------------------------------


def test_nothing_is_handed_out_before_the_decision():
    case = in_review(date(2026, 11, 2))
    with pytest.raises(Conflict):
        case.deliver("window")


def test_delivery_by_post_needs_a_tracking_number():
    case = in_review(date(2026, 11, 2))
    case.approve("社保所", 11, on=date(2026, 11, 3))
    with pytest.raises(InvalidInput):
        case.deliver("post", " ")
    with pytest.raises(InvalidInput):
        case.deliver("courier")
    case.deliver(Delivery.POST, "SF1234567890")
    assert (case.state, case.tracking) == (CaseState.DELIVERED, "SF1234567890")


def test_only_a_village_stations_case_is_handed_out_at_the_station():
    walk_in = in_review(date(2026, 11, 2))
    walk_in.approve("社保所", 11, on=date(2026, 11, 3))
    with pytest.raises(Conflict):
        walk_in.deliver("station")
    proxied = in_review(date(2026, 11, 2), source=Source.STATION)
    proxied.approve("社保所", 11, on=date(2026, 11, 3))
    proxied.deliver("station")
    assert proxied.delivered_how is Delivery.STATION


def test_a_refusal_is_handed_out_too():
    case = in_review(date(2026, 11, 2))
    case.refuse("社保所", 11, "不符合条件", on=date(2026, 11, 3))
    case.deliver("window")
    assert case.state is CaseState.DELIVERED


def test_a_hall_without_a_chosen_code_gets_h_and_its_id_in_letters():
    from queue_server.domain.cases import default_hall_code

    assert default_hall_code(1) == "HB"
    assert default_hall_code(26) == "HBA"
    codes = {default_hall_code(n) for n in range(2000)}
    assert len(codes) == 2000
    # Every code makes a valid case number.
    assert case_number(default_hall_code(1999), date(2026, 12, 8), 1).startswith("H")


def test_a_village_stations_decided_case_is_sent_back_there_once():
    proxied = in_review(date(2026, 11, 2), source=Source.STATION, station_id=9)
    with pytest.raises(Conflict):
        proxied.send_to_station(date(2026, 11, 2))  # nothing decided yet
    proxied.approve("社保所", 11, on=date(2026, 11, 3))
    assert [e.what for e in proxied.send_to_station(date(2026, 11, 4))] == ["sent_to_station"]
    assert proxied.sent_to_station_on == date(2026, 11, 4)
    with pytest.raises(Conflict):
        proxied.send_to_station(date(2026, 11, 5))
    walk_in = in_review(date(2026, 11, 2))
    walk_in.approve("社保所", 11, on=date(2026, 11, 3))
    with pytest.raises(Conflict):
        walk_in.send_to_station(date(2026, 11, 4))
