"""Screens that heal themselves and a health check that tells the truth: the hall's version
(shared by every process through the database), the sockets' `check`, `/healthz` and the
console monitor when Redis or the database does not answer."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from queue_server.bootstrap import bootstrap
from queue_server.realtime import NAMESPACE
from queue_server.services import auth
from queue_server.services import queue as q
from queue_server.store import tables
from queue_server.store.db import Database

from ..conftest import make_app
from .test_admin_pages import sign_in

# Nothing listens on port 9 (discard): a Redis or PostgreSQL there never answers.
DEAD_REDIS = "redis://127.0.0.1:9/0"


def with_dead_redis(app: Any) -> Any:
    """The app configured with a Redis that never answers. Set after the app is built: the
    process-wide Socket.IO server stays without a message queue for the other tests."""
    app.config["MESSAGE_QUEUE"] = DEAD_REDIS
    return app


def join(sio: Any, room: dict[str, Any]) -> dict[str, Any]:
    sio.get_received(NAMESPACE)  # what came before (a joined room's events) is not the answer
    sio.emit("join", room, namespace=NAMESPACE)
    packet = next(p for p in sio.get_received(NAMESPACE) if p["name"] == "snapshot")
    return packet["args"][0]  # type: ignore[no-any-return]


def check(sio: Any, room: Any) -> dict[str, Any]:
    return sio.emit("check", room, namespace=NAMESPACE, callback=True)  # type: ignore[no-any-return]


@pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)
def test_a_screen_sees_its_hall_moved_on_when_another_process_changed_it(
    live_client, api, deps, clock
):
    hall, window = api.demo["hall"], api.clerk(1)["window"]
    lobby, sign = live_client(), live_client()
    snapshot = join(lobby, {"hall": hall})
    board = join(sign, {"window": window})
    assert snapshot["version"] == board["version"] == check(lobby, {"hall": hall})["version"]

    # Events this process sends say the version they bring: a screen that got them is current.
    api.window(1, "open")
    got = lobby.get_received(NAMESPACE)
    versions = [p["args"][0]["hall_version"] for p in got if p["name"] == "window_changed"]
    assert versions and versions[-1] > snapshot["version"]
    assert check(lobby, {"hall": hall}) == {"ok": True, "version": versions[-1]}
    assert check(sign, {"window": window})["version"] == versions[-1]
    sign.get_received(NAMESPACE)

    # Another process (its own database object and bus) calls a ticket: these screens hear
    # nothing, but the version they are told by `check` moved, and a new join shows the call.
    ticket = api.issue("A")
    lobby.get_received(NAMESPACE)
    other = bootstrap({"DATABASE_URL": deps.db.url, "CLOCK": clock})
    try:
        with other.db.reading() as session:
            clerk_id = session.scalar(
                select(tables.clerks.c.id).where(
                    tables.clerks.c.staff_no == api.clerk(1)["staff_no"]
                )
            )
        actor = auth.actor_for_clerk(other, int(clerk_id))
        assert actor is not None
        q.call_next(other, actor, window)
    finally:
        other.db.dispose()
    assert not [p for p in lobby.get_received(NAMESPACE) if p["name"] == "ticket_called"]
    moved = check(lobby, {"hall": hall})["version"]
    assert moved > versions[-1]
    fresh = join(lobby, {"hall": hall})
    assert fresh["version"] == moved
    assert fresh["recent_calls"][0]["number"] == ticket["number"]
    assert join(sign, {"window": window})["window"]["current"]["number"] == ticket["number"]


def test_check_refuses_what_is_not_a_hall_or_window_room(live_client, api):
    sio = live_client()
    for bad in (None, "hall", {"hall": "1"}, {"hall": 0}, {"ticket": "x" * 12}, {"a": 1, "b": 2}):
        reply = check(sio, bad)
        assert reply["ok"] is False and reply["message"] and reply["message_en"], bad
    assert check(sio, {"window": 999_999})["error"] == "not_found"
    assert sio.is_connected(NAMESPACE)


def test_healthz_is_200_when_the_database_answers_and_no_queue_is_configured(client):
    reply = client.get("/healthz")
    assert reply.status_code == 200
    assert reply.get_json() == {"ok": True, "database": "ok", "message_queue": "none"}


def test_healthz_is_503_with_the_reason_when_redis_does_not_answer(deps, tmp_path):
    app = with_dead_redis(make_app(deps, tmp_path))
    reply = app.test_client().get("/healthz")
    assert reply.status_code == 503
    body = reply.get_json()
    assert body["ok"] is False and body["error"] == "unavailable"
    assert body["database"] == "ok" and body["message_queue"] == "unreachable"
    (problem,) = body["problems"]
    assert problem["part"] == "message_queue" and "Redis" in problem["message"]
    assert "refused" in problem["reason"].lower() or "connect" in problem["reason"].lower()
    assert "消息队列" in body["message"] and "message queue" in body["message_en"]


def test_healthz_is_503_with_the_reason_when_the_database_does_not_answer(deps, tmp_path):
    unreachable = Database("postgresql://nobody@127.0.0.1:9/none")
    app = make_app(deps, tmp_path, DB=unreachable, DATABASE_URL=unreachable.url)
    reply = app.test_client().get("/healthz")
    assert reply.status_code == 503
    body = reply.get_json()
    assert body["database"] == "unreachable" and body["message_queue"] == "none"
    assert body["problems"][0]["part"] == "database" and body["problems"][0]["reason"]
    unreachable.dispose()


def test_the_console_monitor_says_when_redis_does_not_answer(deps, demo, tmp_path):
    healthy = make_app(deps, tmp_path)
    client = healthy.test_client()
    sign_in(client, demo["manager"]["staff_no"])
    page = client.get(f"/admin/halls/{demo['hall']}/monitor/live").get_data(as_text=True)
    assert "系统故障" not in page

    broken = with_dead_redis(make_app(deps, tmp_path))
    client = broken.test_client()
    sign_in(client, demo["manager"]["staff_no"])
    for url in (
        f"/admin/halls/{demo['hall']}/monitor",
        f"/admin/halls/{demo['hall']}/monitor/live",
    ):
        page = client.get(url).get_data(as_text=True)
        assert "系统故障" in page and "消息队列（Redis）无法连接" in page, url
