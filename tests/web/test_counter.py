"""The counter panel's page and API: sign-in, the clerk's windows, what the dialogs offer,
today's figures, and the AB岗 rule that only the clerk on duty is shown at a window."""

from __future__ import annotations

from typing import Any

from queue_server.services.demo import demo_password


def login(client: Any, staff_no: str) -> str:
    reply = client.post(
        "/api/v1/auth/login", json={"staff_no": staff_no, "password": demo_password(staff_no)}
    )
    assert reply.status_code == 200
    return str(reply.get_json()["csrf_token"])


def test_the_page_asks_for_sign_in_first(client):
    page = client.get("/counter")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "工作人员登录" in html and 'id="login-view"' in html
    assert 'data-csrf=""' in html


def test_a_signed_in_clerk_gets_the_panel_with_its_csrf_token(client, demo):
    clerk = demo["clerks"][2]
    csrf = login(client, clerk["staff_no"])
    html = client.get(f"/counter/{clerk['window']}").get_data(as_text=True)
    assert f'data-csrf="{csrf}"' in html
    assert f'data-window="{clerk["window"]}"' in html
    for zh in ("叫下一位", "重呼", "开始办理", "办结", "过号", "暂离", "转移", "暂停服务"):
        assert zh in html
    assert 'aria-keyshortcuts="1"' in html


def test_my_windows_lists_the_a_and_b_posts(client, demo):
    clerk = demo["clerks"][0]
    login(client, clerk["staff_no"])
    data = client.get("/api/v1/me/windows").get_json()
    assert data["me"]["staff_no"] == clerk["staff_no"]
    posts = {w["number"]: w["post"] for w in data["windows"]}
    # the demo clerk holds the A post of window 1 and the B post of the last window
    assert posts[1] == "A" and "B" in posts.values()
    assert all(w["partner"] for w in data["windows"])


def test_my_windows_needs_a_sign_in(client):
    reply = client.get("/api/v1/me/windows")
    assert reply.status_code == 401
    assert reply.get_json()["message"] == "请先登录"


def test_cookie_changes_need_the_csrf_header(client, demo):
    clerk = demo["clerks"][0]
    csrf = login(client, clerk["staff_no"])
    url = f"/api/v1/windows/{clerk['window']}/open"
    assert client.post(url, json={}).status_code == 403
    assert client.post(url, json={}, headers={"X-CSRF-Token": csrf}).status_code == 200


def test_options_offer_transfer_targets_items_outcomes_and_pause_reasons(client, demo):
    clerk = demo["clerks"][0]
    login(client, clerk["staff_no"])
    data = client.get(f"/api/v1/windows/{clerk['window']}/options").get_json()
    assert [p["name"] for p in data["pause_reasons"]] == ["休息", "会议", "外出"]
    assert {o["name"] for o in data["outcomes"]} == {"办结", "需补正", "转后台"}
    assert clerk["window"] not in [w["id"] for w in data["windows"]]
    assert all(c["staff_no"] != clerk["staff_no"] for c in data["clerks"])
    assert any(i["name"] == "最低生活保障申请" for i in data["service_items"])
    assert data["allow_call_out_of_order"] is False


def test_options_and_stats_are_for_posted_clerks_only(client, demo):
    other = demo["clerks"][3]
    login(client, other["staff_no"])
    window = demo["clerks"][0]["window"]
    assert client.get(f"/api/v1/windows/{window}/options").status_code == 403
    assert client.get(f"/api/v1/windows/{window}/stats").status_code == 403
    assert client.get("/api/v1/windows/9999/stats").status_code == 404


def test_stats_show_the_service_item_of_the_current_ticket(api, client, demo):
    item_id = 1
    ticket = api.issue("A", service_item=item_id)
    api.window(1, "open")
    api.window(1, "call-next")
    clerk = api.clerk(1)
    token = api.token(clerk["staff_no"])
    stats = client.get(
        f"/api/v1/windows/{clerk['window']}/stats", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    panel = client.get(
        f"/api/v1/windows/{clerk['window']}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert panel["current"]["number"] == ticket["number"]
    assert stats["ticket_items"][str(panel["current"]["id"])]["id"] == item_id
    assert stats["server_time"].startswith("2026-11-26T01:30")


def test_ab_post_the_b_clerk_takes_over_a_paused_window_and_the_display_follows(
    api, client, demo, live_client
):
    window = api.clerk(2)["window"]
    a_clerk = api.clerk(2)["staff_no"]
    b_clerk = api.clerk(3)["staff_no"]  # the next window's A clerk holds window 2's B post
    screen = live_client()
    screen.emit("join", {"window": window}, namespace="/live")
    api.window(2, "open")
    api.window(2, "pause", {"reason": "外出"})
    # the A clerk is out: the B clerk resumes in their place
    api.window(2, "resume", staff_no=b_clerk)
    views = [
        m["args"][0]
        for m in screen.get_received("/live")
        if m["name"] == "window_changed" and m["args"][0]["id"] == window
    ]
    assert views[-1]["status"] == "open"
    assert views[-1]["clerk"]["staff_no"] == b_clerk
    assert any(v["clerk"] and v["clerk"]["staff_no"] == a_clerk for v in views)


def test_signing_out_leaves_no_clerk_shown_at_the_window(api, client, demo):
    clerk = demo["clerks"][4]
    csrf = login(client, clerk["staff_no"])
    client.post(f"/api/v1/windows/{clerk['window']}/open", headers={"X-CSRF-Token": csrf})
    client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    snapshot = client.get(f"/api/v1/halls/{demo['hall']}/snapshot").get_json()
    window = next(w for w in snapshot["windows"] if w["id"] == clerk["window"])
    assert window["status"] == "paused" and window["clerk"] is None
