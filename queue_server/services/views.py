"""Read models: what screens, phones and the API are shown. No personal data leaves here."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, func, literal, null, or_, select, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..domain import policy
from ..domain.errors import InvalidInput, NotFound
from ..domain.model import (
    PRIORITY_NAMES,
    WINDOW_TYPE_NAMES,
    Category,
    Clerk,
    Hall,
    Priority,
    QueueRules,
    ServiceRecord,
    Ticket,
    TicketState,
    WaitingTicket,
    Window,
    WindowStatus,
)
from ..domain.numbering import service_day
from ..store import tables
from ..store.db import CONFIG_GENERATION, wrote_settings
from ..store.statements import DriverStatement
from .bus import Message
from .versions import settings_version

T = tables.tickets
C = tables.categories
W = tables.windows
SR = tables.service_records


def iso(value: datetime | None) -> str | None:
    """A datetime as ISO 8601 (UTC), or None."""
    return value.isoformat() if value is not None else None


def hall_view(hall: Hall) -> dict[str, Any]:
    """A hall as the public sees it."""
    return {
        "id": hall.id,
        "name": hall.name,
        "name_en": hall.name_en,
        "kind": hall.kind.value,
        "parent_id": hall.parent_id,
        "timezone": hall.timezone,
    }


def category_view(category: Category) -> dict[str, Any]:
    """A category without its live figures."""
    return {
        "id": category.id,
        "prefix": category.prefix,
        "name": category.name,
        "name_en": category.name_en,
        "daily_cap": category.daily_cap,
        "target_wait_minutes": category.target_wait_minutes,
    }


def clerk_public_view(clerk: Clerk | None) -> dict[str, Any] | None:
    """What a window display shows of the clerk on duty (工作人员座牌: public by rule)."""
    if clerk is None:
        return None
    return {
        "name": clerk.name,
        "staff_no": clerk.staff_no,
        "department": clerk.department,
        "photo_url": clerk.photo_url,
    }


def get_hall(session: Session, hall_id: int) -> Hall:
    """A hall by id, or a 404."""
    hall = session.get(Hall, hall_id)
    if hall is None:
        raise NotFound("找不到该服务大厅", "No such hall")
    return hall


def today(hall: Hall, now: datetime) -> Any:
    """The hall's current service day."""
    return service_day(now, hall.timezone, hall.day_starts_at_minute)


WAITING_COLUMNS = (
    T.c.id,
    T.c.hall_id,
    T.c.category_id,
    T.c.number,
    T.c.token,
    T.c.priority,
    T.c.appointment_due_at,
    T.c.sort_key,
    T.c.target_window_id,
    T.c.target_clerk_id,
)


def waiting_tickets(
    session: Session, hall: Hall, now: datetime, category_ids: list[int] | None = None
) -> list[WaitingTicket]:
    """Today's waiting tickets of a hall (or of some categories), oldest first, read lightly."""
    query = select(*WAITING_COLUMNS).where(
        T.c.hall_id == hall.id,
        T.c.state == TicketState.WAITING,
        T.c.service_day == today(hall, now),
    )
    if category_ids is not None:
        query = query.where(T.c.category_id.in_(category_ids))
    return [WaitingTicket(*row) for row in session.execute(query.order_by(T.c.sort_key, T.c.id))]


# Recent service times change slowly; reading them for every ticket would cost more than the
# estimate is worth. Each database object keeps them for a short while per hall.
_AVERAGES_TTL = timedelta(seconds=30)


def _service_time_cache(session: Session) -> dict[int, tuple[datetime, dict[int, list[float]]]]:
    cache: dict[int, tuple[datetime, dict[int, list[float]]]] = session.info.setdefault(
        "cache", {}
    ).setdefault("service_seconds", {})
    return cache


def recent_service_seconds(session: Session, hall_id: int, now: datetime) -> dict[int, list[float]]:
    """The latest service durations per category over the past two weeks, oldest first."""
    cache = _service_time_cache(session)
    cached = cache.get(hall_id)
    if cached is not None and now - _AVERAGES_TTL <= cached[0] <= now:
        return cached[1]
    rows = session.execute(
        select(SR.c.category_id, SR.c.started_at, SR.c.ended_at)
        .where(
            SR.c.hall_id == hall_id,
            SR.c.ended_at >= now - timedelta(days=14),
            SR.c.started_at.is_not(None),
        )
        .order_by(SR.c.ended_at.desc())
        .limit(400)
    ).all()
    seconds: dict[int, list[float]] = defaultdict(list)
    for category_id, started, ended in reversed(rows):
        seconds[category_id].append((ended - started).total_seconds())
    cache[hall_id] = (now, seconds)
    return seconds


def forget_service_times(session: Session, hall_id: int) -> None:
    """Drop the cached service times of a hall (a service just ended)."""
    _service_time_cache(session).pop(hall_id, None)


# -- a hall's settings, read once and kept a moment -------------------------------------------

# The hall row, its categories and its windows change rarely (a manager's edit, a window opened)
# but are read by every ticket issued. Each database object keeps them while the hall's settings
# version (`hall_versions.config`, bumped by the database's triggers on any write to those rows,
# whichever process makes it) stays put: the issuing path reads that version with the hall's
# lock, in the same round trip. Any write through this database object also clears them at once
# (see store/db.py). A hall without a version row yet (before its first change) is kept this
# long only.
CONFIG_SECONDS = 1.0


def _detached(cls: Any, row: Any) -> Any:
    """A domain object built from a row, attached to no session (shared: read it, never change it)."""
    mapping = row._mapping
    return cls(**{f.name: mapping[f.name] for f in fields(cls) if f.name in mapping})


@dataclass
class HallConfig:
    """A hall's settings as the issuing path needs them: the hall, its active categories in
    display order, its windows by number. Shared between requests: read only."""

    hall: Hall
    categories: list[Category]
    windows: list[Window]
    generation: int
    loaded_at: float
    walk_in: dict[datetime, Any] = field(default_factory=dict)
    rows: tuple[Any, ...] = ()  # as read, to tell whether a later read changed anything
    version: int | None = None  # the hall's settings version they were read at
    # The hall's booking rules by scope (`lookups.load_rules`), read when first needed.
    booking_rules: dict[Any, Any] | None = None

    def category(self, ref: Any) -> Category:
        """An active category by prefix (A) or id, with `find_category`'s refusals."""
        by_id, prefix = category_ref(ref)
        for category in self.categories:
            if (by_id is not None and category.id == by_id) or (
                prefix is not None and category.prefix == prefix
            ):
                return category
        raise NotFound("本大厅没有该业务类别", "This hall has no such category")


def category_ref(ref: Any) -> tuple[int | None, str | None]:
    """(id, prefix) a request names a category by; a clear refusal for anything else."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        return ref, None
    if isinstance(ref, str) and ref.strip():
        ref = ref.strip()
        return (int(ref), None) if ref.isascii() and ref.isdigit() else (None, ref.upper())
    raise InvalidInput("请选择业务类别", "Choose a service category")


def hall_config(session: Session, hall_id: int) -> HallConfig:
    """The hall's settings: from the database object's cache while fresh, else read now."""
    cache: dict[str, Any] = session.info.setdefault("cache", {})
    generation = cache.get(CONFIG_GENERATION, 0)
    configs: dict[int, HallConfig] = cache.setdefault("hall_config", {})
    found = configs.get(hall_id)
    now = time.monotonic()
    version = settings_version(session, hall_id)
    if (
        found is not None
        and found.generation == generation
        and found.version == version
        and (version is not None or now - found.loaded_at < CONFIG_SECONDS)
    ):
        return found
    conn = session.connection()
    hall_row = conn.execute(select(tables.halls).where(tables.halls.c.id == hall_id)).first()
    if hall_row is None:
        raise NotFound("找不到该服务大厅", "No such hall")
    category_rows = conn.execute(
        select(C)
        .where(C.c.hall_id == hall_id, C.c.active.is_(True))
        .order_by(C.c.sort_order, C.c.prefix)
    ).all()
    window_rows = conn.execute(select(W).where(W.c.hall_id == hall_id).order_by(W.c.number)).all()
    rows = (tuple(hall_row), *map(tuple, category_rows), None, *map(tuple, window_rows))
    if (
        found is not None
        and found.generation == generation
        and found.version is None
        and version is None
        and found.rows == rows
    ):
        # Nothing changed since: keep the objects and what was worked out from them (this
        # minute's walk-in verdicts, which the booking rules also decide), for CONFIG_SECONDS.
        found.loaded_at = now
        return found
    config = HallConfig(
        hall=_detached(Hall, hall_row),
        categories=[_detached(Category, row) for row in category_rows],
        windows=[_detached(Window, row) for row in window_rows],
        generation=generation,
        loaded_at=now,
        rows=rows,
        version=version,
    )
    # A write that happened while reading bumped the generation: such a read is not kept, nor
    # one by a transaction that wrote the settings itself (not committed: it may roll back).
    if cache.get(CONFIG_GENERATION, 0) == generation and not wrote_settings(conn):
        configs[hall_id] = config
    return config


class QueueStatus:
    """Waiting counts, averages and open windows of one hall at one moment (read lazily)."""

    def __init__(
        self,
        session: Session,
        hall: Hall,
        now: datetime,
        *,
        categories: list[Category] | None = None,
        windows: list[Window] | None = None,
    ) -> None:
        self.session = session
        self.hall = hall
        self.now = now
        self.rules: QueueRules = hall.rules
        # Categories and windows a caller already has (a hall's cached settings) are not re-read.
        self._categories: list[Category] | None = categories
        self._counts: dict[int, int] | None = None
        self._windows: list[Window] | None = windows
        self._waiting: dict[int, list[WaitingTicket]] = {}
        self._all_waiting: list[WaitingTicket] | None = None
        self._connection: Connection | None = None

    @property
    def connection(self) -> Connection:
        """The session's connection, asked for once (the session takes a while to answer)."""
        if self._connection is None:
            self._connection = self.session.connection()
        return self._connection

    @property
    def categories(self) -> list[Category]:
        """The hall's active categories in display order."""
        if self._categories is None:
            self._categories = list(
                self.session.scalars(
                    select(Category)
                    .where(C.c.hall_id == self.hall.id, C.c.active.is_(True))
                    .order_by(C.c.sort_order, C.c.prefix)
                )
            )
        return self._categories

    @property
    def windows(self) -> list[Window]:
        """The hall's windows by number."""
        if self._windows is None:
            self._windows = list(
                self.session.scalars(
                    select(Window).where(W.c.hall_id == self.hall.id).order_by(W.c.number)
                )
            )
        return self._windows

    @property
    def waiting(self) -> list[WaitingTicket]:
        """All of today's waiting tickets of the hall."""
        if self._all_waiting is None:
            self._all_waiting = waiting_tickets(self.session, self.hall, self.now)
        return self._all_waiting

    def counts(self) -> dict[int, int]:
        """Waiting tickets per category today."""
        if self._counts is None:
            rows = _WAITING_COUNTS.rows(
                self.connection,
                {"hall": self.hall.id, "day": today(self.hall, self.now)},
            )
            self._counts = {int(category_id): int(n) for category_id, n in rows}
        return self._counts

    def serving_windows(self, category_id: int) -> int:
        """Open windows that call this category."""
        return sum(
            1 for w in self.windows if w.status == WindowStatus.OPEN and w.serves(category_id)
        )

    def average_minutes(self, category: Category) -> float:
        """Mean of the latest service times in this category."""
        seconds = recent_service_seconds(self.session, self.hall.id or 0, self.now)
        return policy.average_service_minutes(
            seconds.get(category.id or 0, []), category.default_service_minutes
        )

    def waiting_in(self, category_id: int) -> list[WaitingTicket]:
        """Today's waiting tickets of one category, oldest first."""
        if self._all_waiting is not None:
            return [t for t in self._all_waiting if t.category_id == category_id]
        if category_id not in self._waiting:
            self._waiting[category_id] = waiting_tickets(
                self.session, self.hall, self.now, [category_id]
            )
        return self._waiting[category_id]

    def serving_share(self, category_id: int, new_ticket: bool = False) -> float:
        """Windows' worth of calling this category gets (`policy.window_shares`)."""
        counts = self.counts()
        if new_ticket:
            counts = {**counts, category_id: counts.get(category_id, 0) + 1}
        return policy.window_shares(category_id, self.windows, counts, self.rules)

    def estimate_for_new(self, category: Category) -> int:
        """Minutes a ticket taken now would wait."""
        return policy.estimated_wait_minutes(
            self.counts().get(category.id or 0, 0),
            self.average_minutes(category),
            self.serving_share(category.id or 0, new_ticket=True),
        )

    def position_of(self, ticket: policy.Queued) -> tuple[int, int]:
        """(people ahead, estimated minutes) of a waiting ticket."""
        category = next((c for c in self.categories if c.id == ticket.category_id), None)
        if ticket.category_id in self._waiting or self._all_waiting is not None:
            ahead = policy.people_ahead(
                ticket, self.waiting_in(ticket.category_id), self.rules, self.now
            )
        else:
            ahead = self.count_ahead(ticket)
        average = self.average_minutes(category) if category else 6.0
        return ahead, policy.estimated_wait_minutes(
            ahead, average, self.serving_share(ticket.category_id)
        )

    def count_ahead(self, ticket: policy.Queued) -> int:
        """People ahead of a ticket, counted by the database (same order as the policy)."""
        lead = timedelta(minutes=self.rules.appointment_lead_minutes)
        params = {
            "hall": self.hall.id,
            "category": ticket.category_id,
            "day": today(self.hall, self.now),
            "ticket": ticket.id or 0,
            "due_by": self.now + lead,
            "mine": ticket.rank(self.now, self.rules),
            "key": ticket.sort_key,
        }
        if self._counts is not None:
            return int(_AHEAD.scalar(self.connection, params) or 0)
        # The estimate needs the waiting counts too: both in one round trip.
        ahead = 0
        counts: dict[int, int] = {}
        for category_id, n, is_ahead in _AHEAD_AND_COUNTS.rows(self.connection, params):
            if is_ahead:
                ahead = int(n or 0)
            else:
                counts[int(category_id)] = int(n)
        self._counts = counts
        return ahead

    def categories_view(self) -> list[dict[str, Any]]:
        """Every active category with its live waiting count and estimated wait."""
        counts = self.counts()
        return [
            {
                **category_view(c),
                "waiting": counts.get(c.id or 0, 0),
                "estimated_wait_minutes": self.estimate_for_new(c),
                "open_windows": self.serving_windows(c.id or 0),
            }
            for c in self.categories
        ]


_WAITING_COUNTS = DriverStatement(
    select(T.c.category_id, func.count())
    .where(
        T.c.hall_id == bindparam("hall"),
        T.c.state == TicketState.WAITING,
        T.c.service_day == bindparam("day", type_=T.c.service_day.type),
    )
    .group_by(T.c.category_id)
)


def _ahead_statement() -> Any:
    """People ahead of a ticket in its queue: built once, its values bound per call."""
    ticket: Any = bindparam("ticket")
    mine: Any = bindparam("mine")
    key: Any = bindparam("key")
    rank = case(
        (T.c.appointment_due_at <= bindparam("due_by", type_=T.c.appointment_due_at.type), 0),
        (T.c.priority != Priority.NONE.value, 1),
        else_=2,
    )
    return select(func.count()).where(
        T.c.hall_id == bindparam("hall"),
        T.c.category_id == bindparam("category"),
        T.c.state == TicketState.WAITING,
        T.c.service_day == bindparam("day", type_=T.c.service_day.type),
        T.c.id != ticket,
        or_(
            rank < mine,
            and_(rank == mine, or_(T.c.sort_key < key, and_(T.c.sort_key == key, T.c.id < ticket))),
        ),
    )


_AHEAD = DriverStatement(_ahead_statement())
# The same and the waiting counts per category in one round trip (a ticket just issued needs
# both): rows (category, count, False) and one (None, people ahead, True).
_AHEAD_AND_COUNTS = DriverStatement(
    union_all(
        select(T.c.category_id, func.count(), literal(False))
        .where(
            T.c.hall_id == bindparam("hall"),
            T.c.state == TicketState.WAITING,
            T.c.service_day == bindparam("day", type_=T.c.service_day.type),
        )
        .group_by(T.c.category_id),
        select(null(), _ahead_statement().scalar_subquery(), literal(True)),
    )
)


def ticket_view(
    ticket: Ticket,
    category: Category | None,
    window: Window | None = None,
    *,
    status: QueueStatus | None = None,
    include_token: bool = False,
    rules: QueueRules | None = None,
) -> dict[str, Any]:
    """A ticket as its holder, a screen or a clerk sees it: never the phone number."""
    view: dict[str, Any] = {
        "id": ticket.id,
        "number": ticket.number,
        "state": ticket.state.value,
        "priority": ticket.priority.value,
        "priority_name": PRIORITY_NAMES[ticket.priority][0],
        "category": category_view(category) if category else None,
        "service_day": ticket.service_day.isoformat(),
        "issued_at": iso(ticket.issued_at),
        "called_at": iso(ticket.called_at),
        "last_called_at": iso(ticket.last_called_at),
        "started_at": iso(ticket.started_at),
        "finished_at": iso(ticket.finished_at),
        "times_called": ticket.times_called,
        "outcome": ticket.outcome.value if ticket.outcome else None,
        "appointment": ticket.appointment_id is not None,
        "transferred": ticket.target_window_id is not None or ticket.target_clerk_id is not None,
        "window": window_brief(window) if window else None,
        "position": None,
        "estimated_wait_minutes": None,
    }
    if rules is not None:
        allowed = ticket.no_show_allowed_at(rules)
        view["no_show_allowed_at"] = iso(allowed)
    if status is not None and ticket.state == TicketState.WAITING:
        ahead, minutes = status.position_of(ticket)
        view["position"] = ahead
        view["estimated_wait_minutes"] = minutes
    if include_token:
        view["token"] = ticket.token
    return view


def window_brief(window: Window) -> dict[str, Any]:
    """Number and name of a window, for call announcements."""
    return {"id": window.id, "number": window.number, "name": window.name}


def window_view(session: Session, window: Window) -> dict[str, Any]:
    """A window as its display and the lobby screen show it."""
    return window_views(session, [window])[0]


def window_views(session: Session, windows: list[Window]) -> list[dict[str, Any]]:
    """Windows as `window_view` shows them, read together: three queries for any number of
    windows (a hall's snapshot, read again by every screen of a city after a restart)."""
    clerk_ids = {w.active_clerk_id for w in windows if w.active_clerk_id}
    clerks = (
        {c.id: c for c in session.scalars(select(Clerk).where(tables.clerks.c.id.in_(clerk_ids)))}
        if clerk_ids
        else {}
    )
    current: dict[int, Ticket] = {}
    if windows:
        for ticket in session.scalars(
            select(Ticket).where(
                T.c.window_id.in_([w.id for w in windows]),
                T.c.state.in_([TicketState.CALLED, TicketState.SERVING]),
            )
        ):
            current.setdefault(ticket.window_id or 0, ticket)
    category_ids = {c for w in windows for c in w.category_ids}
    names = (
        dict(
            session.execute(
                select(tables.categories.c.id, tables.categories.c.name).where(
                    tables.categories.c.id.in_(category_ids)
                )
            ).all()
        )
        if category_ids
        else {}
    )
    return [
        _window_view(
            w,
            clerks.get(w.active_clerk_id) if w.active_clerk_id else None,
            current.get(w.id or 0),
            [names[c] for c in w.category_ids if c in names],
        )
        for w in windows
    ]


def _window_view(
    window: Window, clerk: Clerk | None, current: Ticket | None, category_names: list[str]
) -> dict[str, Any]:
    type_zh, type_en = WINDOW_TYPE_NAMES[window.type]
    return {
        "id": window.id,
        "hall_id": window.hall_id,
        "number": window.number,
        "name": window.name,
        "type": window.type.value,
        "type_name": type_zh,
        "type_name_en": type_en,
        "status": window.status.value,
        "pause_reason": window.pause_reason,
        "category_ids": list(window.category_ids),
        "category_names": category_names,
        "clerk": clerk_public_view(clerk),
        "current": {
            "number": current.number,
            "state": current.state.value,
            "category_id": current.category_id,
            "times_called": current.times_called,
            "called_at": iso(current.called_at),
        }
        if current
        else None,
    }


def recent_calls(
    session: Session, hall: Hall, now: datetime, limit: int = 8
) -> list[dict[str, Any]]:
    """The latest calls of today, newest first, as the lobby screen lists them."""
    rows = session.execute(
        select(Ticket, Window)
        .join(Window, W.c.id == T.c.window_id)
        .where(
            T.c.hall_id == hall.id,
            T.c.service_day == today(hall, now),
            T.c.last_called_at.is_not(None),
        )
        .order_by(T.c.last_called_at.desc())
        .limit(limit)
    ).all()
    return [call_payload(ticket, window) for ticket, window in rows]


def call_payload(
    ticket: Ticket, window: Window, category: Category | None = None
) -> dict[str, Any]:
    """The public content of a `ticket_called` event."""
    payload = {
        "number": ticket.number,
        "category_id": ticket.category_id,
        "window_id": window.id,
        "window_number": window.number,
        "window_name": window.name,
        "times_called": ticket.times_called,
        "called_at": iso(ticket.last_called_at),
        "state": ticket.state.value,
        # Identifies this call event, so screens announce each call (and each recall) once.
        "call_id": f"{ticket.id}-{ticket.times_called}-{iso(ticket.called_at)}",
    }
    if category is not None:
        payload["category_name"] = category.name
        payload["category_name_en"] = category.name_en
    return payload


def hall_snapshot(session: Session, hall: Hall, now: datetime) -> dict[str, Any]:
    """Everything a lobby screen or kiosk needs to draw a hall from scratch."""
    status = QueueStatus(session, hall, now)
    return {
        "hall": {**hall_view(hall), "notice": hall.notice},
        "service_day": today(hall, now).isoformat(),
        "categories": status.categories_view(),
        "windows": window_views(session, status.windows),
        "recent_calls": recent_calls(session, hall, now),
        "server_time": iso(now),
    }


def window_snapshot(session: Session, window: Window, now: datetime) -> dict[str, Any]:
    """Everything a window display needs."""
    hall = get_hall(session, window.hall_id)
    return {
        "hall": hall_view(hall),
        "window": window_view(session, window),
        "server_time": iso(now),
    }


def queue_changed(status: QueueStatus) -> Message:
    """Waiting counts and estimated waits per category, for the hall room."""
    return Message(
        "queue_changed",
        f"hall:{status.hall.id}",
        {"hall": status.hall.id, "categories": status.categories_view()},
    )


def service_record_for(session: Session, ticket: Ticket) -> ServiceRecord | None:
    """The open visit of a ticket at a window."""
    return session.scalars(
        select(ServiceRecord)
        .where(
            SR.c.ticket_id == ticket.id,
            SR.c.ended_at.is_(None),
        )
        .order_by(SR.c.id.desc())
        .limit(1)
    ).first()


def count_today(session: Session, hall: Hall, now: datetime) -> dict[str, int]:
    """Today's tickets of a hall by state."""
    rows = session.execute(
        select(tables.tickets.c.state, func.count())
        .where(
            tables.tickets.c.hall_id == hall.id,
            tables.tickets.c.service_day == today(hall, now),
        )
        .group_by(tables.tickets.c.state)
    ).all()
    return {str(state): int(n) for state, n in rows}
