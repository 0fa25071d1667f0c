"""API routes of appointments (预约), hours and the calendar, on the /api/v1 blueprint.

Routes stay thin: they read the request, run a use case of `services.booking` modules or
`services.schedule`, and return JSON. Lookups by booking code count wrong codes per address (or
kiosk) and refuse a source that guesses.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, TypeVar

import qrcode
import qrcode.image.svg
from flask import Response, current_app, jsonify, request

from ...api import HALL, SEARCH, WINDOW, api, body
from ...api import booking_models as bm
from ...api.models import NoFields
from ...api.openapi import ICS, SVG
from ...api.spec import DATE, IDEMPOTENCY_KEY, Param, documented, query
from ...domain.booking import (
    BookingKind,
    BookingNotFound,
    BookingState,
    no_such_booking,
    normalize_code,
)
from ...domain.errors import InvalidInput
from ...http import current_actor, deps
from ...services import notify, ratelimit, schedule
from ...services.booking import availability, checkin, citizen, housekeeping, ics, settings, staff
from ...services.notify import Notifier

T = TypeVar("T")
CODE = "<string:code>"
DAY = "<string:day>"
FROM = Param("from", DATE, "从哪一天起算（默认今天）", "First day counted (default today)")


def notifier() -> Notifier:
    """The app's notifier: an SMS gateway when configured, else the log."""
    found = current_app.extensions.get("hallq_notifier")
    if found is None:
        found = notify.notifier_from_config(current_app.config)
        current_app.extensions["hallq_notifier"] = found
    return found


def _source() -> str:
    actor = current_actor()
    if actor.kind == "device":
        return f"device:{actor.id}"
    return f"addr:{request.remote_addr or '-'}"


def by_code(raw: Any, action: Callable[[str], T]) -> T:
    """Run a lookup by booking code, counting wrong codes against the asking source."""
    guess = ratelimit.begin_code_guess(deps(), _source())
    try:
        code = normalize_code(raw)
    except InvalidInput:
        # A path that cannot be a code (/bookings/0) names no booking: 404 like any unknown
        # one, and it stays counted as a wrong guess.
        raise no_such_booking() from None
    try:
        result = action(code)
    except BookingNotFound:
        raise  # no such code: counted
    except BaseException:
        ratelimit.code_guess_done(deps(), guess)
        raise
    ratelimit.code_guess_done(deps(), guess)
    return result


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _json(data: Any, status: int = 200) -> Response:
    response = jsonify(data)
    response.status_code = status
    return _no_store(response)


# -- choosing --------------------------------------------------------------------------------


@documented(
    api,
    "GET",
    f"/halls/{HALL}/booking/items",
    "Service items that can be booked, with their one-time notice and booking terms; ?q= "
    "searches Chinese names and pinyin initials",
    errors=(404, 422),
    query=(SEARCH,),
    returns=bm.BookableItems,
)
def booking_items(hall: int) -> Any:
    return jsonify(availability.bookable_items(deps(), hall, query()["q"]))


@documented(
    api,
    "GET",
    f"/halls/{HALL}/booking/items/<int:item>/days",
    "The days from today to the booking horizon: open, free places, or why not",
    errors=(404, 409),
    returns=bm.ItemDays,
)
def booking_days(hall: int, item: int) -> Any:
    return jsonify(availability.bookable_days(deps(), hall, item))


@documented(
    api,
    "GET",
    f"/halls/{HALL}/booking/items/<int:item>/slots",
    "The slots of one day (?date=2026-11-27) with their free places",
    errors=(404, 409, 422),
    query=(Param("date", DATE, "哪一天的时段", "The day of the slots", required=True),),
    returns=bm.DaySlots,
)
def booking_slots(hall: int, item: int) -> Any:
    return jsonify(availability.free_slots(deps(), hall, item, query()["date"]))


# -- booking, by code ------------------------------------------------------------------------


@documented(
    api,
    "POST",
    f"/halls/{HALL}/bookings",
    "Book a slot (kind appointment, start) or request a home visit (kind home_visit, day, "
    "address); a signed-in agent books on a citizen's behalf. Returns the booking code",
    body=bm.BookingRequest,
    status=201,
    errors=(403, 404, 409),
    returns=bm.Booking,
)
def create_booking(hall: int) -> Any:
    view = citizen.book(deps(), current_actor(), hall, body(), notifier())
    return _json(view, 201)


@documented(
    api,
    "GET",
    f"/bookings/{CODE}",
    "A booking by its code (masked)",
    errors=(404, 429),
    returns=bm.Booking,
)
def get_booking(code: str) -> Any:
    return _json(by_code(code, lambda c: citizen.find_booking(deps(), c)))


@documented(
    api,
    "POST",
    f"/bookings/{CODE}/cancel",
    "Cancel a booking by its code",
    body=NoFields,
    errors=(404, 409, 429),
    returns=bm.Booking,
)
def cancel_booking(code: str) -> Any:
    return _json(
        by_code(code, lambda c: citizen.cancel_booking(deps(), current_actor(), c, notifier()))
    )


@documented(
    api,
    "POST",
    f"/bookings/{CODE}/move",
    "Move a booking to another slot of the same service (same code)",
    body=bm.BookingMove,
    errors=(404, 409, 429),
    returns=bm.Booking,
)
def move_booking(code: str) -> Any:
    start = body().get("start")
    return _json(
        by_code(code, lambda c: citizen.move_booking(deps(), current_actor(), c, start, notifier()))
    )


@documented(
    api, "GET", f"/bookings/{CODE}/calendar.ics", "The booking as a calendar file (.ics)",
    errors=(404, 429), media=(ICS,), only_media=True,
)  # fmt: skip
def booking_calendar(code: str) -> Any:
    filename, text = by_code(code, lambda c: ics.booking_ics(deps(), c))
    response = Response(text, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _no_store(response)


@documented(
    api, "GET", f"/bookings/{CODE}/qr.svg",
    "The booking code as a QR code, to scan at the kiosk", errors=(404, 429), media=(SVG,),
    only_media=True,
)  # fmt: skip
def booking_qr(code: str) -> Any:
    def draw(c: str) -> bytes:
        citizen.find_booking(deps(), c)  # 404 for a code that is no booking
        image = qrcode.make(
            c,
            image_factory=qrcode.image.svg.SvgPathImage,
            error_correction=qrcode.constants.ERROR_CORRECT_M,
            border=2,
        )
        out = io.BytesIO()
        image.save(out)
        return out.getvalue()

    return _no_store(Response(by_code(code, draw), mimetype="image/svg+xml"))


@documented(
    api,
    "GET",
    f"/bookings/{CODE}/messages",
    "The messages sent about a booking (confirmation, reminder, move, cancellation)",
    errors=(404, 429),
    returns=bm.MessageList,
)
def booking_messages(code: str) -> Any:
    def read(c: str) -> dict[str, Any]:
        view = citizen.find_booking(deps(), c)
        return {"messages": notify.messages_of_booking(deps(), view["id"])}

    return _json(by_code(code, read))


# -- check-in and the counter ----------------------------------------------------------------


@documented(
    api,
    "POST",
    f"/halls/{HALL}/checkin",
    "预约签到 (kiosk device token or staff): the ticket, with appointment priority when on "
    "time; a late arrival gets an ordinary ticket (late: true, message says so). A retry that "
    "sends the same Idempotency-Key header within 10 minutes gets the same reply and ticket; "
    "the same key with another code is a 409",
    body=bm.CheckInRequest,
    auth="kiosk",
    status=201,
    errors=(404, 409, 422, 429, 503),
    returns=bm.CheckedIn,
    headers=(IDEMPOTENCY_KEY,),
)
def appointment_check_in(hall: int) -> Any:
    actor = current_actor()
    key = request.headers.get("Idempotency-Key")
    result = by_code(
        body().get("code"),
        lambda c: checkin.check_in(deps(), actor, hall, c, idempotency_key=key),
    )
    return _json(result, 201)


@documented(
    api,
    "GET",
    f"/windows/{WINDOW}/bookings",
    "Today's bookings for the window's categories, earliest first (posted clerk)",
    auth="clerk",
    errors=(404,),
    returns=bm.WindowBookings,
)
def window_bookings(window: int) -> Any:
    return _json(staff.window_bookings(deps(), current_actor(), window))


@documented(
    api,
    "GET",
    f"/halls/{HALL}/bookings",
    "A hall's bookings for staff (?date=, ?kind=appointment|home_visit, ?state=), masked",
    auth="clerk",
    errors=(404, 422),
    query=(
        Param("date", DATE, "只看这一天的预约", "Only the bookings of this day"),
        Param(
            "kind",
            {"type": "string", "enum": [kind.value for kind in BookingKind]},
            "到厅办理或上门服务",
            "appointment (at the hall) or home_visit",
        ),
        Param(
            "state",
            {"type": "string", "enum": [state.value for state in BookingState]},
            "只看这一状态的预约",
            "Only bookings in this state",
        ),
    ),
    returns=bm.BookingList,
)
def hall_bookings(hall: int) -> Any:
    asked = query()
    return _json(
        staff.hall_bookings(
            deps(), current_actor(), hall, asked["date"], asked["kind"], asked["state"]
        )
    )


@documented(
    api, "GET", "/me/bookings",
    "The bookings the signed-in agent made on citizens' behalf (with their codes)", auth="clerk",
    returns=bm.BookingList,
)  # fmt: skip
def my_bookings() -> Any:
    return _json(staff.my_bookings(deps(), current_actor()))


@documented(
    api,
    "POST",
    "/home-visits/<int:booking>/assign",
    "Assign a home visit (上门服务) to a clerk (manager)",
    body=bm.HomeVisitAssignment,
    auth="manager",
    errors=(404, 409),
    returns=bm.Booking,
)
def assign_home_visit(booking: int) -> Any:
    return _json(
        staff.assign_home_visit(deps(), current_actor(), booking, body().get("clerk"), notifier())
    )


@documented(
    api,
    "POST",
    "/home-visits/<int:booking>/close",
    "Record a home visit's outcome (manager or the assigned clerk)",
    body=bm.HomeVisitOutcome,
    auth="clerk",
    errors=(404, 409),
    returns=bm.Booking,
)
def close_home_visit(booking: int) -> Any:
    data = body()
    return _json(
        staff.close_home_visit(
            deps(), current_actor(), booking, data.get("outcome"), data.get("note", "")
        )
    )


@documented(
    api, "GET", f"/halls/{HALL}/messages",
    "The latest messages sent to citizens about bookings (staff; codes hidden)",
    auth="clerk", errors=(404,),
    returns=bm.MessageList,
)  # fmt: skip
def hall_messages(hall: int) -> Any:
    from ...services import access, views

    with deps().db.reading() as session:
        access.require(session, current_actor(), views.get_hall(session, hall), "booking.staff")
    return _json({"messages": notify.messages_of_hall(deps(), hall)})


@documented(
    api,
    "POST",
    "/bookings/housekeeping",
    "Run the periodic work now: mark missed appointments, send due reminders, erase old "
    "personal data (manager or admin)",
    body=NoFields,
    auth="manager",
    returns=bm.Housekeeping,
)
def booking_housekeeping() -> Any:
    from ...services import access

    access.require_anywhere(current_actor(), "booking.housekeeping")
    return _json(housekeeping.housekeeping(deps(), notifier()))


# -- rules and policy ------------------------------------------------------------------------


@documented(
    api, "GET", f"/halls/{HALL}/booking-rules",
    "Booking policy and slot rules of the hall, its categories and items", errors=(404,),
    returns=bm.BookingRules,
)  # fmt: skip
def booking_rules(hall: int) -> Any:
    return jsonify(settings.rules_view(deps(), hall))


@documented(
    api,
    "PUT",
    f"/halls/{HALL}/booking-rules",
    "Set the slot rule of the hall (scope hall), a category (scope category, category) or an "
    "item (scope item, item); rule null removes it (manager)",
    body=bm.BookingRuleChange,
    auth="manager",
    errors=(404,),
    returns=bm.BookingRules,
)
def set_booking_rule(hall: int) -> Any:
    return jsonify(settings.set_rule(deps(), current_actor(), hall, body()))


@documented(
    api,
    "PUT",
    f"/halls/{HALL}/booking-policy",
    "Change the booking policy: no-show limit and pause, check-in window, reminder time, how "
    "long personal data is kept (manager)",
    body=bm.PolicyChange,
    auth="manager",
    errors=(404,),
    returns=bm.PolicyReply,
)
def set_booking_policy(hall: int) -> Any:
    return jsonify(settings.set_policy(deps(), current_actor(), hall, body()))


# -- hours and the calendar ------------------------------------------------------------------


@documented(
    api,
    "GET",
    f"/halls/{HALL}/hours",
    "The hall's hours, whether the calendar knows each year, and the coming days in words "
    "(?from=2026-11-27&days=14)",
    errors=(404, 422),
    query=(
        FROM,
        Param(
            "days",
            {"type": "integer", "minimum": 1, "maximum": schedule.MAX_DAYS, "default": 14},
            "列出多少天",
            "How many days to list",
        ),
    ),
    returns=bm.HallHours,
)
def hall_hours(hall: int) -> Any:
    asked = query()
    return jsonify(schedule.hours_view(deps(), hall, asked["from"], asked["days"]))


@documented(
    api,
    "PUT",
    f"/halls/{HALL}/hours",
    "Replace the hall's hours: regular, extra_days (5+X), extended (延时服务), holiday "
    "(节假日受理), year_round (365天无休); overrides are kept unless given (manager)",
    body=bm.HoursChange,
    auth="manager",
    errors=(404,),
    returns=bm.HallHours,
)
def set_hall_hours(hall: int) -> Any:
    return jsonify(schedule.set_hours(deps(), current_actor(), hall, body()))


@documented(
    api,
    "PUT",
    f"/halls/{HALL}/hours/overrides/{DAY}",
    "Close one date ({closed: true}) or give it special sessions ({sessions: [...]}), with a "
    "reason (manager)",
    body=bm.OverrideChange,
    auth="manager",
    errors=(404,),
    returns=bm.OverrideSet,
)
def set_hours_override(hall: int, day: str) -> Any:
    return jsonify(schedule.set_override(deps(), current_actor(), hall, day, body()))


@documented(
    api,
    "DELETE",
    f"/halls/{HALL}/hours/overrides/{DAY}",
    "Remove a date's override (manager)",
    auth="manager",
    errors=(404, 422),
    returns=bm.OverrideRemoved,
)
def remove_hours_override(hall: int, day: str) -> Any:
    return jsonify(schedule.remove_override(deps(), current_actor(), hall, day))


@documented(
    api,
    "GET",
    f"/halls/{HALL}/service-items/<int:item>/deadline",
    "办理时限 counted in official working days from ?from= (default today)",
    errors=(404, 409, 422),
    query=(FROM,),
    returns=bm.Deadline,
)
def item_deadline(hall: int, item: int) -> Any:
    return jsonify(schedule.deadline(deps(), hall, item, query()["from"]))
