"""Guessing is rate-limited: sign-in attempts per staff number and address, and per address;
wrong booking codes per source.

Attempts are kept in the database, so every process of a city deployment counts the same
failures. An attempt is counted (as a failure until it succeeds) *before* its password is
checked, in a transaction serialised per staff number and address: however many attempts
arrive at once, on however many processes, a locked staff number gets no password check.

- Five wrong passwords for one staff number from one address within 15 minutes lock that
  staff number *from that address*; the same person signs in from their own counter meanwhile.
- Twenty wrong passwords from one address (any staff numbers) lock the address.
- A hundred wrong passwords for one staff number from anywhere lock the staff number everywhere
  (at least twenty addresses guessing together: no one address can lock a colleague out).
- A success clears the count of its staff number and address.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, func, insert, select, update

from ..domain.errors import QueueError, Unauthorized
from ..store import admin_tables
from . import auth
from .context import Deps
from .unit_of_work import unit_of_work

LA = admin_tables.login_attempts
CG = admin_tables.code_guesses
WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5  # one staff number from one address
MAX_FAILURES_PER_ADDRESS = 20
MAX_FAILURES_PER_ACCOUNT_EVERYWHERE = 100
KEEP = timedelta(days=7)
T = TypeVar("T")


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


def _failures(session: Any, since: datetime, *where: Any) -> list[datetime]:
    return list(session.scalars(select(LA.c.at).where(LA.c.at > since, LA.c.ok.is_(False), *where)))


def begin_attempt(deps: Deps, staff_no: Any, address: str | None) -> int:
    """Refuse a sign-in while locked out; else count it as failed until `attempt_succeeded`.

    Returns the attempt's id. Transactions of one staff number and of one address take turns,
    so two processes cannot both see "four failures" and both check a fifth and sixth password.
    """
    now = deps.clock.now()
    key, addr = _key(staff_no), _address(address)
    since = now - WINDOW
    with unit_of_work(deps) as uow:
        session = uow.session
        deps.db.lock_names(session, f"sign-in:{key}", f"sign-in-from:{addr}")
        last_ok = session.scalar(
            select(func.max(LA.c.at)).where(LA.c.staff_no == key, LA.c.address == addr, LA.c.ok)
        )
        pair_since = last_ok if last_ok is not None and last_ok > since else since
        lifts = [
            _lifted_at(
                _failures(session, pair_since, LA.c.staff_no == key, LA.c.address == addr),
                MAX_FAILURES_PER_ACCOUNT,
            ),
            _lifted_at(_failures(session, since, LA.c.address == addr), MAX_FAILURES_PER_ADDRESS)
            if addr
            else None,
            _lifted_at(
                _failures(session, since, LA.c.staff_no == key),
                MAX_FAILURES_PER_ACCOUNT_EVERYWHERE,
            ),
        ]
        ends = [at for at in lifts if at is not None and at > now]
        if ends:
            raise TooManyAttempts(max(1, math.ceil((max(ends) - now).total_seconds() / 60)))
        return int(
            session.execute(
                insert(LA).values(staff_no=key, address=addr, at=now, ok=False).returning(LA.c.id)
            ).scalar_one()
        )


def attempt_succeeded(deps: Deps, attempt_id: int) -> None:
    """The password was right: the attempt clears its count (old ones are forgotten)."""
    now = deps.clock.now()
    with unit_of_work(deps) as uow:
        session = uow.session
        session.execute(update(LA).where(LA.c.id == attempt_id).values(ok=True, at=now))
        session.execute(delete(LA).where(LA.c.at < now - KEEP))


def _attempt_void(deps: Deps, attempt_id: int) -> None:
    """No password was checked (the request was malformed): the attempt does not count."""
    with unit_of_work(deps) as uow:
        session = uow.session
        session.execute(delete(LA).where(LA.c.id == attempt_id))


def guarded(deps: Deps, staff_no: Any, address: str | None, check: Callable[[], T]) -> T:
    """Run a password check (`check`) only while its staff number and address are not locked;
    a wrong password counts towards the lock, a right one clears it."""
    attempt = begin_attempt(deps, staff_no, address)
    try:
        result = check()
    except Unauthorized:
        raise
    except auth.PasswordChangeRequired:
        attempt_succeeded(deps, attempt)
        raise
    except BaseException:
        _attempt_void(deps, attempt)
        raise
    attempt_succeeded(deps, attempt)
    return result


def guarded_login(deps: Deps, staff_no: Any, password: Any, address: str | None) -> dict[str, Any]:
    """`auth.login`, refused while locked out; wrong passwords count towards the lock."""
    auth.check_sign_in_input(staff_no, password)
    return guarded(deps, staff_no, address, lambda: auth.login(deps, staff_no, password))


def guarded_change_password(
    deps: Deps, staff_no: Any, password: Any, new_password: Any, address: str | None
) -> dict[str, Any]:
    """`auth.change_password` under the same lock as signing in (it checks a password too)."""
    auth.check_sign_in_input(staff_no, password)
    auth.check_password_rules(_key(staff_no), new_password)
    return guarded(
        deps,
        staff_no,
        address,
        lambda: auth.change_password(deps, staff_no, password, new_password),
    )


# =============================================================================================
# Booking codes

GUESS_LIMIT = 20
GUESS_WINDOW = timedelta(minutes=10)


class TooManyGuesses(QueueError):
    """Too many wrong booking codes from one source (429)."""

    code = "too_many"

    def __init__(self) -> None:
        super().__init__(
            "预约码输错次数过多，请 10 分钟后再试，或到服务台求助",
            "Too many wrong booking codes; try again in 10 minutes or ask at the desk",
        )


def _source(source: str) -> str:
    return source[:80]


def begin_code_guess(deps: Deps, source: str) -> int:
    """Refuse a source (an address, a device) that gave 20 wrong codes in 10 minutes; else count
    this lookup as a wrong code until `code_guess_done` says otherwise. Lookups of one source
    take turns, so no burst of them, on any number of processes, gets past the limit."""
    now = deps.clock.now()
    source = _source(source)
    with unit_of_work(deps) as uow:
        session = uow.session
        deps.db.lock_names(session, f"code-guess:{source}")
        count = session.scalar(
            select(func.count())
            .select_from(CG)
            .where(CG.c.source == source, CG.c.at > now - GUESS_WINDOW)
        )
        if (count or 0) >= GUESS_LIMIT:
            raise TooManyGuesses()
        session.execute(delete(CG).where(CG.c.at < now - GUESS_WINDOW))  # stays small
        return int(
            session.execute(
                insert(CG).values(source=source, at=now).returning(CG.c.id)
            ).scalar_one()
        )


def code_guess_done(deps: Deps, guess_id: int) -> None:
    """The lookup found its booking (or failed for another reason): it was no wrong code."""
    with unit_of_work(deps) as uow:
        session = uow.session
        session.execute(delete(CG).where(CG.c.id == guess_id))
