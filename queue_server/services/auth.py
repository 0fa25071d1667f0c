"""Sign-in of staff, and the tokens of staff and devices."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, insert, literal, null, select, union_all, update

from ..domain.errors import InvalidInput, QueueError, Unauthorized
from ..domain.model import Clerk, Role
from ..store import tables
from ..store.db import ACCOUNTS_GENERATION
from .context import Actor, Deps, audit
from .unit_of_work import unit_of_work

# OWASP's minimum for argon2id: 19 MiB, two passes.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
TOKEN_HOURS = 12


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Whether the password fits the hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    """Tokens are stored only as their SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret() -> str:
    """A fresh bearer token."""
    return secrets.token_urlsafe(32)


def clerk_actor(clerk: Clerk) -> Actor:
    """The actor a signed-in clerk acts as."""
    return Actor("clerk", clerk.id, clerk.hall_id, clerk.role, clerk.name)


class PasswordChangeRequired(QueueError):
    """The password is right but was set by an admin's reset: choose a new one first (403)."""

    code = "password_change_required"

    def __init__(self) -> None:
        super().__init__(
            "密码已被管理员重置，请先设置新密码",
            "Your password was reset by an admin; choose a new password first",
        )


_dummy: list[str] = []


def _dummy_hash() -> str:
    """A hash no password fits: checked for unknown staff numbers, so that refusing one takes
    as long as refusing a known one (no guessing staff numbers by timing)."""
    if not _dummy:
        _dummy.append(hash_password(new_secret()))
    return _dummy[0]


def check_sign_in_input(staff_no: Any, password: Any) -> tuple[str, str]:
    """Refuse a sign-in that names no staff number or password (no password is checked)."""
    if not isinstance(staff_no, str) or not isinstance(password, str) or not staff_no.strip():
        raise InvalidInput("请输入工号和密码", "Enter your staff number and password")
    return staff_no, password


def _check_credentials(deps: Deps, sent_staff_no: Any, sent_password: Any) -> Clerk:
    """The active clerk whose staff number and password these are; one hash check either way."""
    staff_no, password = check_sign_in_input(sent_staff_no, sent_password)
    if len(staff_no) > 32 or len(password) > 128:
        raise Unauthorized("工号或密码不正确", "Wrong staff number or password")
    with deps.db.reading() as session:
        clerk = session.scalars(
            select(Clerk).where(tables.clerks.c.staff_no == staff_no.strip())
        ).first()
        if clerk is not None:
            session.expunge(clerk)  # kept as read, for the sign-in to come
    # The slow hash check runs outside any transaction, and for unknown staff numbers too.
    matches = password_matches(clerk.password_hash if clerk else _dummy_hash(), password)
    if clerk is None or not clerk.active or not matches:
        raise Unauthorized("工号或密码不正确", "Wrong staff number or password")
    return clerk


def _sign_in(deps: Deps, session: Any, clerk: Clerk, action: str) -> dict[str, Any]:
    """Hand out a bearer token (it also backs the session cookie) and audit the sign-in."""
    now = deps.clock.now()
    token = new_secret()
    session.execute(
        insert(tables.auth_tokens).values(
            clerk_id=clerk.id,
            token_hash=token_digest(token),
            created_at=now,
            expires_at=now + timedelta(hours=TOKEN_HOURS),
        )
    )
    session.execute(delete(tables.auth_tokens).where(tables.auth_tokens.c.expires_at < now))
    audit(
        session,
        at=now,
        actor=clerk_actor(clerk),
        action=action,
        hall_id=clerk.hall_id,
        subject=clerk.staff_no,
    )
    return {"token": token, "clerk": clerk_self_view(clerk), "expires_in": TOKEN_HOURS * 3600}


def login(deps: Deps, staff_no: Any, password: Any) -> dict[str, Any]:
    """Check a staff number and password; hand out a bearer token."""
    clerk = _check_credentials(deps, staff_no, password)
    if clerk.must_change_password:
        raise PasswordChangeRequired()
    with unit_of_work(deps) as uow:
        session = uow.session
        return _sign_in(deps, session, clerk, "auth.login")


def change_password(deps: Deps, staff_no: Any, password: Any, new_password: Any) -> dict[str, Any]:
    """A member of staff sets their own password (the current one proves who they are); every
    other sign-in of theirs ends, and they are signed in afresh."""
    if not isinstance(staff_no, str) or not isinstance(new_password, str):
        raise InvalidInput("请输入新密码", "Enter a new password")
    check_password_rules(staff_no.strip(), new_password)
    clerk = _check_credentials(deps, staff_no, password)
    if password_matches(clerk.password_hash, new_password):
        raise InvalidInput(
            "新密码不能与当前密码相同", "Choose a password other than the current one"
        )
    new_hash = hash_password(new_password)
    with unit_of_work(deps) as uow:
        session = uow.session
        session.execute(
            update(tables.clerks)
            .where(tables.clerks.c.id == clerk.id)
            .values(password_hash=new_hash, must_change_password=False)
        )
        revoke_sign_ins(session, clerk.id or 0)
        return _sign_in(deps, session, clerk, "auth.change_password")


MIN_PASSWORD = 10
_COMMON_PASSWORDS = Path(__file__).resolve().parent / "common_passwords.txt"
_common: set[str] = set()


def common_passwords() -> set[str]:
    """The shipped list of passwords too common to allow (lower case)."""
    if not _common:
        lines = _COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
        _common.update(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))
    return _common


def check_password_rules(staff_no: str, password: str) -> None:
    """Refuse a password shorter than 10 characters, equal to the staff number, or common."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"密码至少 {MIN_PASSWORD} 位", f"A password has at least {MIN_PASSWORD} characters"
        )
    if len(password) > 128:
        raise InvalidInput("密码最多 128 位", "A password has at most 128 characters")
    if staff_no and password.strip().lower() == staff_no.strip().lower():
        raise InvalidInput("密码不能与工号相同", "The password cannot be your staff number")
    if password.lower() in common_passwords():
        raise InvalidInput(
            "密码过于常见，请换一个不易猜到的密码",
            "This password is too common; choose one that is hard to guess",
        )


def revoke_sign_ins(session: Any, clerk_id: int) -> None:
    """End every sign-in of a member of staff: their tokens and session cookies stop working on
    every process at once."""
    session.execute(delete(tables.auth_tokens).where(tables.auth_tokens.c.clerk_id == clerk_id))


def staff_number(deps: Deps, clerk_id: int | None) -> str:
    """The staff number of a member of staff."""
    with deps.db.reading() as session:
        return str(
            session.scalar(select(tables.clerks.c.staff_no).where(tables.clerks.c.id == clerk_id))
            or ""
        )


def clerk_self_view(clerk: Clerk) -> dict[str, Any]:
    """What a signed-in person sees of themselves."""
    return {
        "id": clerk.id,
        "staff_no": clerk.staff_no,
        "name": clerk.name,
        "role": clerk.role.value,
        "hall_id": clerk.hall_id,
        "department": clerk.department,
    }


def logout(deps: Deps, token: str) -> None:
    """Forget a bearer token."""
    with unit_of_work(deps) as uow:
        session = uow.session
        session.execute(
            delete(tables.auth_tokens).where(tables.auth_tokens.c.token_hash == token_digest(token))
        )


def _token_owner_statement() -> Any:
    """Whose token a digest is, a clerk's or a device's, in one query (every request asks)."""
    digest: Any = bindparam("digest")
    tokens, clerks, devices = tables.auth_tokens, tables.clerks, tables.devices
    return union_all(
        select(
            literal("clerk").label("owner"),
            clerks.c.id.label("id"),
            tokens.c.expires_at.label("at"),
            clerks.c.hall_id.label("hall_id"),
            null().label("kind"),
            clerks.c.role.label("role"),
            clerks.c.name.label("name"),
            clerks.c.active.label("active"),
        )
        .join(clerks, clerks.c.id == tokens.c.clerk_id)
        .where(tokens.c.token_hash == digest),
        select(
            literal("device"),
            devices.c.id,
            devices.c.last_seen_at,
            devices.c.hall_id,
            devices.c.kind,
            null(),
            null(),
            null(),
        ).where(devices.c.token_hash == digest),
    )


_TOKEN_OWNER = _token_owner_statement()
# A token's owner is kept this long: a kiosk sends one with every ticket. A write to tokens,
# clerks or devices in this process forgets them all at once; one made by another process of
# the deployment (a token revoked there) is seen here within this time.
TOKEN_SECONDS = 1.0
_OWNERS = "token_owners"


def _token_owner(deps: Deps, digest: str) -> Any:
    """The row of `_TOKEN_OWNER` for a token digest, None for an unknown token."""
    cache = deps.db.cache
    generation = cache.get(ACCOUNTS_GENERATION, 0)
    owners: dict[str, tuple[int, float, Any]] = cache.setdefault(_OWNERS, {})
    found = owners.get(digest)
    now = time.monotonic()
    if found is not None and found[0] == generation and now < found[1]:
        return found[2]
    rows = deps.db.read_rows(_TOKEN_OWNER, {"digest": digest})
    if not rows:
        return None  # unknown tokens are not kept: nobody fills the cache with guesses
    if len(owners) > 10_000:
        owners.clear()
    if cache.get(ACCOUNTS_GENERATION, 0) == generation:  # no write while reading
        owners[digest] = (generation, now + TOKEN_SECONDS, rows[0])
    return rows[0]


def actor_for_token(deps: Deps, token: str) -> Actor | None:
    """The staff member or device a bearer token belongs to, if it is valid."""
    if not token or len(token) > 200:
        return None
    row = _token_owner(deps, token_digest(token))
    if row is None:
        return None
    if row.owner == "clerk":
        if row.at <= deps.clock.now() or not row.active:
            return None
        return Actor("clerk", row.id, row.hall_id, Role(row.role), row.name)
    # The device health job raises an alarm for a device that stops getting in touch.
    from .jobs import note_device_seen

    note_device_seen(deps, row.id, row.at)
    return Actor("device", row.id, row.hall_id, device_kind=row.kind)


def actor_for_session(deps: Deps, clerk_id: Any, token: Any) -> Actor | None:
    """The staff member of a session cookie, if its sign-in still stands. Read from the database
    on every request, never from a cache: a sign-out, a password change or reset, or a
    deactivation on any process ends the cookie everywhere at once."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    rows = deps.db.read_rows(_TOKEN_OWNER, {"digest": token_digest(token)})
    row = rows[0] if rows else None
    if row is None or row.owner != "clerk" or row.id != clerk_id:
        return None
    if row.at <= deps.clock.now() or not row.active:
        return None
    return Actor("clerk", row.id, row.hall_id, Role(row.role), row.name)


def actor_for_clerk(deps: Deps, clerk_id: int, session: Any = None) -> Actor | None:
    """The actor of an active clerk by id."""
    if session is None:
        with deps.db.reading() as own:
            return actor_for_clerk(deps, clerk_id, own)
    clerk = session.get(Clerk, clerk_id)
    if clerk is None or not clerk.active:
        return None
    return clerk_actor(clerk)


def register_device(
    deps: Deps,
    hall_id: int,
    kind: str,
    name: str,
    config: dict[str, Any] | None = None,
    window_id: int | None = None,
) -> tuple[int, str]:
    """Add a device (kiosk, printer, board, evaluator, screen); returns its id and token."""
    if kind not in ("kiosk", "printer", "board", "evaluator", "screen"):
        raise InvalidInput("未知设备类型", "Unknown device kind")
    token = new_secret()
    with unit_of_work(deps) as uow:
        session = uow.session
        device_id = session.execute(
            insert(tables.devices)
            .values(
                hall_id=hall_id,
                kind=kind,
                name=name,
                token_hash=token_digest(token),
                config=config or {},
                window_id=window_id,
                health={},
            )
            .returning(tables.devices.c.id)
        ).scalar_one()
    return int(device_id), token


def rotate_device_token(deps: Deps, actor: Actor, device_id: int) -> str:
    """Give a device a new token; the old one stops working at once."""
    token = new_secret()
    now: datetime = deps.clock.now()
    with unit_of_work(deps) as uow:
        session = uow.session
        hall_id = session.scalar(
            select(tables.devices.c.hall_id).where(tables.devices.c.id == device_id)
        )
        if hall_id is None:
            from ..domain.errors import NotFound

            raise NotFound("找不到该设备", "No such device")
        session.execute(
            update(tables.devices)
            .where(tables.devices.c.id == device_id)
            .values(token_hash=token_digest(token))
        )
        audit(
            session,
            at=now,
            actor=actor,
            action="device.rotate_token",
            hall_id=int(hall_id),
            subject=f"device {device_id}",
        )
    return token
