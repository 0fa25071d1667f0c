"""Socket.IO /live beyond the malformed joins of test_sockets: binary and deeply nested payloads,
odd leaves, and a client that never says anything hears nothing of any room."""

from __future__ import annotations

from typing import Any

import pytest

from queue_server.realtime import NAMESPACE

from .test_sockets import names, received


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"hall": [value]}
    return value


@pytest.mark.parametrize(
    "payload",
    [b"\x00\xff" * 100, {"hall": b"1"}, {"ticket": b"\x89PNG"}, nested(150), [nested(50)]],
    ids=["bytes", "bytes-hall", "bytes-ticket", "nested-150", "nested-list"],
)
def test_binary_and_nested_joins_are_refused_and_the_connection_carries_on(
    live_client, api, payload
):
    sio = live_client()
    reply = sio.emit("join", payload, namespace=NAMESPACE, callback=True)
    assert reply["ok"] is False and reply["message"] and reply["message_en"]
    assert "snapshot" not in names(received(sio))
    assert sio.is_connected(NAMESPACE)
    good = sio.emit("join", {"hall": api.demo["hall"]}, namespace=NAMESPACE, callback=True)
    assert good == {"ok": True, "room": f"hall:{api.demo['hall']}"}


def test_odd_leaves_are_refused_and_leave_the_joined_room_alone(live_client, api):
    sio = live_client()
    sio.emit("join", {"hall": api.demo["hall"]}, namespace=NAMESPACE, callback=True)
    for payload in (b"\x00", nested(150), {"hall": [1, 2]}, {"room": "hall:1"}, None, "hall"):
        reply = sio.emit("leave", payload, namespace=NAMESPACE, callback=True)
        assert isinstance(reply, dict), payload
    received(sio)
    api.issue("A")
    assert "ticket_issued" in names(received(sio)), "still in the hall's room"
    assert sio.is_connected(NAMESPACE)


def test_a_client_that_never_says_anything_hears_nothing(live_client, api):
    silent = live_client()
    ticket = api.issue("A")
    api.window(1, "open")
    api.window(1, "call-next")
    got = received(silent)
    assert [p for p in got if p["name"] != "connect"] == [], got
    assert ticket["token"] not in str(got)
    assert silent.is_connected(NAMESPACE)
