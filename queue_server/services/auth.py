"""Sign-in of staff, and the tokens of staff and devices."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, insert, literal, null, select, union_all, update

from ..domain.errors import InvalidInput, Unauthorized
from ..domain.model import Clerk, Role
from ..store import tables
from ..store.db import ACCOUNTS_GENERATION
from .context import Actor, Deps, audit

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


def login(deps: Deps, staff_no: Any, password: Any) -> dict[str, Any]:
    """Check a staff number and password; hand out a bearer token."""
    if not isinstance(staff_no, str) or not isinstance(password, str) or not staff_no.strip():
        raise InvalidInput("请输入工号和密码", "Enter your staff number and password")
    if len(staff_no) > 32 or len(password) > 128:
        raise Unauthorized("工号或密码不正确", "Wrong staff number or password")
    now = deps.clock.now()
    with deps.db.transaction() as session:
        clerk = session.scalars(
            select(Clerk).where(tables.clerks.c.staff_no == staff_no.strip())
        ).first()
        if clerk is None or not clerk.active or not password_matches(clerk.password_hash, password):
            raise Unauthorized("工号或密码不正确", "Wrong staff number or password")
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
            action="auth.login",
            hall_id=clerk.hall_id,
            subject=clerk.staff_no,
        )
        return {"token": token, "clerk": clerk_self_view(clerk), "expires_in": TOKEN_HOURS * 3600}


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
    with deps.db.transaction() as session:
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


def actor_for_clerk(deps: Deps, clerk_id: int, session: Any = None) -> Actor | None:
    """The actor of an active clerk by id (for session cookies)."""
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
    with deps.db.transaction() as session:
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
    with deps.db.transaction() as session:
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
