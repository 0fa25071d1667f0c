"""Socket.IO namespace /live: rooms per hall, window and ticket; a snapshot, then events."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, request
from flask_socketio import SocketIO, disconnect, emit, join_room, leave_room, rooms
from sqlalchemy import select

from .domain.errors import InvalidInput, NotFound, QueueError, in_english
from .domain.model import Window
from .http import current_actor, deps
from .services import case_desk, versions, views
from .services import queue as q
from .services.bus import Message
from .services.context import Deps
from .store import tables
from .store.db import CONFIG_GENERATION

NAMESPACE = "/live"
socketio = SocketIO()

# A late joiner must get its snapshot before any event of its room: joining and sending the
# snapshot happen under the same lock that local publishing takes, and only if nothing was
# published since the snapshot was read.
_publish_lock = threading.RLock()
# Bumped by every local publish: a hall snapshot read before it may no longer be true.
_published = 0
# A burst of joins to one hall (every screen reconnecting after a restart) shares a snapshot for
# this long while nothing is published; each join still gets it before any later event.
SNAPSHOT_REUSE_SECONDS = 1.0
_SNAPSHOTS = "hall_snapshots"


# The events a lobby waits for. Within one change (call-next finishes a ticket, calls the next
# and changes the window), a call goes out first and the rest once every connection has
# written it: a call to a thousand screens is not queued behind their other updates. The
# final state still comes last (`window_changed` after the call).
URGENT = frozenset({"ticket_called", "ticket_recalled"})


def publish(messages: list[Message]) -> None:
    """Send committed messages to their rooms (through Redis when running at scale)."""
    global _published
    urgent = [m for m in messages if m.event in URGENT]
    rest = [m for m in messages if m.event not in URGENT] if urgent else messages
    with _publish_lock:
        _published += 1
        for message in urgent:
            _emit(message)
        if urgent and rest:
            _let_writers_run()
        for message in rest:
            _emit(message)


def _emit(message: Message) -> None:
    socketio.emit(message.event, message.payload, to=message.room, namespace=NAMESPACE)


def _let_writers_run() -> None:
    """Under gevent, let the connections' writer greenlets send what is queued for them."""
    if socketio.async_mode == "gevent":
        import gevent

        gevent.sleep(0)


def _error(code: str, message: str, message_en: str) -> dict[str, Any]:
    return {"error": code, "message": message, "message_en": message_en}


# One client may not flood the server: at most this many messages in the sliding window, and
# at most this many rooms at once (a screen needs one or two).
FLOOD_MESSAGES = 30
FLOOD_SECONDS = 10.0
MAX_ROOMS = 8
_recent: dict[str, deque[float]] = defaultdict(deque)


def flooding(sid: str) -> bool:
    """Record a message from `sid`; true when it sent too many lately."""
    now = time.monotonic()
    recent = _recent[sid]
    recent.append(now)
    while recent and recent[0] < now - FLOOD_SECONDS:
        recent.popleft()
    return len(recent) > FLOOD_MESSAGES


def guard() -> bool:
    """Disconnect a flooding client; true when the message may be handled."""
    sid = request.sid  # type: ignore[attr-defined]
    if flooding(sid):
        emit(
            "error",
            _error("too_many", "请求过于频繁，连接已断开", "Too many messages; disconnected"),
        )
        disconnect()
        return False
    return True


@socketio.on("disconnect", namespace=NAMESPACE)
def on_disconnect(*_: Any) -> None:
    """Forget a client's message history."""
    _recent.pop(request.sid, None)  # type: ignore[attr-defined]


def _positive_id(kind: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        raise InvalidInput("编号须为正整数", f"{kind} must be a positive integer id")
    return value


def _one_room(data: Any) -> tuple[str, Any]:
    if not isinstance(data, dict) or len(data) != 1:
        raise InvalidInput(
            "加入请求须为 {hall: id}、{window: id}、{ticket: token}、{backoffice: id} 或 "
            "{case: token} 之一",
            "join takes exactly one of {hall: id}, {window: id}, {ticket: token}, "
            "{backoffice: id} or {case: token}",
        )
    ((kind, value),) = data.items()
    return kind, value


def room_snapshot(data: Any) -> tuple[str, dict[str, Any]]:
    """The room a `join` asks for and its snapshot; a clear error for anything else.

    Hall and window snapshots carry their hall's `version` as it was before they were read.
    """
    kind, value = _one_room(data)
    d = deps()
    now = d.clock.now()
    if kind == "hall":
        return f"hall:{value}", shared_hall_snapshot(d, _positive_id(kind, value), now)
    if kind == "window":
        value = _positive_id(kind, value)
        with d.db.reading() as session:
            window = session.scalars(select(Window).where(Window.id == value)).first()  # type: ignore[arg-type]
            if window is None:
                raise NotFound("找不到该窗口", "No such window")
            version = versions.current(session, window.hall_id)
            snapshot = views.window_snapshot(session, window, now)
            return f"window:{value}", {**snapshot, "version": version}
    if kind in ("backoffice", "case"):
        return case_desk.live_room(d, current_actor(), kind, value)
    if kind == "ticket":
        if not isinstance(value, str):
            raise InvalidInput("号码凭据须为字符串", "ticket must be a token string")
        return f"ticket:{value}", {"ticket": q.ticket_status(d, value)}
    raise InvalidInput("未知的房间类型", f"Unknown room kind: {in_english(kind)}")


def shared_hall_snapshot(d: Deps, hall_id: int, now: datetime) -> dict[str, Any]:
    """A hall's snapshot, shared by joins close together while the hall stays as it was.

    Every change a hall's screens hear of moves its version (`services/versions.py`) in the
    database, whichever process made it; a snapshot is shared while that version, this
    process's own publishing (`_published`) and its settings writes (`CONFIG_GENERATION`)
    stay put, for at most `SNAPSHOT_REUSE_SECONDS` by the clock and the hall's clock. Every
    screen reconnecting after a restart, on any number of processes, reads the hall's version
    (one row) rather than its whole state, and while one join reads the state the others of
    that hall wait for it instead of reading it too. No lock is held while reading.
    """
    shared = d.db.cache.setdefault(_SNAPSHOTS, {})
    for _ in range(20):
        with d.db.reading() as session:
            hall_version = versions.current(session, hall_id)
        version = (hall_version, _published, d.db.cache.get(CONFIG_GENERATION, 0))
        found = shared.get(hall_id)
        if found is not None:
            taken_version, taken, taken_now, snapshot = found
            if (
                taken_version == version
                and time.monotonic() - taken < SNAPSHOT_REUSE_SECONDS
                and timedelta(0) <= now - taken_now < timedelta(seconds=SNAPSHOT_REUSE_SECONDS)
            ):
                return {**snapshot, "server_time": views.iso(now)}
        with _reading_lock:
            reading = _reading.get(hall_id)
            if reading is None:
                reading = _reading[hall_id] = threading.Event()
                break
        reading.wait(5)  # another join reads this hall now: share what it reads
    else:
        reading = None
    try:
        with d.db.reading() as session:
            snapshot = views.hall_snapshot(session, views.get_hall(session, hall_id), now)
        snapshot["version"] = hall_version
        shared[hall_id] = (version, time.monotonic(), now, snapshot)
        return snapshot
    finally:
        if reading is not None:
            with _reading_lock:
                _reading.pop(hall_id, None)
            reading.set()


# The halls whose snapshot a join is reading now (the others wait for it): guarded by a lock
# that is never held while reading.
_reading: dict[int, threading.Event] = {}
_reading_lock = threading.Lock()


def room_version(data: Any) -> int:
    """The version of the hall a hall or window room belongs to (what `check` answers)."""
    kind, value = _one_room(data)
    if kind not in ("hall", "window"):
        raise NotFound("只有大厅和窗口有版本号", "Only hall and window rooms have a version")
    value = _positive_id(kind, value)
    with deps().db.reading() as session:
        if kind == "hall":
            return versions.current(session, value)
        hall_id = session.scalar(
            select(tables.windows.c.hall_id).where(tables.windows.c.id == value)
        )
        if hall_id is None:
            raise NotFound("找不到该窗口", "No such window")
        return versions.current(session, int(hall_id))


@socketio.on("join", namespace=NAMESPACE)
def on_join(data: Any) -> dict[str, Any]:
    """Join a room: the snapshot comes first, then the room's events."""
    if not guard():
        return {"ok": False, **_error("too_many", "请求过于频繁", "Too many messages")}
    if len(rooms()) > MAX_ROOMS:  # its own sid counts as one room
        reply = _error("too_many_rooms", "加入的房间过多", f"At most {MAX_ROOMS} rooms per client")
        emit("error", reply)
        return {"ok": False, **reply}
    try:
        # The snapshot is read without holding up publishing; it is sent, and the room joined,
        # under the lock only if nothing was published here meanwhile (else it is read again),
        # so it still comes before any later event of the room.
        for _ in range(JOIN_TRIES):
            published = _published
            room, snapshot = room_snapshot(data)
            with _publish_lock:
                if published == _published:
                    _join(room, snapshot)
                    break
        else:
            with _publish_lock:  # a hall too busy to slip in between its events
                room, snapshot = room_snapshot(data)
                _join(room, snapshot)
    except QueueError as error:
        reply = _error(error.code, error.message, error.message_en)
        emit("error", reply)
        return {"ok": False, **reply}
    return {"ok": True, "room": room}


def _join(room: str, snapshot: dict[str, Any]) -> None:
    join_room(room)
    # Straight to this connection, never through the message queue: it is here.
    emit("snapshot", {"room": room, **snapshot}, ignore_queue=True)


# How often a join reads its snapshot again because something was published meanwhile, before
# it reads under the publishing lock.
JOIN_TRIES = 3


@socketio.on("check", namespace=NAMESPACE)
def on_check(data: Any) -> dict[str, Any]:
    """A screen's periodic question: {hall: id} or {window: id} → the hall's version now. A
    screen whose version differs missed something and joins again for a fresh snapshot."""
    if not guard():
        return {"ok": False, **_error("too_many", "请求过于频繁", "Too many messages")}
    try:
        return {"ok": True, "version": room_version(data)}
    except QueueError as error:
        return {"ok": False, **_error(error.code, error.message, error.message_en)}


@socketio.on("leave", namespace=NAMESPACE)
def on_leave(data: Any) -> dict[str, Any]:
    """Leave a room joined before."""
    if not guard():
        return {"ok": False, **_error("too_many", "请求过于频繁", "Too many messages")}
    if isinstance(data, dict) and len(data) == 1:
        ((kind, value),) = data.items()
        if kind in ("hall", "window", "ticket", "backoffice", "case"):
            leave_room(f"{kind}:{value}")
            return {"ok": True}
    return {"ok": False, **_error("invalid", "离开请求无效", "Invalid leave request")}


@socketio.on_error(NAMESPACE)
def on_error(error: Exception) -> None:
    """An unexpected failure in a handler is reported to that client only."""
    from flask import current_app

    current_app.logger.warning("socket handler failed for %s: %r", request.sid, error)  # type: ignore[attr-defined]
    emit("error", _error("internal", "处理请求时出错", "The request could not be handled"))


@socketio.on("*", namespace=NAMESPACE)
def on_unknown(event: str, *args: Any) -> None:
    """Unknown events get an error reply, never a crash."""
    if not guard():
        return
    emit("error", _error("unknown_event", "未知的事件", f"Unknown event: {in_english(event[:40])}"))


def init_app(app: Flask) -> None:
    """Attach Socket.IO to the app and its message queue."""
    # Flask-SocketIO keeps the message queue of an earlier app when the next one has none: an
    # app without a queue must start without one (one process builds several apps in tests).
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config.get("MESSAGE_QUEUE"),
        channel=app.config.get("MESSAGE_QUEUE_CHANNEL") or "hallq",
        cors_allowed_origins=app.config.get("CORS_ORIGINS", []),
        max_http_buffer_size=64 * 1024,
        ping_interval=10,
        ping_timeout=10,
    )
