"""Socket.IO namespace /live: rooms per hall, window and ticket; a snapshot, then events."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, request
from flask_socketio import SocketIO, disconnect, emit, join_room, leave_room, rooms
from sqlalchemy import select

from .domain.errors import NotFound, QueueError, in_english
from .domain.model import Window
from .http import deps
from .services import queue as q
from .services import views
from .services.bus import Message
from .services.context import Deps
from .store.db import CONFIG_GENERATION

NAMESPACE = "/live"
socketio = SocketIO()

# A late joiner must get its snapshot before any event of its room: joining, reading and
# sending the snapshot happen under the same lock that local publishing takes.
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


def room_snapshot(data: Any) -> tuple[str, dict[str, Any]]:
    """The room a `join` asks for and its snapshot; a clear error for anything else."""
    if not isinstance(data, dict) or len(data) != 1:
        raise NotFound(
            "加入请求须为 {hall: id}、{window: id} 或 {ticket: token} 之一",
            "join takes exactly one of {hall: id}, {window: id} or {ticket: token}",
        )
    ((kind, value),) = data.items()
    d = deps()
    now = d.clock.now()
    if kind in ("hall", "window"):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
            raise NotFound("编号须为正整数", f"{kind} must be a positive integer id")
        if kind == "hall":
            return f"hall:{value}", shared_hall_snapshot(d, value, now)
        with d.db.reading() as session:
            window = session.scalars(select(Window).where(Window.id == value)).first()  # type: ignore[arg-type]
            if window is None:
                raise NotFound("找不到该窗口", "No such window")
            return f"window:{value}", views.window_snapshot(session, window, now)
    if kind == "ticket":
        if not isinstance(value, str):
            raise NotFound("找不到该号", "No such ticket")
        return f"ticket:{value}", {"ticket": q.ticket_status(d, value)}
    raise NotFound("未知的房间类型", f"Unknown room kind: {kind}")


def shared_hall_snapshot(d: Deps, hall_id: int, now: datetime) -> dict[str, Any]:
    """A hall's snapshot, shared by joins close together with nothing published in between.

    Only where every event of the deployment passes through `publish` (one process, no message
    queue); with a message queue other processes' events never pass here, so each join reads.
    A write to the hall's settings (`CONFIG_GENERATION`) or a moved clock also ends the sharing.
    The caller holds `_publish_lock`.
    """
    single = not current_app.config.get("MESSAGE_QUEUE")
    shared = d.db.cache.setdefault(_SNAPSHOTS, {})
    version = (_published, d.db.cache.get(CONFIG_GENERATION, 0))
    if single and hall_id in shared:
        taken_version, taken, taken_now, snapshot = shared[hall_id]
        if (
            taken_version == version
            and time.monotonic() - taken < SNAPSHOT_REUSE_SECONDS
            and timedelta(0) <= now - taken_now < timedelta(seconds=SNAPSHOT_REUSE_SECONDS)
        ):
            return {**snapshot, "server_time": views.iso(now)}
    with d.db.reading() as session:
        snapshot = views.hall_snapshot(session, views.get_hall(session, hall_id), now)
    if single:
        shared[hall_id] = (version, time.monotonic(), now, snapshot)
    return snapshot


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
        with _publish_lock:
            room, snapshot = room_snapshot(data)
            join_room(room)
            emit("snapshot", {"room": room, **snapshot})
    except QueueError as error:
        reply = _error(error.code, error.message, error.message_en)
        emit("error", reply)
        return {"ok": False, **reply}
    return {"ok": True, "room": room}


@socketio.on("leave", namespace=NAMESPACE)
def on_leave(data: Any) -> dict[str, Any]:
    """Leave a room joined before."""
    if not guard():
        return {"ok": False, **_error("too_many", "请求过于频繁", "Too many messages")}
    if isinstance(data, dict) and len(data) == 1:
        ((kind, value),) = data.items()
        if kind in ("hall", "window", "ticket"):
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
