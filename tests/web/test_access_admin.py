"""Who reaches what: for every console page and every /api/v1/admin route, a manager of one town
can neither read nor change another town's data, a clerk reaches none of them (not even for
their own hall), and nobody signed out does. An admin passing the very same requests shows the
refusals come from the scope, not from a malformed request.

Routes are read from the app itself, so a new route without a case here fails the test."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from sqlalchemy import select

from queue_server.services import auth, complaints, evaluation, issuing
from queue_server.services import queue as q
from queue_server.services.context import Actor
from queue_server.services.demo import demo_password, seed_demo
from queue_server.store import admin_tables, tables

pytestmark = pytest.mark.usefixtures("demo_passwords_hashed_once")


# The sign-in page, staff photos shown on displays, and changing one's own password (also the
# first step after an admin's reset, before signing in: the current password proves who it is).
PUBLIC = {"admin.login", "admin.photo", "admin.password"}
# Routes that hold no hall's data of their own: they must answer, but show nothing of another.
UNSCOPED = {
    "admin.overview",
    "admin.switch",
    "admin.logout",
    "api.admin_halls",
    "api.admin_calendar",  # the holiday schedules are the deployment's, not a hall's
    "api.admin_calendar_year",
    "admin.calendar",
    "admin.calendar_year",
}
# Deployment-wide changes: a manager of any hall is refused them, an admin makes them.
ADMIN_ONLY = {
    "api.admin_save_calendar_year",
    "api.admin_delete_calendar_year",
    "admin.calendar_year",
}

PARAM = re.compile(r"<(?:int:|string:)?(\w+)>")
CSV_ROW = "code,name\r\nY-9,越权导入\r\n"


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "PNG")
    return out.getvalue()


def staff_id(deps: Any, staff_no: str) -> int:
    with deps.db.reading() as s:
        return int(s.scalar(select(tables.clerks.c.id).where(tables.clerks.c.staff_no == staff_no)))


@pytest.fixture
def world(deps) -> dict[str, Any]:
    """Two towns; the second gets a complaint and a 差评 follow-up of its own."""
    mine, theirs = seed_demo(deps, halls=2)
    hall = theirs["hall"]
    clerk = auth.actor_for_clerk(deps, staff_id(deps, theirs["clerks"][0]["staff_no"]))
    manager = auth.actor_for_clerk(deps, staff_id(deps, theirs["manager"]["staff_no"]))
    assert clerk is not None and manager is not None
    kiosk = Actor("device", theirs["kiosk_id"], hall, device_kind="kiosk")
    ticket = issuing.issue_ticket(deps, kiosk, hall, "A")
    window = theirs["clerks"][0]["window"]
    q.open_window(deps, clerk, window)
    q.call_next(deps, clerk, window)
    q.finish(deps, clerk, window)
    evaluation.rate_by_token(deps, ticket["token"], "very_dissatisfied", "attitude")
    complaints.open_follow_ups(deps)
    complaint = complaints.register_complaint(
        deps, manager, hall, {"channel": "phone", "summary": "他们镇的投诉"}
    )
    with deps.db.reading() as s:
        ids = {
            "hall": hall,
            "window": window,
            "category": s.scalar(
                select(tables.categories.c.id).where(tables.categories.c.hall_id == hall)
            ),
            "item": s.scalar(
                select(tables.service_items.c.id).where(tables.service_items.c.hall_id == hall)
            ),
            "clerk": clerk.id,
            "device": theirs["kiosk_id"],
            "follow_up": s.scalar(select(admin_tables.follow_ups.c.id)),
            "complaint": complaint["id"],
            "year": 2027,
        }
    return {"mine": mine, "theirs": theirs, "ids": ids, "their_manager": manager.id}


def api_bodies(w: dict[str, Any]) -> dict[str, Any]:
    """A valid request body per changing API route: only the scope can refuse it."""
    ids = w["ids"]
    return {
        "api.admin_create_hall": {"name": "越权站", "kind": "village", "parent_id": ids["hall"]},
        "api.admin_update_hall": {"name": "越权改名"},
        "api.admin_service_day": {"day_starts_at_minute": 60},
        "api.admin_notice": {"notice": "越权公告"},
        "api.admin_retention": {"retention_days": 365},
        "api.admin_flexible_rule": {"enabled": True, "waiting_over": 5, "wait_minutes_over": 30},
        "api.admin_queue_rules": {
            "min_calls_before_no_show": 3,
            "min_seconds_before_no_show": 60,
            "return_places_from_front": 2,
            "max_priority_in_row": 3,
            "appointment_lead_minutes": 10,
            "allow_call_out_of_order": True,
            "comprehensive_prefers_unserved": True,
        },
        "api.admin_create_category": {"prefix": "Y", "name": "越权"},
        "api.admin_update_category": {"name": "越权"},
        "api.admin_create_window": {"number": 20, "name": "越权", "type": "comprehensive"},
        "api.admin_update_window": {"name": "越权"},
        "api.admin_delete_window": {},
        "api.admin_create_item": {"code": "Y-1", "name": "越权"},
        "api.admin_update_item": {"name": "越权"},
        "api.admin_import_items": {"items": [{"code": "Y-2", "name": "越权"}]},
        "api.admin_create_clerk": {"staff_no": "y001", "name": "越权", "role": "clerk"},
        "api.admin_update_clerk": {"name": "越权"},
        "api.admin_reset_password": {},
        "api.admin_create_device": {"kind": "screen", "name": "越权"},
        "api.admin_update_device": {"name": "越权"},
        "api.admin_delete_device": {},
        "api.admin_rotate_token": {},
        "api.admin_follow_up_step": {"stage": "verify", "note": "越权"},
        "api.admin_register_complaint": {"channel": "phone", "summary": "越权"},
        "api.admin_assign_complaint": {"assignee_id": w["their_manager"]},
        "api.admin_resolve_complaint": {"resolution": "越权", "upheld": False},
        "api.admin_save_calendar_year": {  # a made-up table, for the access tests only
            "holidays": [{"day": "2027-01-01", "name": "元旦"}],
            "swapped_workdays": [],
        },
        "api.admin_delete_calendar_year": {},
    }


def form_bodies(w: dict[str, Any]) -> dict[str, Any]:
    """A valid form per changing page: only the scope can refuse it."""
    ids = w["ids"]
    return {
        "admin.hall": {"form": "hall", "name": "越权", "kind": "town"},
        "admin.hall_new": {"name": "越权站", "kind": "village", "parent_id": str(ids["hall"])},
        "admin.notice": {"notice": "越权"},
        "admin.hours": {"form": "override", "day": "2026-11-30", "closed": "on", "reason": "越权"},
        "admin.category_new": {"prefix": "Y", "name": "越权"},
        "admin.category_edit": {"name": "越权"},
        "admin.window_new": {"number": "20", "name": "越权", "type": "comprehensive"},
        "admin.window_edit": {"number": "1", "name": "越权", "type": "comprehensive"},
        "admin.window_delete": {},
        "admin.item_new": {"code": "Y-1", "name": "越权"},
        "admin.item_edit": {"name": "越权"},
        "admin.items_import": {"file": (io.BytesIO(CSV_ROW.encode()), "items.csv")},
        "admin.clerk_new": {
            "staff_no": "y001",
            "name": "越权",
            "role": "clerk",
            "hall_id": str(ids["hall"]),
        },  # fmt: skip
        "admin.clerk_edit": {"name": "越权"},
        "admin.clerk_password": {},
        "admin.clerk_photo": {"photo": (io.BytesIO(_png()), "p.png")},
        "admin.device_new": {"kind": "screen", "name": "越权"},
        "admin.device_edit": {"name": "越权"},
        "admin.device_token": {},
        "admin.device_printer": {
            "printer": "dummy://",
            "paper_mm": "58",
            "mode": "text",
            "encoding": "gb18030",
            "check_status": "on",
        },  # fmt: skip
        "admin.device_delete": {},
        "admin.follow_up": {"stage": "verify", "note": "越权"},
        "admin.complaint_new": {"channel": "phone", "summary": "越权"},
        "admin.complaint_assign": {"assignee_id": str(w["their_manager"])},
        "admin.complaint_resolve": {"resolution": "越权", "upheld": ""},
        "admin.logout": {},
        "admin.calendar_year": {"holidays": "2027-01-01 元旦", "swapped": ""},  # made up
    }


def requests_for(app: Any, w: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """(endpoint, method, url, body) for every console route, aimed at the other town."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(("/admin", "/api/v1/admin")) or rule.endpoint in PUBLIC:
            continue
        url = PARAM.sub(lambda m: str(w["ids"][m.group(1)]), rule.rule)
        if rule.endpoint in ("admin.audit_log", "api.admin_audit"):
            url += f"?hall={w['ids']['hall']}"
        if rule.endpoint == "admin.hall_new":
            url += f"?parent_id={w['ids']['hall']}"
        if rule.endpoint == "admin.switch":
            url += f"?hall={w['ids']['hall']}&section=admin.windows"
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            body = None
            if method != "GET":
                bodies = api_bodies(w) if rule.endpoint.startswith("api.") else form_bodies(w)
                assert rule.endpoint in bodies, f"add a sample body for {rule.endpoint}"
                body = bodies[rule.endpoint]
            found.append((rule.endpoint, method, url, body))
    return found


def send(client: Any, method: str, url: str, body: Any, csrf: str) -> Any:
    if url.startswith("/api/"):
        return client.open(url, method=method, json=body, headers={"X-CSRF-Token": csrf})
    if method == "GET":
        return client.get(url)
    data = dict(body or {})
    for key, value in list(data.items()):
        if isinstance(value, tuple):  # a file: a fresh stream for every request
            data[key] = (io.BytesIO(value[0].getvalue()), value[1])
    return client.post(url, data={**data, "csrf_token": csrf}, content_type="multipart/form-data")


def database(deps: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the sign-in bookkeeping."""
    with deps.db.reading() as s:
        return {
            t.name: sorted(map(tuple, s.execute(select(t)).all()), key=repr)
            for t in tables.metadata.sorted_tables
            if t.name not in ("auth_tokens", "login_attempts")
        }


def cookie_sign_in(client: Any, staff_no: str) -> str:
    reply = client.post(
        "/api/v1/auth/login", json={"staff_no": staff_no, "password": demo_password(staff_no)}
    )
    assert reply.status_code == 200
    return str(reply.get_json()["csrf_token"])


def test_a_manager_of_one_town_can_neither_read_nor_change_another(app, client, deps, world):
    csrf = cookie_sign_in(client, world["mine"]["manager"]["staff_no"])
    their_name = world["theirs"]["name"]
    before = database(deps)
    checked = set()
    for endpoint, method, url, body in requests_for(app, world):
        if endpoint == "admin.logout":
            continue  # signing out is tried last, by the clerk
        reply = send(client, method, url, body, csrf)
        checked.add(endpoint)
        text = reply.get_data(as_text=True)
        if endpoint in ADMIN_ONLY and method != "GET":
            assert reply.status_code == 403 and "仅限系统管理员" in text, (method, url)
            continue
        if endpoint in UNSCOPED:
            assert reply.status_code in (200, 302), (endpoint, reply.status_code)
            assert their_name not in text, f"{method} {url} shows the other town"
            continue
        assert reply.status_code in (403, 404), (method, url, reply.status_code, text[:200])
        if reply.status_code == 403:  # refused for the scope, not for a missing CSRF token
            assert "您只能管理本大厅及下属站点" in text, (method, url, text[:300])
        assert their_name not in text and "他们镇的投诉" not in text, (method, url)
    assert database(deps) == before, "a refused request changed something"
    routes = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.rule.startswith(("/admin", "/api/v1/admin"))
    }
    assert routes - PUBLIC - {"admin.logout"} == checked


def test_a_manager_cannot_reach_another_towns_things_through_their_own_hall(client, deps, world):
    csrf = cookie_sign_in(client, world["mine"]["manager"]["staff_no"])
    mine, ids = world["mine"]["hall"], world["ids"]
    before = database(deps)
    clerk_sheet = client.get(f"/admin/halls/{mine}/performance/{ids['clerk']}")
    assert clerk_sheet.status_code == 404
    via_api = client.get(f"/api/v1/admin/halls/{mine}/performance?clerk={ids['clerk']}")
    assert via_api.status_code == 404
    steal_post = client.patch(
        f"/api/v1/admin/windows/{world['mine']['clerks'][0]['window']}",
        json={"post_a": ids["clerk"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert steal_post.status_code == 422 and steal_post.get_json()["error"] == "invalid"
    moved = client.post(
        "/api/v1/admin/halls",
        json={"name": "挪走", "kind": "village", "parent_id": ids["hall"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert moved.status_code == 403
    complaint = client.post(
        f"/api/v1/admin/halls/{mine}/complaints",
        json={"channel": "phone", "summary": "x", "assignee_id": world["their_manager"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert complaint.status_code == 422
    assert database(deps) == before


def test_a_clerk_reaches_no_console_route_even_for_their_own_hall(app, client, deps, world):
    mine = world["mine"]
    csrf = cookie_sign_in(client, mine["clerks"][0]["staff_no"])
    own = dict(world)
    own["ids"] = {**world["ids"], "hall": mine["hall"], "window": mine["clerks"][0]["window"]}
    before = database(deps)
    for endpoint, method, url, body in requests_for(app, own):
        reply = send(client, method, url, body, csrf)
        assert reply.status_code == 403, (endpoint, method, url, reply.status_code)
        if url.startswith("/api/"):
            assert reply.get_json()["message"] == "管理后台仅限中心管理员使用"
        else:
            assert "管理后台仅限中心管理员使用" in reply.get_data(as_text=True)
    assert database(deps) == before


def test_nobody_signed_out_reaches_anything(app, client, deps, world):
    before = database(deps)
    for endpoint, method, url, body in requests_for(app, world):
        reply = send(client, method, url, body, "no-session")
        if url.startswith("/api/"):
            assert reply.status_code == 401, (endpoint, method, url)
        elif method == "GET":
            assert reply.status_code == 302 and "/admin/login" in reply.headers["Location"]
        else:
            assert reply.status_code == 401, (endpoint, method, url)
    assert database(deps) == before


def test_the_same_requests_pass_for_an_admin(app, client, deps, world):
    csrf = cookie_sign_in(client, "admin")
    for endpoint, method, url, body in requests_for(app, world):
        if endpoint == "admin.logout":
            continue
        reply = send(client, method, url, body, csrf)
        assert reply.status_code not in (401, 403) and reply.status_code < 500, (
            endpoint,
            method,
            url,
            reply.status_code,
            reply.get_data(as_text=True)[:300],
        )
