"""The kiosk's API routes under /api/v1: categories and tickets (issue, look up, give up), the
办事指南 search, the kiosk's home and device, and its printer's settings."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request

from kiosk.pages import booking_url
from queue_server.api import EMPTY, HALL, SEARCH, api, body, documented
from queue_server.api import models as m
from queue_server.api import request_models as rm
from queue_server.api.spec import IDEMPOTENCY_KEY, Param, query
from queue_server.domain.errors import InvalidInput
from queue_server.http import current_actor, deps
from queue_server.services import guide, issuing, views
from queue_server.services import kiosk as kiosk_service
from queue_server.services import printing as print_service
from queue_server.services import queue as q

# The appointment engineer's check-in route; the kiosk offers 预约签到 once it exists.
CHECK_IN_ENDPOINT = "api.appointment_check_in"


def printing() -> print_service.PrintDispatcher | None:
    """The app's print dispatcher, when printing is on."""
    return current_app.extensions.get("hallq_printing")


@documented(
    api,
    "GET",
    f"/halls/{HALL}/categories",
    "Categories with their waiting count and estimated wait",
    errors=(404,),
    returns=m.CategoryList,
)
def hall_categories(hall: int) -> Any:
    with deps().db.reading() as s:
        status = views.QueueStatus(s, views.get_hall(s, hall), deps().clock.now())
        return jsonify({"categories": status.categories_view()})


ISSUE_BODY = m.TicketRequest


@documented(
    api,
    "POST",
    f"/halls/{HALL}/tickets",
    "Issue a ticket (kiosk device token or signed-in staff); a retry that sends the same "
    "Idempotency-Key header within 10 minutes gets the same ticket",
    body=ISSUE_BODY,
    auth="kiosk",
    status=201,
    errors=(404, 409),
    returns=m.IssuedTicket,
    headers=(IDEMPOTENCY_KEY,),
)
def issue(hall: int) -> Any:
    data = body()
    view = issuing.issue_ticket(
        deps(),
        current_actor(),
        hall,
        data.get("category"),
        data.get("priority"),
        data.get("phone"),
        data.get("service_item"),
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    return jsonify(view), 201


@documented(
    api,
    "GET",
    "/tickets/<string:token>",
    "A ticket by its token (the citizen's page)",
    errors=(404,),
    returns=m.Ticket,
)
def ticket(token: str) -> Any:
    return jsonify(q.ticket_status(deps(), token))


@documented(
    api,
    "POST",
    "/tickets/<string:token>/cancel",
    "The citizen gives up their ticket",
    body=EMPTY,
    errors=(404, 409),
    returns=m.TicketReply,
)
def cancel_ticket(token: str) -> Any:
    return jsonify(q.cancel(deps(), token))


@documented(
    api,
    "GET",
    f"/halls/{HALL}/service-items",
    "办事指南: service items with their one-time notice; ?q= searches Chinese names and "
    "pinyin initials (sb → 社保), ?category= filters by prefix or id",
    errors=(404, 422),
    query=(
        SEARCH,
        Param(
            "category",
            {"type": "string", "pattern": "^(?:[A-Za-z]{1,2}|[0-9]{1,10})$"},
            "只看这一类别：号码前缀（如 A）或编号",
            "Only this category: its ticket prefix (e.g. A) or id",
        ),
        Param(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
            "最多列出多少项",
            "At most this many items",
        ),
    ),
    returns=m.ServiceItemList,
)
def service_items(hall: int) -> Any:
    asked = query()
    return jsonify(guide.search_items(deps(), hall, asked["q"], asked["category"], asked["limit"]))


@documented(
    api,
    "GET",
    f"/halls/{HALL}/service-items/<int:item>",
    "One service item's one-time notice (一次性告知): materials, conditions, fee, time limit",
    errors=(404,),
    returns=m.ServiceItemReply,
)
def service_item(hall: int, item: int) -> Any:
    return jsonify(guide.get_item(deps(), hall, item))


@documented(
    api,
    "GET",
    f"/halls/{HALL}/kiosk",
    "The kiosk's home: open state and next opening, categories with waiting count and "
    "estimated wait, 绿色通道 kinds, whether 预约签到 and phone booking are offered",
    errors=(404,),
    returns=m.KioskHome,
)
def kiosk_home(hall: int) -> Any:
    appointments = CHECK_IN_ENDPOINT in current_app.view_functions
    home = kiosk_service.kiosk_home(deps(), hall, appointments=appointments)
    home["booking_url"] = booking_url(hall)
    return jsonify(home)


@documented(
    api,
    "GET",
    "/kiosk/me",
    "The kiosk device asking (device token): its hall and its printer's state",
    auth="kiosk",
    returns=m.KioskMe,
)
def kiosk_me() -> Any:
    return jsonify(kiosk_service.kiosk_me(deps(), current_actor()))


@documented(
    api,
    "PUT",
    "/kiosks/<int:device>/printer",
    "Set a kiosk's ticket printer: usb://VID:PID of a printer plugged in, serial:// a port the "
    "administrator listed (HALLQ_SERIAL_PORTS), tcp://IP:9100 inside HALLQ_PRINTER_NETWORKS "
    "(file:// and dummy:// only with HALLQ_TEST_DEVICES=1; 422 otherwise); paper 58/80 mm; "
    "text or image mode (manager)",
    body=rm.PrinterChange,
    auth="manager",
    errors=(404,),
    returns=m.PrinterReply,
)
def set_kiosk_printer(device: int) -> Any:
    return jsonify(print_service.set_printer(deps(), current_actor(), device, body()))


@documented(
    api,
    "POST",
    "/kiosks/<int:device>/printer/test",
    "Print a test ticket on a kiosk's printer (manager); the outcome comes as print_status",
    body=EMPTY,
    auth="manager",
    status=202,
    errors=(404,),
    returns=m.Queued,
)
def test_kiosk_printer(device: int) -> Any:
    print_service.require_printer_manager(deps(), current_actor(), device)
    dispatcher = printing()
    if dispatcher is None:
        raise InvalidInput("本服务器未启用打印", "Printing is switched off on this server")
    dispatcher.print_test_page(device)
    return jsonify({"queued": True}), 202
