"""Messages to citizens about their bookings: confirmation, reminder, move, cancellation.

A `Notifier` carries a message to the citizen's phone. `LogNotifier` (the default) writes a
line to the log; `SmsGatewayNotifier` posts to an SMS gateway over HTTP; `FakeNotifier` keeps
what it was given, for tests. Whatever carries it, every message is also kept in the
`booking_messages` table, so the citizen (by booking code) and the manager can read it back.

The log and the kept copy never hold the phone number in full; the log never holds the text
(it contains the booking code, which is the citizen's key to the booking).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert, select

from ..domain.booking import format_code
from ..domain.identity import mask_phone
from ..store import booking_tables as bt
from .context import Deps
from .unit_of_work import unit_of_work

log = logging.getLogger(__name__)

KINDS = ("confirmation", "reminder", "moved", "cancellation", "home_visit", "holiday")


@dataclass(frozen=True)
class Notice:
    """One message for one citizen about one booking."""

    hall_id: int
    booking_id: int
    kind: str
    phone: str
    text: str
    text_en: str

    def __repr__(self) -> str:  # never the phone number or the text (it holds the code)
        return f"Notice({self.kind!r}, booking={self.booking_id})"


class NotifierError(Exception):
    """The message could not be handed over (gateway down, refused…)."""


class Notifier(Protocol):
    """Carries a message to a citizen's phone."""

    channel: str

    def send(self, notice: Notice) -> None:
        """Hand the message over, or raise NotifierError."""


class LogNotifier:
    """The default: a log line per message (masked phone, no text); the API shows the text."""

    channel = "log"

    def send(self, notice: Notice) -> None:
        """Write the log line."""
        log.info(
            "booking %s: %s message to %s",
            notice.booking_id,
            notice.kind,
            mask_phone(notice.phone),
        )


@dataclass
class FakeNotifier:
    """Keeps every message; set `fail` to make the next ones fail."""

    channel: str = "fake"
    fail: bool = False
    sent: list[Notice] = field(default_factory=list)

    def send(self, notice: Notice) -> None:
        """Keep the message (or fail, when told to)."""
        if self.fail:
            raise NotifierError("fake gateway is down")
        self.sent.append(notice)

    def kinds(self) -> list[str]:
        """The kinds of the messages sent, in order."""
        return [n.kind for n in self.sent]


@dataclass
class SmsGatewayNotifier:
    """Posts {"phone", "text"} as JSON to an SMS gateway's URL, with a bearer token if given."""

    url: str
    token: str = ""
    timeout: float = 5.0
    channel: str = "sms"

    def send(self, notice: Notice) -> None:
        """POST the message; any non-2xx answer or network fault is a NotifierError."""
        body = json.dumps({"phone": notice.phone, "text": notice.text}).encode()
        request = urllib.request.Request(
            self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise NotifierError(f"gateway answered {response.status}")
        except (urllib.error.URLError, OSError) as error:
            raise NotifierError(f"gateway unreachable: {type(error).__name__}") from None


def notifier_from_config(config: dict[str, Any]) -> Notifier:
    """The notifier a deployment chose: an SMS gateway URL, or the log."""
    url = config.get("SMS_GATEWAY_URL")
    if url:
        return SmsGatewayNotifier(str(url), str(config.get("SMS_GATEWAY_TOKEN") or ""))
    return LogNotifier()


def deliver(deps: Deps, notifier: Notifier, notices: Iterable[Notice], now: datetime) -> int:
    """Send messages after their booking committed and keep a copy of each; never raises.

    Returns how many were handed over. A failed message is kept with status "failed".
    """
    sent = 0
    for notice in notices:
        status = "sent"
        try:
            notifier.send(notice)
            sent += 1
        except Exception as error:  # a gateway fault never undoes a booking
            status = "failed"
            log.warning(
                "booking %s: %s message not sent (%s)",
                notice.booking_id,
                notice.kind,
                type(error).__name__,
            )
        try:
            with unit_of_work(deps) as uow:
                session = uow.session
                session.execute(
                    insert(bt.booking_messages).values(
                        hall_id=notice.hall_id,
                        booking_id=notice.booking_id,
                        kind=notice.kind,
                        channel=notifier.channel,
                        phone_masked=mask_phone(notice.phone),
                        text=notice.text[:500],
                        text_en=notice.text_en[:800],
                        status=status,
                        created_at=now,
                    )
                )
        except Exception:
            log.exception(
                "booking %s: could not keep the %s message", notice.booking_id, notice.kind
            )
    return sent


M = bt.booking_messages


def message_view(row: Any, hide: str | None = None) -> dict[str, Any]:
    """A kept message; `hide` (a booking code) is blanked out for readers other than its holder."""
    text, text_en = row.text, row.text_en
    if hide:
        text = text.replace(hide, hide[:4] + "-****")
        text_en = text_en.replace(hide, hide[:4] + "-****")
    return {
        "id": row.id,
        "booking_id": row.booking_id,
        "kind": row.kind,
        "channel": row.channel,
        "phone": row.phone_masked,
        "text": text,
        "text_en": text_en,
        "status": row.status,
        "created_at": row.created_at.isoformat(),
    }


def messages_of_booking(deps: Deps, booking_id: int) -> list[dict[str, Any]]:
    """Every message kept for one booking, oldest first."""
    with deps.db.reading() as session:
        rows = session.execute(select(M).where(M.c.booking_id == booking_id).order_by(M.c.id)).all()
        return [message_view(row) for row in rows]


def messages_of_hall(deps: Deps, hall_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """The hall's latest messages, newest first, booking codes blanked out."""
    with deps.db.reading() as session:
        rows = session.execute(
            select(M, bt.bookings.c.code)
            .join(bt.bookings, bt.bookings.c.id == M.c.booking_id)
            .where(M.c.hall_id == hall_id)
            .order_by(M.c.id.desc())
            .limit(limit)
        ).all()
        return [message_view(row, hide=format_code(row.code)) for row in rows]
