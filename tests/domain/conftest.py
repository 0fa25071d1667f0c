"""Factories for the domain tests: tickets and windows of one hall on a fixed morning.

Everything happens on Friday 2026-11-27 in Shanghai: tickets are issued from 08:30, one
second apart, and the hall opens at 09:00. No test reads the real clock.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from queue_server.domain.errors import CapacityReached, Conflict, InvalidInput, QueueError
from queue_server.domain.model import Priority, Ticket, Window, WindowStatus, WindowType

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST_ISSUE = datetime(2026, 11, 27, 8, 30, tzinfo=SHANGHAI)
OPENING = datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)
PREFIXES = {1: "A", 2: "B", 3: "C"}  # category id → ticket prefix

# The status code family the API maps each error class to; a test pins both together.
ERROR_CODES = {InvalidInput: "invalid", Conflict: "conflict", CapacityReached: "full"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def fields_of(obj: object) -> dict[str, object]:
    """An object's own fields, without what the store's mapping adds to it."""
    return {k: v for k, v in vars(obj).items() if not k.startswith("_sa_")}


@pytest.fixture
def opening() -> datetime:
    """09:00 in Shanghai: the hall has just opened and every ticket made here is waiting."""
    return OPENING


@pytest.fixture
def make_ticket() -> Callable[..., Ticket]:
    """Issue a waiting ticket: next id, next number of its category, one second after the last.

    Its sort key is its issue time, so tickets are first come, first served unless a test
    passes `sort_key` itself. Any other Ticket field may be given by name.
    """
    ids = itertools.count(1)
    seqs: dict[tuple[int, int], Iterator[int]] = {}

    def make(
        category_id: int = 1,
        *,
        hall_id: int = 1,
        priority: Priority = Priority.NONE,
        sort_key: float | None = None,
        **fields: Any,
    ) -> Ticket:
        ticket_id = next(ids)
        seq = next(seqs.setdefault((hall_id, category_id), itertools.count(1)))
        issued_at = FIRST_ISSUE + timedelta(seconds=ticket_id)
        return Ticket(
            hall_id=hall_id,
            category_id=category_id,
            service_day=issued_at.date(),
            seq=seq,
            number=f"{PREFIXES.get(category_id, 'X')}{seq:03d}",
            token=f"token-{ticket_id}",
            issued_at=issued_at,
            sort_key=issued_at.timestamp() if sort_key is None else sort_key,
            priority=priority,
            id=ticket_id,
            **fields,
        )

    return make


@pytest.fixture
def make_window() -> Callable[..., Window]:
    """A window of hall 1, open by default; window n is staffed by clerk 100 + n."""
    ids = itertools.count(1)

    def make(
        type: WindowType = WindowType.COMPREHENSIVE,
        category_ids: tuple[int, ...] | list[int] = (),
        *,
        status: WindowStatus = WindowStatus.OPEN,
        clerk_id: int | None = None,
        hall_id: int = 1,
        **fields: Any,
    ) -> Window:
        window_id = next(ids)
        if clerk_id is None and status != WindowStatus.CLOSED:
            clerk_id = 100 + window_id
        return Window(
            hall_id=hall_id,
            number=window_id,
            name=f"{window_id}号窗口",
            type=type,
            category_ids=list(category_ids),
            status=status,
            active_clerk_id=clerk_id,
            id=window_id,
            **fields,
        )

    return make


@pytest.fixture
def refused() -> Callable[..., Any]:
    """Expect a refusal: its exact class and code, a Chinese and an English message.

    `zh` and `en` are fragments each message must contain; `unchanged` is an object the
    refusal must leave exactly as it was; `names` are user-given names (a category name in
    Chinese) that may appear inside the English message.
    """

    @contextmanager
    def check(
        error_class: type[QueueError],
        zh: str = "",
        en: str = "",
        *,
        unchanged: object = None,
        names: tuple[str, ...] = (),
    ) -> Iterator[pytest.ExceptionInfo[QueueError]]:
        before = copy.deepcopy(fields_of(unchanged)) if unchanged is not None else None
        with pytest.raises(error_class) as caught:
            yield caught
        error = caught.value
        assert type(error) is error_class
        assert error.code == ERROR_CODES[error_class]
        assert CJK.search(error.message), f"not Chinese: {error.message!r}"
        english = error.message_en
        for name in names:
            english = english.replace(name, "")
        assert not CJK.search(english), f"not English: {error.message_en!r}"
        assert re.search(r"[A-Za-z]{3,}", english), f"not English: {error.message_en!r}"
        assert str(error) == error.message_en
        assert zh in error.message
        first_word = error.message_en.split(" ", 1)[0]
        assert not (first_word.isalpha() and first_word.islower()), (
            f"a sentence starts with a capital: {error.message_en!r}"
        )
        assert en in error.message_en or en[:1].upper() + en[1:] in error.message_en
        if unchanged is not None:
            assert fields_of(unchanged) == before, "a refused request changed the object"

    return check
