"""Sign-in attempts are rate-limited per staff number and per network address.

Attempts are kept in the database, so every process of a city deployment counts the same
failures. Five wrong passwords for one staff number within 15 minutes lock that staff number
for the rest of the window; twenty from one address lock the address. A success clears the
staff number's count.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select

from ..domain.errors import QueueError, Unauthorized
from ..store import admin_tables
from . import auth
from .context import Deps

LA = admin_tables.login_attempts
WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
KEEP = timedelta(days=7)


class TooManyAttempts(QueueError):
    """Too many failed sign-ins: wait before trying again (429)."""

    code = "too_many"

    def __init__(self, minutes: int) -> None:
        super().__init__(
            f"登录失败次数过多，请 {minutes} 分钟后再试",
            f"Too many failed sign-ins; try again in {minutes} min",
        )
        self.minutes = minutes


def _key(staff_no: Any) -> str:
    return staff_no.strip()[:32] if isinstance(staff_no, str) else ""


def _address(address: str | None) -> str:
    return (address or "")[:64]


def _lifted_at(failures: list[datetime], limit: int) -> datetime | None:
    """When the count of failures in the window drops below the limit again, if it is reached."""
    if len(failures) < limit:
        return None
    failures = sorted(failures)
    return failures[len(failures) - limit] + WINDOW


def check_login_allowed(deps: Deps, staff_no: Any, address: str | None) -> None:
    """Refuse a sign-in while its staff number or address is locked out."""
    now = deps.clock.now()
    key, addr = _key(staff_no), _address(address)
    with deps.db.reading() as session:
        last_ok = session.scalar(select(func.max(LA.c.at)).where(LA.c.staff_no == key, LA.c.ok))
        since = now - WINDOW
        if last_ok is not None and last_ok > since:
            since = last_ok
        by_account = list(
            session.scalars(
                select(LA.c.at).where(LA.c.staff_no == key, LA.c.at > since, LA.c.ok.is_(False))
            )
        )
        by_address = (
            list(
                session.scalars(
                    select(LA.c.at).where(
                        LA.c.address == addr, LA.c.at > now - WINDOW, LA.c.ok.is_(False)
                    )
                )
            )
            if addr
            else []
        )
    lifts = [
        at
        for at in (
            _lifted_at(by_account, MAX_FAILURES_PER_ACCOUNT),
            _lifted_at(by_address, MAX_FAILURES_PER_ADDRESS),
        )
        if at is not None and at > now
    ]
    if lifts:
        raise TooManyAttempts(max(1, math.ceil((max(lifts) - now).total_seconds() / 60)))


def record_attempt(deps: Deps, staff_no: Any, address: str | None, ok: bool) -> None:
    """Remember one sign-in attempt (old ones are forgotten after a week)."""
    now = deps.clock.now()
    with deps.db.transaction() as session:
        session.execute(
            insert(LA).values(staff_no=_key(staff_no), address=_address(address), at=now, ok=ok)
        )
        if ok:
            session.execute(delete(LA).where(LA.c.at < now - KEEP))


def guarded_login(deps: Deps, staff_no: Any, password: Any, address: str | None) -> dict[str, Any]:
    """`auth.login`, refused while locked out; wrong passwords count towards the lock."""
    check_login_allowed(deps, staff_no, address)
    try:
        result = auth.login(deps, staff_no, password)
    except Unauthorized:
        record_attempt(deps, staff_no, address, ok=False)
        raise
    record_attempt(deps, staff_no, address, ok=True)
    return result
