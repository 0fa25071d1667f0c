"""A hall's version: one number bumped, in the change's own transaction, by every change its
screens are told of. A screen holds the version of the state it shows (from its snapshot and
the events since) and asks now and then for the hall's (`realtime.py`, `version`): when they
differ it missed something (a Redis blip, a network drop without a disconnect, a restart) and
takes a fresh snapshot. Kept in the database, so every process and every restart agrees."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..store import tables
from ..store.db import SETTINGS_VERSIONS
from ..store.statements import DriverStatement
from .bus import Message

V = tables.hall_versions

_BUMP = DriverStatement(
    update(V)
    .where(V.c.hall_id == bindparam("hall"))
    .values(version=V.c.version + 1)
    .returning(V.c.version)
)
_SETTINGS = DriverStatement(select(V.c.config).where(V.c.hall_id == bindparam("hall")))

# Added to the payload of every event a change sends to its hall's rooms.
KEY = "hall_version"


def bump(session: Session, hall_id: int) -> int:
    """Move the hall's version on; the new version."""
    version = _BUMP.scalar(session.connection(), {"hall": hall_id})
    if version is not None:
        return int(version)
    try:
        with session.begin_nested():  # the hall's first change: its row, unless a racer made it
            session.execute(insert(V).values(hall_id=hall_id, version=1))
        return 1
    except IntegrityError:
        return bump(session, hall_id)


def current(session: Session, hall_id: int) -> int:
    """The hall's version now (0 before its first change)."""
    return int(session.scalar(select(V.c.version).where(V.c.hall_id == hall_id)) or 0)


def tag(messages: Iterable[Message], hall_id: int, version: int) -> list[Message]:
    """The messages, those for the hall's screens (its hall and window rooms) saying the hall
    version they bring their room to."""
    return [
        replace(m, payload={**m.payload, KEY: version})
        if m.room == f"hall:{hall_id}" or m.room.startswith("window:")
        else m
        for m in messages
    ]


def settings_version(session: Session, hall_id: int) -> int | None:
    """The hall's settings version (`hall_versions.config`, bumped by triggers on every write
    to the hall's row, categories, windows and booking rules), as this transaction sees it;
    None for a hall that has no version row yet. Read with the hall's lock when the
    transaction took it (store/db.py `lock_hall`), else now."""
    known = session.info.setdefault(SETTINGS_VERSIONS, {})
    if hall_id not in known:
        known[hall_id] = _SETTINGS.scalar(session.connection(), {"hall": hall_id})
    version = known[hall_id]
    return None if version is None else int(version)
