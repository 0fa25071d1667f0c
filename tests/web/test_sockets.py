"""Socket.IO /live with several real test clients: rooms, snapshots first, bad messages."""

from __future__ import annotations

from typing import Any

from queue_server.realtime import NAMESPACE

QUEUE_EVENTS = {"ticket_called", "ticket_issued", "queue_changed", "window_changed"}


def received(sio: Any) -> list[dict[str, Any]]:
    """Everything a test client got since the last call."""
    return sio.get_received(NAMESPACE)  # type: ignore[no-any-return]


def names(packets: list[dict[str, Any]]) -> list[str]:
    return [p["name"] for p in packets]


def test_each_room_gets_its_own_events_and_no_other(live_client, api):
    hall, window1 = api.demo["hall"], api.clerk(1)["window"]
    window4 = api.clerk(4)["window"]
    lobby, board1, board4, village = live_client(), live_client(), live_client(), live_client()
    ticket = api.issue("A")
    phone, other_phone = live_client(), live_client()
    other = api.issue("A")
    lobby.emit("join", {"hall": hall}, namespace=NAMESPACE)
    board1.emit("join", {"window": window1}, namespace=NAMESPACE)
    board4.emit("join", {"window": window4}, namespace=NAMESPACE)
    village.emit("join", {"hall": api.demo["village"]}, namespace=NAMESPACE)
    phone.emit("join", {"ticket": ticket["token"]}, namespace=NAMESPACE)
    other_phone.emit("join", {"ticket": other["token"]}, namespace=NAMESPACE)
    for sio in (lobby, board1, board4, village, phone, other_phone):
        assert names(received(sio))[:1] == ["snapshot"]

    api.window(1, "open")
    api.window(1, "call-next")

    lobby_got = received(lobby)
    called = next(p for p in lobby_got if p["name"] == "ticket_called")["args"][0]
    assert called["number"] == "A001" and called["window_number"] == 1
    assert called["window_name"] == "综合窗口" and called["category_name"] == "综合受理"
    assert called["times_called"] == 1
    assert "queue_changed" in names(lobby_got) and "window_changed" in names(lobby_got)
    assert "ticket_called" in names(received(board1))
    assert "ticket_called" not in names(received(board4))
    assert not QUEUE_EVENTS & set(names(received(village)))
    phone_got = received(phone)
    assert "ticket_called" in names(phone_got)
    other_got = received(other_phone)
    assert "ticket_called" not in names(other_got)
    # The next citizen hears that their place changed.
    change = next(p for p in other_got if p["name"] == "ticket_changed")["args"][0]
    assert change["number"] == "A002" and change["position"] == 0


def test_a_late_joiner_gets_the_snapshot_first_with_the_current_state(live_client, api):
    api.issue("B")
    api.window(4, "open")
    api.window(4, "call-next")
    api.window(4, "pause", {"reason": "会议"})
    late = live_client()
    late.emit("join", {"hall": api.demo["hall"]}, namespace=NAMESPACE)
    packets = received(late)
    assert packets[0]["name"] == "snapshot"
    snapshot = packets[0]["args"][0]
    assert snapshot["room"] == f"hall:{api.demo['hall']}"
    window4 = next(w for w in snapshot["windows"] if w["number"] == 4)
    assert window4["status"] == "paused" and window4["pause_reason"] == "会议"
    assert window4["current"]["number"] == "B001"
    assert snapshot["recent_calls"][0]["number"] == "B001"
    api.window(4, "resume")
    assert "window_changed" in names(received(late))


def test_window_room_snapshot_shows_the_clerk_on_duty(live_client, api):
    screen = live_client()
    screen.emit("join", {"window": api.clerk(6)["window"]}, namespace=NAMESPACE)
    before = received(screen)[0]["args"][0]
    assert before["window"]["clerk"] is None and before["window"]["status"] == "closed"
    api.window(6, "open")
    changed = [p for p in received(screen) if p["name"] == "window_changed"][-1]["args"][0]
    assert changed["clerk"]["name"] == api.clerk(6)["name"]
    assert changed["type_name"] == "固定窗口" and changed["category_names"] == ["户籍办理"]


# (payload, error code): a join of the wrong shape is `invalid`; a well-formed one naming a
# room that does not exist is `not_found`
BAD_JOINS = [
    (None, "invalid"),
    ("hall", "invalid"),
    ([], "invalid"),
    ({}, "invalid"),
    ({"hall": "x"}, "invalid"),
    ({"hall": "1"}, "invalid"),
    ({"hall": -1}, "invalid"),
    ({"hall": 10**12}, "invalid"),
    ({"hall": True}, "invalid"),
    ({"hall": 999}, "not_found"),
    ({"window": 999}, "not_found"),
    ({"ticket": 5}, "invalid"),
    ({"ticket": "no-such-token"}, "not_found"),
    ({"hall": 1, "window": 1}, "invalid"),
    ({"room": "hall:1"}, "invalid"),
]


def test_malformed_joins_get_an_error_reply_and_join_nothing(live_client, api):
    sio = live_client()
    for payload, code in BAD_JOINS:
        reply = sio.emit("join", payload, namespace=NAMESPACE, callback=True)
        assert reply["ok"] is False, payload
        assert reply["error"] == code, payload
        assert reply["message"] and reply["message_en"]
        got = received(sio)
        assert names(got) == ["error"], payload
    api.window(1, "open")
    assert received(sio) == []  # in no room, so no event arrives
    assert sio.is_connected(NAMESPACE)


def test_unknown_events_and_huge_payloads_do_not_break_the_connection(live_client, api):
    sio = live_client()
    sio.emit("call_next", {"window": 1}, namespace=NAMESPACE)
    assert names(received(sio)) == ["error"]
    sio.emit("join", {"hall": "x" * 20000}, namespace=NAMESPACE)
    assert names(received(sio)) == ["error"]
    reply = sio.emit("join", {"hall": api.demo["hall"]}, namespace=NAMESPACE, callback=True)
    assert reply == {"ok": True, "room": f"hall:{api.demo['hall']}"}


def test_a_flooding_client_is_disconnected_and_others_carry_on(live_client, api):
    from queue_server.realtime import FLOOD_MESSAGES

    flooder, calm = live_client(), live_client()
    calm.emit("join", {"hall": api.demo["hall"]}, namespace=NAMESPACE)
    received(calm)
    sent = 0
    while flooder.is_connected(NAMESPACE) and sent < FLOOD_MESSAGES * 3:
        flooder.emit("join", {"hall": 999}, namespace=NAMESPACE)
        sent += 1
    assert not flooder.is_connected(NAMESPACE)
    assert sent == FLOOD_MESSAGES + 1  # cut off at the first message over the limit
    api.window(1, "open")
    assert "window_changed" in names(received(calm))
    assert calm.is_connected(NAMESPACE)


def test_one_client_cannot_join_every_room(live_client, api):
    from queue_server.realtime import MAX_ROOMS

    sio = live_client()
    tokens = [api.issue("A")["token"] for _ in range(MAX_ROOMS + 2)]
    replies = [
        sio.emit("join", {"ticket": token}, namespace=NAMESPACE, callback=True) for token in tokens
    ]
    assert [r["ok"] for r in replies].count(True) == MAX_ROOMS
    assert replies[-1]["error"] == "too_many_rooms"


def test_call_next_sends_the_call_first_and_the_window_state_last(live_client, api):
    """A lobby hears the call before the rest of the change; the window's final state comes last."""
    hall = api.demo["hall"]
    api.issue("A")
    api.issue("A")
    api.window(1, "open")
    api.window(1, "call-next")
    lobby, board = live_client(), live_client()
    lobby.emit("join", {"hall": hall}, namespace=NAMESPACE)
    board.emit("join", {"window": api.clerk(1)["window"]}, namespace=NAMESPACE)
    for sio in (lobby, board):
        assert names(received(sio))[:1] == ["snapshot"]

    api.window(1, "call-next")  # finishes A001, calls A002

    for sio in (lobby, board):
        got = [p for p in received(sio) if p["name"] != "queue_changed"]
        assert names(got) == ["ticket_called", "ticket_finished", "window_changed"]
        assert got[0]["args"][0]["number"] == "A002"
        assert got[1]["args"][0]["number"] == "A001"
        assert got[2]["args"][0]["current"]["number"] == "A002"
