"""The HTTP API: happy paths, every error path with its status and bilingual message, and
the OpenAPI document that lists every route."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from queue_server.store import tables
from tests.contract import request_body_schema

CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """A refusal: the status, and a JSON body with a Chinese and an English message."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error", "message", "message_en"}
    assert CJK.search(body["message"]), body
    assert re.search(r"[A-Za-z]{3}", body["message_en"]) and not CJK.search(body["message_en"])
    if code:
        assert body["error"] == code
    return body  # type: ignore[no-any-return]


def table_counts(deps: Any) -> dict[str, int]:
    """Rows per table, to prove a refused request changed nothing."""
    with deps.db.reading() as s:
        return {
            t.name: s.scalar(select(func.count()).select_from(t)) or 0
            for t in tables.metadata.sorted_tables
            if t.name not in ("audit_log", "auth_tokens", "login_attempts")
        }


def test_public_reads_of_halls_categories_snapshot_and_ticket(client, api):
    halls = client.get("/api/v1/halls").get_json()["halls"]
    assert [h["kind"] for h in halls] == ["town", "village"]
    assert halls[1]["parent_id"] == halls[0]["id"]
    api.issue("A")
    api.issue("A")
    categories = client.get(f"/api/v1/halls/{api.demo['hall']}/categories").get_json()
    a = next(c for c in categories["categories"] if c["prefix"] == "A")
    assert a["waiting"] == 2 and a["estimated_wait_minutes"] > 0
    snapshot = client.get(f"/api/v1/halls/{api.demo['hall']}/snapshot").get_json()
    assert {w["number"] for w in snapshot["windows"]} == set(range(1, 9))
    assert snapshot["hall"]["notice"]


def test_issuing_returns_number_position_wait_and_an_unguessable_token(client, api):
    first = api.issue("A")
    second = api.issue("A", priority="none", phone="13812345678")
    assert (first["number"], second["number"]) == ("A001", "A002")
    assert second["position"] == 1
    assert len(second["token"]) >= 16 and second["token"] != first["token"]
    assert second["phone_url"].endswith(f"/t/{second['token']}")
    status = client.get(f"/api/v1/tickets/{second['token']}").get_json()
    assert status["number"] == "A002" and status["position"] == 1
    assert "phone" not in status and "13812345678" not in str(status)
    assert "token" not in status


def test_call_next_answers_the_ticket_or_null(api):
    api.window(1, "open")
    assert api.window(1, "call-next") == {"ticket": None}
    api.issue("B")
    called = api.window(1, "call-next")["ticket"]
    assert called["number"] == "B001" and called["window"]["number"] == 1
    finished = api.window(1, "finish", {"items": [], "outcome": "completed"})["ticket"]
    assert finished["state"] == "done"


def test_a_clerk_signs_in_by_cookie_and_must_send_the_csrf_token(client, api):
    clerk = api.clerk(1)
    login = client.post(
        "/api/v1/auth/login", json={"staff_no": clerk["staff_no"], "password": clerk["password"]}
    )
    assert login.status_code == 200
    window = clerk["window"]
    assert_error(client.post(f"/api/v1/windows/{window}/open"), 403, "csrf")
    opened = client.post(
        f"/api/v1/windows/{window}/open", headers={"X-CSRF-Token": login.get_json()["csrf_token"]}
    )
    assert opened.status_code == 200 and opened.get_json()["window"]["status"] == "open"
    assert client.get("/api/v1/auth/me").get_json()["name"] == clerk["name"]


ERROR_CASES = [
    # (description, method, path template, body, headers kind, status, code)
    ("unknown hall", "GET", "/api/v1/halls/999/categories", None, None, 404, "not_found"),
    ("unknown snapshot", "GET", "/api/v1/halls/999/snapshot", None, None, 404, "not_found"),
    ("unknown ticket", "GET", "/api/v1/tickets/nonexistent-token", None, None, 404, "not_found"),
    (
        "issue without a token",
        "POST",
        "/api/v1/halls/{hall}/tickets",
        {"category": "A"},
        None,
        401,
        "unauthorized",
    ),
    (
        "issue with a forged token",
        "POST",
        "/api/v1/halls/{hall}/tickets",
        {"category": "A"},
        "forged",
        401,
        "unauthorized",
    ),
    (
        "issue at another hall",
        "POST",
        "/api/v1/halls/{village}/tickets",
        {"category": "A"},
        "kiosk",
        403,
        "forbidden",
    ),
    (
        "unknown category",
        "POST",
        "/api/v1/halls/{hall}/tickets",
        {"category": "Z"},
        "kiosk",
        404,
        "not_found",
    ),
    ("category missing", "POST", "/api/v1/halls/{hall}/tickets", {}, "kiosk", 422, "invalid"),
    (
        "category a superscript digit",
        "POST",
        "/api/v1/halls/{hall}/tickets",
        {"category": "¹"},
        "kiosk",
        404,
        "not_found",
    ),
    (
        "category of the wrong type",
        "POST",
        "/api/v1/halls/{hall}/tickets",
        {"category": [1]},
        "kiosk",
        422,
        "invalid",
    ),
    (
        "bad priority",
        "POST",
        "/api/v1/halls/{hall}/tickets",
        {"category": "A", "priority": "vip"},
        "kiosk",
        422,
        "invalid",
    ),
    (
        "bad phone",
        "POST",
        "/api/v1/halls/{hall}/tickets",
        {"category": "A", "phone": "12ab"},
        "kiosk",
        422,
        "invalid",
    ),
    ("not JSON", "POST", "/api/v1/halls/{hall}/tickets", "not json", "kiosk", 400, "bad_request"),
    ("a JSON list", "POST", "/api/v1/halls/{hall}/tickets", [1, 2], "kiosk", 400, "bad_request"),
    (
        "window action anonymous",
        "POST",
        "/api/v1/windows/{window1}/open",
        {},
        None,
        401,
        "unauthorized",
    ),
    (
        "window action by a kiosk",
        "POST",
        "/api/v1/windows/{window1}/open",
        {},
        "kiosk",
        401,
        "unauthorized",
    ),
    ("window not posted", "POST", "/api/v1/windows/{window1}/open", {}, "clerk4", 403, "forbidden"),
    ("unknown window", "POST", "/api/v1/windows/9999/open", {}, "clerk1", 404, "not_found"),
    (
        "call-next at a closed window",
        "POST",
        "/api/v1/windows/{window1}/call-next",
        {},
        "clerk1",
        409,
        "conflict",
    ),
    (
        "recall with nothing called",
        "POST",
        "/api/v1/windows/{window1}/recall",
        {},
        "clerk1",
        409,
        "conflict",
    ),
    (
        "finish with nothing called",
        "POST",
        "/api/v1/windows/{window1}/finish",
        {},
        "clerk1",
        409,
        "conflict",
    ),
    (
        "bad outcome",
        "POST",
        "/api/v1/windows/{window1}/finish",
        {"outcome": "maybe"},
        "clerk1",
        422,
        "invalid",
    ),
    (
        "items not ids",
        "POST",
        "/api/v1/windows/{window1}/finish",
        {"items": ["x"]},
        "clerk1",
        422,
        "invalid",
    ),
    (
        "pause without reason",
        "POST",
        "/api/v1/windows/{window1}/pause",
        {},
        "clerk1",
        422,
        "invalid",
    ),
    (
        "pause reason too long",
        "POST",
        "/api/v1/windows/{window1}/pause",
        {"reason": "长" * 41},
        "clerk1",
        422,
        "invalid",
    ),
    (
        "resume when not paused",
        "POST",
        "/api/v1/windows/{window1}/resume",
        {},
        "clerk1",
        409,
        "conflict",
    ),
    (
        "call chosen when not allowed",
        "POST",
        "/api/v1/windows/{window1}/call",
        {"ticket": "A001"},
        "clerk1",
        403,
        "forbidden",
    ),
    (
        "return an unknown ticket",
        "POST",
        "/api/v1/windows/{window1}/return",
        {"ticket": "A999"},
        "clerk1",
        404,
        "not_found",
    ),
    (
        "transfer without a target",
        "POST",
        "/api/v1/windows/{window1}/transfer",
        {},
        "clerk1",
        409,
        "conflict",
    ),
    (
        "wrong password",
        "POST",
        "/api/v1/auth/login",
        {"staff_no": "0101", "password": "nope"},
        None,
        401,
        "unauthorized",
    ),
    ("login without fields", "POST", "/api/v1/auth/login", {}, None, 422, "invalid"),
    ("unknown route", "GET", "/api/v1/nothing-here", None, None, 404, None),
    ("wrong method", "DELETE", "/api/v1/halls", None, None, 405, None),
    (
        "cancel an unknown ticket",
        "POST",
        "/api/v1/tickets/nonexistent-token/cancel",
        {},
        None,
        404,
        "not_found",
    ),
]


@pytest.mark.parametrize(
    "case", ERROR_CASES, ids=[c[0] for c in ERROR_CASES]
)  # fmt: skip
def test_every_error_path_answers_clearly_and_changes_nothing(client, api, deps, case):
    _, method, template, body, who, status, code = case
    api.issue("A")  # A001 exists, so refusals have something they could have changed
    demo = api.demo
    path = template.format(
        hall=demo["hall"], village=demo["village"], window1=api.clerk(1)["window"]
    )
    headers = {}
    if who == "kiosk":
        headers = api.kiosk_headers()
    elif who == "forged":
        headers = {"Authorization": "Bearer forged-token-0000"}
    elif who and who.startswith("clerk"):
        staff_no = api.clerk(int(who[5:]))["staff_no"]
        headers = {"Authorization": f"Bearer {api.token(staff_no)}"}
    before = table_counts(deps)
    with deps.db.reading() as s:
        windows_before = s.execute(select(tables.windows)).all()
    kwargs: dict[str, Any] = {"headers": headers}
    if isinstance(body, str):
        kwargs.update(data=body, content_type="application/json")
    elif body is not None:
        kwargs["json"] = body
    response = client.open(path, method=method, **kwargs)
    assert_error(response, status, code)
    assert table_counts(deps) == before
    with deps.db.reading() as s:
        assert s.execute(select(tables.windows)).all() == windows_before


def test_the_openapi_document_lists_every_api_route(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {
        (method.upper(), path) for path, ops in document["paths"].items() for method in ops
    }
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in documented, f"{method} {path} missing from OpenAPI"
    issue = document["paths"]["/api/v1/halls/{hall}/tickets"]["post"]
    schema = request_body_schema(document, issue)
    assert schema["required"] == ["category"]
    assert "201" in issue["responses"] and "409" in issue["responses"]


def test_a_full_day_of_numbers_is_shared_between_the_api_and_the_kiosk_categories(client, api):
    for _ in range(3):
        api.issue("D")
    body = client.get(f"/api/v1/halls/{api.demo['hall']}/categories").get_json()
    d = next(c for c in body["categories"] if c["prefix"] == "D")
    assert d["waiting"] == 3
