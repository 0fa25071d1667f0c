"""Booking at the service layer: slots and places, every limit, cancel and move by code,
check-in at the kiosk and the call around the slot, agents and home visits.

The helpers at the top (ID numbers, demo actors, `Booker`) are shared by the other booking
test modules. The clock stands at Thursday 2026-11-26 09:30 in Shanghai unless moved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from queue_server.domain.booking import walk_in_refusal
from queue_server.domain.identity import id_check_character
from queue_server.domain.model import Clerk, Role, ServiceItem
from queue_server.services.booking import citizen as booking_citizen
from queue_server.services.booking import housekeeping as booking_housekeeping
from queue_server.services.booking.availability import bookable_days, free_slots
from queue_server.services.booking.checkin import check_in
from queue_server.services.booking.citizen import cancel_booking, find_booking, move_booking
from queue_server.services.booking.housekeeping import mark_missed
from queue_server.services.booking.settings import rules_view, set_policy, set_rule
from queue_server.services.booking.staff import (
    assign_home_visit,
    close_home_visit,
    hall_bookings,
    my_bookings,
    window_bookings,
)
from queue_server.services.context import ANONYMOUS, Actor, Deps
from queue_server.services.hours import hall_schedule, official_calendar
from queue_server.services.lookups import load_rules
from queue_server.services.notify import FakeNotifier
from queue_server.store import booking_tables as bt
from queue_server.store import tables

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOW_INCOME = "370800-MZ-001"  # 最低生活保障申请, category A, 20 working days
DISABILITY = "370800-MZ-002"  # 残疾人两项补贴申请, category A
PENSION = "370800-SB-001"  # 城乡居民基本养老保险参保登记, category B


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment in Shanghai."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def id_number(person: int) -> str:
    """A valid 18-digit ID number (check digit right), different for each person number."""
    birth = f"19{50 + person // 1000:02d}0101"
    base = f"370881{birth}{person % 1000:03d}"
    return base + id_check_character(base)


def item_id(deps: Deps, code: str) -> int:
    """The demo hall's service item with this catalogue code."""
    with deps.db.reading() as s:
        return int(
            s.scalar(select(tables.service_items.c.id).where(tables.service_items.c.code == code))
        )


def staff(deps: Deps, staff_no: str) -> Actor:
    """The actor of a demo member of staff."""
    with deps.db.reading() as s:
        clerk = s.scalars(select(Clerk).where(tables.clerks.c.staff_no == staff_no)).one()
        return Actor("clerk", clerk.id, clerk.hall_id, clerk.role, clerk.name)


def manager(deps: Deps, demo: dict[str, Any]) -> Actor:
    """The demo hall's manager."""
    actor = staff(deps, demo["manager"]["staff_no"])
    assert actor.role == Role.MANAGER
    return actor


def kiosk(demo: dict[str, Any]) -> Actor:
    """The demo hall's kiosk device."""
    return Actor("device", demo["kiosk_id"], demo["hall"], device_kind="kiosk")


def booking_count(deps: Deps) -> int:
    """Rows in the bookings table."""
    with deps.db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(bt.bookings)) or 0)


class Booker:
    """Books at the demo hall as a citizen (or another actor), with a fake notifier."""

    def __init__(self, deps: Deps, demo: dict[str, Any]) -> None:
        self.deps = deps
        self.demo = demo
        self.hall = demo["hall"]
        self.notifier = FakeNotifier()

    def item(self, code: str = LOW_INCOME) -> int:
        return item_id(self.deps, code)

    def book(
        self,
        start: datetime,
        person: int = 1,
        item: str = LOW_INCOME,
        actor: Actor = ANONYMOUS,
        **extra: Any,
    ) -> dict[str, Any]:
        data = {
            "item": self.item(item),
            "start": start.isoformat(),
            "name": "张三丰",
            "phone": "13812345678",
            "id_number": id_number(person),
            **extra,
        }
        return booking_citizen.book(self.deps, actor, self.hall, data, self.notifier)

    def rule(self, scope: str = "category", item: int | None = None, **rule: Any) -> None:
        """Set a booking rule as the manager (category A by default)."""
        data: dict[str, Any] = {"scope": scope, "rule": rule}
        if scope == "category":
            data["category"] = "A"
        if item is not None:
            data["item"] = item
        set_rule(self.deps, manager(self.deps, self.demo), self.hall, data)

    def service_item(self, code: str) -> ServiceItem:
        with self.deps.db.reading() as s:
            found = s.scalars(select(ServiceItem).where(tables.service_items.c.code == code)).one()
            s.expunge(found)
            return found


# =============================================================================================
# Tests

import re  # noqa: E402

import pytest  # noqa: E402

from queue_server.domain.booking import CODE_ALPHABET  # noqa: E402
from queue_server.domain.errors import (  # noqa: E402
    CapacityReached,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    QueueError,
    Unauthorized,
)
from queue_server.domain.model import Category  # noqa: E402
from queue_server.services import issuing  # noqa: E402
from queue_server.services import queue as q  # noqa: E402

FRI_9 = at(2026, 11, 27, 9, 0)
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def booker(deps, demo) -> Booker:
    return Booker(deps, demo)


def bilingual(error: QueueError) -> None:
    assert CJK.search(error.message), error.message
    assert re.search(r"[A-Za-z]{3}", error.message_en) and not CJK.search(error.message_en)


# -- booking ---------------------------------------------------------------------------------


def test_booking_a_free_slot_gives_a_code_masked_details_and_a_confirmation(booker, deps):
    view = booker.book(FRI_9)
    code = view["code"].replace("-", "")
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", view["code"])
    assert set(code) <= set(CODE_ALPHABET)
    assert view["state"] == "booked" and view["kind"] == "appointment"
    assert view["when"] == "11月27日（周五）09:00–09:30"
    assert view["citizen"] == {
        "name": "张**",
        "phone": "138****5678",
        "id_number": id_number(1)[:4] + "*" * 10 + id_number(1)[-4:],
    }
    assert view["item"]["materials"] == [
        "居民身份证",
        "户口簿",
        "家庭收入情况声明",
        "家庭财产状况证明",
    ]
    assert view["check_in_text"] == "请于 08:30–09:15 到大厅自助机“预约签到”"
    # 20 working days from Friday 27 November 2026.
    assert view["deadline"]["due"] == "2026-12-25"
    [sent] = booker.notifier.sent
    assert sent.kind == "confirmation" and view["code"] in sent.text
    assert "最低生活保障申请" in sent.text and "11月27日（周五）09:00–09:30" in sent.text
    # The ID number itself is stored nowhere.
    with deps.db.reading() as s:
        row = s.execute(select(bt.bookings)).one()
    assert id_number(1) not in repr(tuple(row))
    assert row.id_masked == view["citizen"]["id_number"] and len(row.id_digest) == 64


def test_places_are_never_oversold_and_a_full_slot_says_so(booker, deps):
    booker.rule(places_per_slot=2)
    booker.book(FRI_9, person=1)
    booker.book(FRI_9, person=2, item=DISABILITY)  # items of category A share its places
    before = booking_count(deps)
    with pytest.raises(CapacityReached) as caught:
        booker.book(FRI_9, person=3)
    assert caught.value.code == "full" and "约满" in caught.value.message
    bilingual(caught.value)
    assert booking_count(deps) == before
    slots = free_slots(deps, booker.hall, booker.item(), "2026-11-27")["slots"]
    nine = next(s for s in slots if s["label"] == "09:00–09:30")
    assert (nine["capacity"], nine["taken"], nine["free"]) == (2, 2, 0)
    # Another category has its own places.
    booker.book(FRI_9, person=3, item=PENSION)


def test_an_item_with_its_own_rule_has_its_own_places(booker, deps):
    booker.rule(places_per_slot=1)
    booker.rule(scope="item", item=booker.item(DISABILITY), places_per_slot=1, slot_minutes=60)
    booker.book(FRI_9, person=1)
    booker.book(FRI_9, person=2, item=DISABILITY)
    with pytest.raises(CapacityReached):
        booker.book(FRI_9, person=3)
    with pytest.raises(InvalidInput, match="60-minute slot"):
        booker.book(at(2026, 11, 27, 9, 30), person=4, item=DISABILITY)
    rules = rules_view(deps, booker.hall)
    assert rules["items"][0]["rule"]["slot_minutes"] == 60
    assert (
        next(c for c in rules["categories"] if c["prefix"] == "A")["rule"]["places_per_slot"] == 1
    )


def test_the_days_show_5_plus_x_saturday_a_closed_sunday_and_what_is_left_today(booker, deps):
    days = {d["date"]: d for d in bookable_days(deps, booker.hall, booker.item())["days"]}
    assert len(days) == 8  # today and 7 days ahead
    thursday = days["2026-11-26"]
    # From 09:30: 5 morning, 7 afternoon and 4 evening (延时服务) slots of 3 places.
    assert thursday["today"] and thursday["free"] == 16 * 3
    saturday = days["2026-11-28"]
    assert saturday["open"] and saturday["free"] == 6 * 3  # 5+X: 09:00–12:00
    sunday = days["2026-11-29"]
    assert (sunday["open"], sunday["bookable"], sunday["reason_text"]) == (False, False, "休息")
    assert days["2026-11-27"]["free"] == 13 * 3  # Friday: no evening
    # A citizen reads the Saturday session by its day and time, not as "5+X".
    slots = free_slots(deps, booker.hall, booker.item(), "2026-11-28")["slots"]
    assert {(s["session_name"], s["session_name_en"]) for s in slots} == {
        ("周六上午服务", "Saturday morning service")
    }
    booker.rule(appointment_only_kinds=["extra_day"])
    slots = free_slots(deps, booker.hall, booker.item(), "2026-11-28")["slots"]
    assert {s["session_name"] for s in slots} == {"周六上午预约服务"}


def test_extended_evening_slots_are_marked_appointment_only(booker, deps):
    slots = free_slots(deps, booker.hall, booker.item(), "2026-11-26")["slots"]
    evening = [s for s in slots if s["session_kind"] == "extended"]
    assert [s["label"] for s in evening] == [
        "17:00–17:30",
        "17:30–18:00",
        "18:00–18:30",
        "18:30–19:00",
    ]
    assert all(s["appointment_only"] and s["session_name"] == "延时服务" for s in evening)
    assert not any(s["appointment_only"] for s in slots if s["session_kind"] == "regular")


def test_national_day_2026_is_closed_and_its_swapped_saturday_keeps_weekday_hours(
    booker, deps, clock
):
    clock.current = at(2026, 9, 28, 10, 0)  # Monday
    booker.rule(days_ahead=14)
    days = {d["date"]: d for d in bookable_days(deps, booker.hall, booker.item())["days"]}
    for day in range(1, 8):
        assert days[f"2026-10-{day:02d}"]["reason"] == "closed", day
    assert days["2026-09-30"]["free"] == 13 * 3
    # Saturday 10 October is worked for the holiday: full weekday hours, not 5+X mornings.
    assert days["2026-10-10"]["free"] == 13 * 3
    assert days["2026-10-11"]["reason"] == "closed"  # the Sunday after: an ordinary rest day
    slots = free_slots(deps, booker.hall, booker.item(), "2026-10-10")
    assert "调休上班" in slots["text"]


def test_a_year_without_its_notice_is_booked_provisionally_and_moved_when_it_arrives(
    booker, deps, demo, clock
):
    from queue_server.services import admin

    clock.current = at(2026, 12, 29, 10, 0)
    days = {d["date"]: d for d in bookable_days(deps, booker.hall, booker.item())["days"]}
    assert days["2027-01-01"]["reason"] == "closed" and days["2027-01-01"]["provisional"]
    assert days["2027-01-04"]["bookable"] and days["2027-01-04"]["provisional"]
    assert days["2026-12-31"]["provisional"] is False
    slots = free_slots(deps, booker.hall, booker.item(), "2027-01-04")
    assert slots["provisional"] is True and slots["slots"]
    booked = booker.book(at(2027, 1, 4, 9, 0))
    assert booked["state"] == "booked" and booked["provisional"] is True
    assert booked["deadline"]["provisional"] is True
    kept = booker.book(at(2027, 1, 5, 9, 0), person=2)
    assert booker.notifier.kinds() == ["confirmation", "confirmation"]

    # The official schedule arrives and makes Monday 4 January a holiday (a test-only table).
    boss = staff(deps, demo["admin"]["staff_no"])
    year = admin.save_year(
        deps,
        boss,
        2027,
        {
            "holidays": [{"day": "2027-01-01", "until": "2027-01-04", "name": "元旦"}],
            "swapped_workdays": [],
        },  # fmt: skip
        booker.notifier,
    )
    listed = year["bookings_on_holidays"]
    assert [(b["id"], b["day"], b["holiday"]) for b in listed] == [
        (booked["id"], "2027-01-04", "元旦")
    ]
    assert listed[0]["notified_at"] is not None and listed[0]["citizen"]["phone"] != "13812345678"
    assert booker.notifier.kinds() == ["confirmation", "confirmation", "holiday"]
    told = booker.notifier.sent[-1]
    assert told.booking_id == booked["id"] and "改约" in told.text and "元旦" in told.text
    assert booked["code"] in told.text
    assert find_booking(deps, kept["code"])["provisional"] is False
    # Told once, however often the housekeeping looks again.
    assert booking_housekeeping.housekeeping(deps, booker.notifier)["holiday_moves"] == 0
    assert booker.notifier.kinds().count("holiday") == 1


# -- limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "zh", "en"),
    [
        (at(2026, 11, 26, 9, 0), "过去", "past"),
        (at(2026, 11, 26, 12, 30), "不在办公时间", "outside the hall's opening hours"),
        (at(2026, 11, 29, 9, 0), "不在办公时间", "outside the hall's opening hours"),
        (at(2026, 12, 4, 9, 0), "最多可提前 7 天预约", "at most 7 days ahead"),
        (at(2026, 11, 27, 9, 10), "每段 30 分钟", "30-minute slot"),
    ],
)
def test_booking_the_past_outside_hours_beyond_the_horizon_or_off_a_slot_is_refused(
    booker, deps, start, zh, en
):
    with pytest.raises(InvalidInput) as caught:
        booker.book(start)
    assert zh in caught.value.message and en in caught.value.message_en
    bilingual(caught.value)
    assert booking_count(deps) == 0 and booker.notifier.sent == []


@pytest.mark.parametrize(
    ("field", "value", "zh"),
    [
        ("id_number", id_number(1)[:-1] + ("0" if id_number(1)[-1] != "0" else "1"), "校验位"),
        ("id_number", "37088119800101001", "18 位"),
        ("phone", "12345", "手机号码"),
        ("name", "", "姓名"),
        ("name", "张三<script>", "姓名"),
    ],
)
def test_bad_citizen_details_are_refused_and_change_nothing(booker, deps, field, value, zh):
    with pytest.raises(InvalidInput) as caught:
        booker.book(FRI_9, **{field: value})
    assert zh in caught.value.message
    bilingual(caught.value)
    assert value not in caught.value.message or not value  # never repeats personal data
    assert booking_count(deps) == 0


def test_one_active_booking_per_id_number_service_and_day(booker, deps):
    first = booker.book(FRI_9)
    with pytest.raises(Conflict, match="one per person"):
        booker.book(at(2026, 11, 27, 14, 0))
    booker.book(at(2026, 11, 27, 14, 0), item=PENSION)  # another service: fine
    booker.book(at(2026, 11, 30, 9, 0))  # another day: fine
    booker.book(at(2026, 11, 27, 14, 0), person=2)  # another person: fine
    cancel_booking(deps, ANONYMOUS, first["code"], booker.notifier)
    booker.book(at(2026, 11, 27, 14, 0))  # after cancelling: fine again


def test_repeated_no_shows_pause_booking_for_a_while(booker, deps, clock):
    for start in (FRI_9, at(2026, 11, 30, 9, 0), at(2026, 12, 1, 9, 0)):
        booker.book(start, person=5)
    clock.current = at(2026, 12, 2, 10, 0)  # three days passed without a check-in
    with pytest.raises(Forbidden) as caught:
        booker.book(at(2026, 12, 3, 9, 0), person=5)
    assert "12月16日起可再次预约" in caught.value.message
    assert "from 2026-12-16" in caught.value.message_en
    booker.book(at(2026, 12, 3, 9, 0), person=6)  # others are not affected
    # The sweep marks them as no-shows; the hall may allow more.
    assert mark_missed(deps) == 3
    set_policy(deps, manager(deps, booker.demo), booker.hall, {"max_no_shows": 4})
    assert booker.book(at(2026, 12, 3, 9, 0), person=5)["state"] == "booked"


def test_only_staff_book_on_a_citizens_behalf_and_a_kiosk_does_not_book(booker, deps, demo):
    with pytest.raises(Forbidden, match="agent"):
        booker.book(FRI_9, proxy_reason="elderly")
    with pytest.raises(Forbidden, match="kiosk cannot book"):
        booker.book(FRI_9, actor=kiosk(demo))
    assert booking_count(deps) == 0


# -- cancel and move by code -------------------------------------------------------------------


def test_cancelling_frees_the_place_and_moving_keeps_the_code(booker, deps, clock):
    booker.rule(places_per_slot=1)
    mine = booker.book(FRI_9, person=1)
    with pytest.raises(CapacityReached):
        booker.book(FRI_9, person=2)
    ten = at(2026, 11, 27, 10, 0)
    moved = move_booking(deps, ANONYMOUS, mine["code"].lower(), ten.isoformat(), booker.notifier)
    assert moved["code"] == mine["code"] and moved["when"] == "11月27日（周五）10:00–10:30"
    assert moved["moves"] == 1
    booker.book(FRI_9, person=2)  # the old place is free
    with pytest.raises(CapacityReached):
        move_booking(deps, ANONYMOUS, mine["code"], FRI_9.isoformat(), booker.notifier)
    cancelled = cancel_booking(deps, ANONYMOUS, mine["code"], booker.notifier)
    assert cancelled["state"] == "cancelled" and cancelled["state_name"] == "已取消"
    booker.book(ten, person=3)  # 10:00 is free again
    assert booker.notifier.kinds() == [
        "confirmation",
        "moved",
        "confirmation",
        "cancellation",
        "confirmation",
    ]
    with pytest.raises(Conflict, match="cancelled"):
        cancel_booking(deps, ANONYMOUS, mine["code"], booker.notifier)
    afternoon = booker.book(at(2026, 11, 27, 14, 0), person=4)
    clock.current = at(2026, 11, 27, 14, 0)
    with pytest.raises(Conflict, match="time has come"):
        cancel_booking(deps, ANONYMOUS, afternoon["code"], booker.notifier)


def test_an_unknown_or_malformed_code_is_refused(booker, deps):
    with pytest.raises(NotFound) as caught:
        find_booking(deps, "ABCD-EFGH")
    assert caught.value.message == "找不到该预约，请核对预约码"
    with pytest.raises(InvalidInput, match="never 0, 1, I or O"):
        find_booking(deps, "ABCD-EFG0")


# -- check-in and the call ---------------------------------------------------------------------


def walk_in(deps, demo, category="A"):
    """A walk-in ticket taken for a citizen by the clerk of window 1 (no hours check)."""
    return issuing.issue_ticket(
        deps, staff(deps, demo["clerks"][0]["staff_no"]), demo["hall"], category
    )


def test_an_on_time_check_in_gets_an_appointment_ticket_called_around_its_slot(
    booker, deps, demo, clock
):
    mine = booker.book(FRI_9)
    clock.current = at(2026, 11, 27, 8, 40)
    early_bird = walk_in(deps, demo)
    clock.current = at(2026, 11, 27, 8, 45)
    result = check_in(deps, kiosk(demo), demo["hall"], mine["code"])
    assert result["appointment"] is True and result["late"] is False
    assert result["number"] == "A002" and result["token"]
    assert "优先呼叫" in result["message"] and "called first" in result["message_en"]
    assert result["booking"]["state"] == "checked_in"
    assert result["booking"]["ticket"] == {"number": "A002", "state": "waiting"}
    assert result["booking"]["citizen"]["name"] == "张**"
    # From 10 minutes before its slot the appointment goes ahead of earlier walk-ins.
    clock.current = at(2026, 11, 27, 8, 55)
    clerk = staff(deps, demo["clerks"][0]["staff_no"])
    window = demo["clerks"][0]["window"]
    q.open_window(deps, clerk, window)
    called = q.call_next(deps, clerk, window)
    assert called["ticket"]["number"] == "A002"
    assert early_bird["number"] == "A001"
    assert find_booking(deps, mine["code"])["ticket"]["state"] == "called"


def test_a_late_arrival_gets_an_ordinary_ticket_and_is_told_so(booker, deps, demo, clock):
    mine = booker.book(FRI_9)
    clock.current = at(2026, 11, 27, 9, 10)
    walk_in(deps, demo)
    clock.current = at(2026, 11, 27, 9, 20)
    result = check_in(deps, kiosk(demo), demo["hall"], mine["code"])
    assert result["late"] is True and result["appointment"] is False
    assert "普通号" in result["message"] and "ordinary ticket" in result["message_en"]
    assert result["position"] == 1  # behind the walk-in who came before
    assert result["booking"]["late"] is True


@pytest.mark.parametrize(
    ("now", "zh"),
    [
        (at(2026, 11, 27, 8, 0), "请于 08:30 以后签到"),
        (at(2026, 11, 26, 10, 0), "请在当天签到"),
        (at(2026, 11, 28, 9, 0), "已过期"),
    ],
)
def test_check_in_at_the_wrong_time_is_refused_and_leaves_the_booking(
    booker, deps, demo, clock, now, zh
):
    mine = booker.book(FRI_9)
    clock.current = now
    with pytest.raises(Conflict) as caught:
        check_in(deps, kiosk(demo), demo["hall"], mine["code"])
    assert zh in caught.value.message
    assert find_booking(deps, mine["code"])["state"] == "booked"


def test_check_in_twice_cancelled_elsewhere_or_unauthorised_is_refused(booker, deps, demo, clock):
    mine = booker.book(FRI_9)
    gone = booker.book(FRI_9, person=2)
    cancel_booking(deps, ANONYMOUS, gone["code"])
    clock.current = at(2026, 11, 27, 8, 50)
    with pytest.raises(Unauthorized):
        check_in(deps, ANONYMOUS, demo["hall"], mine["code"])
    with pytest.raises(NotFound):
        check_in(deps, kiosk(demo), demo["village"], mine["code"])  # another hall's code
    with pytest.raises(Conflict, match="cancelled"):
        check_in(deps, kiosk(demo), demo["hall"], gone["code"])
    clerk = staff(deps, demo["clerks"][3]["staff_no"])
    assert check_in(deps, clerk, demo["hall"], mine["code"])["number"] == "A001"  # staff may
    with pytest.raises(Conflict, match="already checked in"):
        check_in(deps, kiosk(demo), demo["hall"], mine["code"])


def test_a_ticket_that_cannot_be_issued_leaves_the_booking_to_check_in_again(
    booker, deps, demo, clock
):
    mine = booker.book(FRI_9)
    with deps.db.transaction() as s:
        s.scalars(select(Category).where(tables.categories.c.prefix == "A")).first().active = False
    clock.current = at(2026, 11, 27, 8, 50)
    with pytest.raises(NotFound):
        check_in(deps, kiosk(demo), demo["hall"], mine["code"])
    assert find_booking(deps, mine["code"])["state"] == "booked"


def test_the_evening_is_for_booked_citizens_only_and_the_kiosk_says_why(booker, deps, demo, clock):
    on_time = booker.book(at(2026, 11, 26, 17, 30), person=1)
    late = booker.book(at(2026, 11, 26, 17, 0), person=2)
    clock.current = at(2026, 11, 26, 17, 20)
    with pytest.raises(Conflict) as caught:
        issuing.issue_ticket(deps, kiosk(demo), demo["hall"], "A")
    assert "仅接待已预约的群众" in caught.value.message
    assert "appointments only" in caught.value.message_en
    ticket = check_in(deps, kiosk(demo), demo["hall"], on_time["code"])
    assert ticket["appointment"] is True and not ticket["late"]
    # Late for 17:00, but booked: still served in the evening, after those on time.
    lagging = check_in(deps, kiosk(demo), demo["hall"], late["code"])
    assert lagging["late"] is True
    assert lagging["position"] == 1


def test_a_category_rule_can_keep_5_plus_x_saturdays_for_booked_citizens(booker, deps, demo, clock):
    booker.rule(appointment_only_kinds=["extra_day"])
    clock.current = at(2026, 11, 28, 10, 0)  # Saturday morning, 5+X
    with deps.db.reading() as s:
        hall = s.get(__import__("queue_server.domain.model", fromlist=["Hall"]).Hall, demo["hall"])
        category_a = s.scalars(select(Category).where(tables.categories.c.prefix == "A")).first()
        category_b = s.scalars(select(Category).where(tables.categories.c.prefix == "B")).first()
        schedule = hall_schedule(hall, official_calendar(s))
        rules = load_rules(s, hall.id)
        zone = ZoneInfo(hall.timezone)
        refusal = walk_in_refusal(schedule, rules, category_a.id, clock.now(), zone)
        assert refusal is not None and "周六上午预约服务" in refusal[0]
        assert "5+X" not in refusal[0] and "Saturday morning appointments" in refusal[1]
        assert walk_in_refusal(schedule, rules, category_b.id, clock.now(), zone) is None
        assert (
            walk_in_refusal(schedule, rules, category_a.id, at(2026, 11, 27, 10, 0), zone) is None
        )
    # The kiosk refuses a walk-in ticket of A with that reason, and still issues B.
    with pytest.raises(Conflict) as refused:
        issuing.issue_ticket(deps, kiosk(demo), demo["hall"], "A")
    assert "周六上午预约服务时段仅接待已预约的群众" in refused.value.message
    assert issuing.issue_ticket(deps, kiosk(demo), demo["hall"], "B")["number"] == "B001"


# -- agents and home visits --------------------------------------------------------------------


def test_a_village_agent_books_for_an_elderly_citizen_marked_as_proxy(booker, deps, demo):
    agent = staff(deps, demo["agent"]["staff_no"])
    view = booker.book(FRI_9, actor=agent, proxy_reason="elderly")
    assert view["proxy"] is True and view["proxy_reason_name"] == "老年人"
    assert view["agent"] == {"name": "李代办", "staff_no": demo["agent"]["staff_no"]}
    mine = my_bookings(deps, agent)["bookings"]
    assert [b["code"] for b in mine] == [view["code"]]
    assert mine[0]["citizen"]["name"] == "张**"


def test_a_home_visit_is_requested_assigned_to_a_clerk_and_closed(booker, deps, demo):
    request = booking_citizen.book(
        deps,
        staff(deps, demo["agent"]["staff_no"]),
        demo["hall"],
        {
            "kind": "home_visit",
            "item": booker.item(DISABILITY),
            "day": "2026-11-30",
            "address": "李家村3组12号",
            "note": "卧床老人，需上门采集信息",
            "name": "王大娘",
            "phone": "13912345678",
            "id_number": id_number(9),
            "proxy_reason": "disabled",
        },
        booker.notifier,
    )
    assert request["kind"] == "home_visit" and request["start"] is None
    assert request["check_in_text"] == "工作人员将与您电话联系上门时间"
    assert request["address"] == "李家村3组12号"  # the agent (staff) sees where to go
    clerk = staff(deps, demo["clerks"][0]["staff_no"])
    other = staff(deps, demo["clerks"][1]["staff_no"])
    with pytest.raises(Forbidden):
        assign_home_visit(deps, clerk, request["id"], clerk.id)
    assigned = assign_home_visit(
        deps, manager(deps, demo), request["id"], demo["clerks"][0]["staff_no"], booker.notifier
    )
    assert assigned["state"] == "assigned" and assigned["assigned_to"]["name"] == "王芳"
    with pytest.raises(Forbidden):
        close_home_visit(deps, other, request["id"], "completed")
    closed = close_home_visit(deps, clerk, request["id"], "completed", "已上门采集，代为提交")
    assert closed["state"] == "closed" and closed["outcome_name"] == "已办结"
    assert booker.notifier.kinds() == ["confirmation", "home_visit"]
    assert "王芳" in booker.notifier.sent[1].text
    listed = hall_bookings(deps, manager(deps, demo), demo["hall"], kind="home_visit")
    assert [b["state"] for b in listed["bookings"]] == ["closed"]
    with pytest.raises(Forbidden):
        hall_bookings(deps, staff(deps, demo["agent"]["staff_no"]), demo["hall"])


def test_a_home_visit_must_fall_on_a_day_the_hall_works(booker, deps):
    data = {
        "kind": "home_visit",
        "item": booker.item(DISABILITY),
        "day": "2026-11-29",
        "address": "李家村3组12号",
        "name": "王大娘",
        "phone": "13912345678",
        "id_number": id_number(9),
    }
    with pytest.raises(InvalidInput, match="closed that day"):
        booking_citizen.book(deps, ANONYMOUS, booker.hall, data)
    with pytest.raises(InvalidInput, match="address"):
        booking_citizen.book(
            deps, ANONYMOUS, booker.hall, {**data, "day": "2026-11-30", "address": ""}
        )


# -- the counter -------------------------------------------------------------------------------


def test_the_counter_lists_todays_bookings_of_its_categories_masked(booker, deps, demo, clock):
    booker.book(at(2026, 11, 26, 10, 0), person=1)  # A
    booker.book(at(2026, 11, 26, 14, 0), person=2, item=PENSION)  # B
    booker.book(FRI_9, person=3)  # tomorrow: not listed
    clock.current = at(2026, 11, 26, 9, 45)
    window_4 = next(c for c in demo["clerks"] if c["window_number"] == 4)  # fixed: B and C
    pension_desk = window_bookings(deps, staff(deps, window_4["staff_no"]), window_4["window"])
    assert [b["time"] for b in pension_desk["bookings"]] == ["14:00–14:30"]
    window_1 = demo["clerks"][0]  # comprehensive: every category
    all_of_them = window_bookings(deps, staff(deps, window_1["staff_no"]), window_1["window"])
    first, second = all_of_them["bookings"]
    assert (first["time"], first["status"], first["status_name"]) == (
        "10:00–10:30",
        "due",
        "可签到",
    )
    assert second["status"] == "upcoming"
    assert first["citizen"] == {
        "name": "张**",
        "phone": "138****5678",
        "id_number": id_number(1)[:4] + "*" * 10 + id_number(1)[-4:],
    }
    assert all_of_them["counts"] == {"booked": 2, "checked_in": 0}
    with pytest.raises(Forbidden):
        window_bookings(deps, staff(deps, window_4["staff_no"]), window_1["window"])
