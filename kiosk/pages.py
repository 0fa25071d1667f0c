"""The self-service kiosk (/kiosk/<hall>) and the citizen's phone page (/t/<token>)."""

from __future__ import annotations

import io
from typing import Any

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, current_app, render_template, request

from queue_server.domain.errors import NotFound
from queue_server.http import deps
from queue_server.services import queue as q
from queue_server.services import views

bp = Blueprint("kiosk", __name__)
BOOKING_ENDPOINT = "booking.book_page"  # the appointments' phone booking page

# Seconds: how long the kiosk waits for a touch before going home, and shows a new ticket.
IDLE_SECONDS = (60, 2, 600)  # default, least, most
TICKET_SECONDS = (15, 10, 120)  # never less than 10 s: time to read it or take a photo


def _seconds(name: str, bounds: tuple[int, int, int]) -> int:
    default, least, most = bounds
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        return default
    return max(least, min(most, value))


def _error_page(status: int, message: str, message_en: str) -> tuple[str, int]:
    return render_template(
        "kiosk/error.html", message=message, message_en=message_en, status=status
    ), status


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/kiosk/<int:hall>")
def kiosk_page(hall: int) -> Any:
    """The touchscreen kiosk of a hall; the device token comes once as ?token=…"""
    with deps().db.reading() as session:
        try:
            found = views.get_hall(session, hall)
        except NotFound as error:
            return _error_page(404, error.message, error.message_en)
        hall_view = views.hall_view(found)
    response = Response(
        render_template(
            "kiosk/kiosk.html",
            hall=hall_view,
            idle_seconds=_seconds("idle", IDLE_SECONDS),
            ticket_seconds=_seconds("ticket", TICKET_SECONDS),
        )
    )
    return _no_store(response)


@bp.get("/t/<string:token>")
def phone_page(token: str) -> Any:
    """The citizen's ticket on their phone: number, place, wait, and the call."""
    try:
        ticket = q.ticket_status(deps(), token)
    except NotFound as error:
        page, status = _error_page(404, error.message, error.message_en)
        return _no_store(Response(page, status=status))
    return _no_store(Response(render_template("kiosk/phone.html", ticket=ticket, token=token)))


def qr_svg(url: str) -> bytes:
    """A QR code as SVG, drawn here: halls often sit on closed networks, so no outside service."""
    image = qrcode.make(
        url,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


@bp.get("/t/<string:token>/qr.svg")
def phone_qr(token: str) -> Any:
    """The QR code of a ticket's phone page."""
    q.ticket_status(deps(), token)  # 404 for a token that is not a ticket
    url = f"{deps().public_url.rstrip('/')}/t/{token}"
    return _no_store(Response(qr_svg(url), mimetype="image/svg+xml"))


def booking_url(hall: int) -> str | None:
    """The phone booking page of a hall, when hallq has one."""
    if BOOKING_ENDPOINT not in current_app.view_functions:
        return None
    return f"{deps().public_url.rstrip('/')}/book/{hall}"


@bp.get("/kiosk/<int:hall>/booking-qr.svg")
def booking_qr(hall: int) -> Any:
    """The QR code a closed kiosk shows: book the visit on the phone instead."""
    with deps().db.reading() as session:
        views.get_hall(session, hall)
    url = booking_url(hall)
    if url is None:
        raise NotFound("本大厅暂不提供预约", "This hall takes no appointments")
    return Response(qr_svg(url), mimetype="image/svg+xml")
