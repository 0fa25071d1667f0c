"""Set-up shared by the console's service tests: demo passwords hashed once, staff actors."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from queue_server.services import auth, demo
from queue_server.services.context import Actor
from queue_server.store import tables

_HASHES: dict[str, str] = {}


@pytest.fixture
def demo_passwords_hashed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's well-known passwords are hashed once per run (argon2 is slow on purpose)."""

    def cached(password: str) -> str:
        if password not in _HASHES:
            _HASHES[password] = auth.hash_password(password)
        return _HASHES[password]

    monkeypatch.setattr(demo, "hash_password", cached)


def staff(deps: Any, staff_no: str) -> Actor:
    """The actor of a member of staff, as their sign-in makes it."""
    with deps.db.reading() as s:
        clerk_id = s.scalar(select(tables.clerks.c.id).where(tables.clerks.c.staff_no == staff_no))
    actor = auth.actor_for_clerk(deps, int(clerk_id))
    assert actor is not None
    return actor
