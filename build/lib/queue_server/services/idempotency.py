"""Idempotency keys of ticket requests and appointment check-ins (the `Idempotency-Key` header).

A kiosk sends a fresh random key with each tap and the same key with each retry of that tap.
When a reply is lost (the network drops it, the kiosk times out) the ticket may exist already;
the retry then gets that ticket back instead of a second one. A check-in keeps its key with the
ticket it made, so its retry finds that ticket the same way. Keys count per issuer (a kiosk
device or a member of staff) and for `KEEP` only: long enough for any retry, short enough that
the table stays small (`retention.forget_issue_keys` clears older ones).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..domain.errors import InvalidInput
from ..store.idempotency_tables import issue_requests
from .context import Actor

KEEP = timedelta(minutes=10)
_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
R = issue_requests


def check_key(raw: object) -> str | None:
    """The key of a request (None when it sent none); a malformed key is refused."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not _KEY.fullmatch(raw):
        raise InvalidInput(
            "Idempotency-Key 须为 8 到 64 个字母、数字、- 或 _",
            "Idempotency-Key must be 8 to 64 letters, digits, - or _",
        )
    return raw


def issuer_of(actor: Actor) -> str | None:
    """Whose keys these are: a device or a member of staff (the system sends no keys)."""
    if actor.id is None or actor.kind not in ("device", "clerk"):
        return None
    return f"{actor.kind}:{actor.id}"


def earlier_ticket(session: Session, issuer: str, key: str, now: datetime) -> int | None:
    """The ticket an earlier request with this key made, if it is recent; an old one is cleared."""
    row = session.execute(
        select(R.c.id, R.c.ticket_id, R.c.created_at).where(R.c.issuer == issuer, R.c.key == key)
    ).first()
    if row is None:
        return None
    if now - row.created_at > KEEP:
        session.execute(delete(R).where(R.c.id == row.id))
        return None
    return int(row.ticket_id)


def remember(
    session: Session, issuer: str, key: str, hall_id: int, ticket_id: int, now: datetime
) -> None:
    """Keep the key with the ticket it made, in the issuing transaction."""
    session.execute(
        insert(R).values(
            issuer=issuer, key=key, hall_id=hall_id, ticket_id=ticket_id, created_at=now
        )
    )


def forget_before(session: Session, before: datetime) -> int:
    """Clear keys made before `before`; how many."""
    result = session.execute(delete(R).where(R.c.created_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
