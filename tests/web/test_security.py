"""Security of the web layer as a hall would notice it: headers on every reply (a strict
Content-Security-Policy the pages keep to), cookie flags, sessions and tokens that end when
they should, sign-in locks, a rotated device token refused at once, CSRF on every change made
with the cookie, and no password, token, ID number or phone number in the logs."""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from queue_server.api.spec import OPERATIONS
from queue_server.services.demo import demo_password
from queue_server.services.notify import LogNotifier

from .hall_world import World, database_digest, hall_world, make_app, make_deps  # noqa: F401
from .test_access_matrix import ROUTES, bodies, planned, small_png
from .test_api import assert_error

POLICY = "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"


@pytest.fixture
def towns(hall_world: World, tmp_path: Path) -> Any:  # noqa: F811
    """The app on a private copy of the two towns: (app, deps, world)."""
    deps = make_deps(hall_world.copy_to(tmp_path))
    app = make_app(deps, tmp_path)
    yield app, deps, hall_world
    deps.db.dispose()


def sign_in(client: Any, staff_no: str, password: str | None = None) -> Any:
    return client.post(
        "/api/v1/auth/login",
        json={"staff_no": staff_no, "password": password or demo_password(staff_no)},
    )


def bearer(client: Any, staff_no: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {sign_in(client, staff_no).get_json()['token']}"}


# -- headers and the pages' own markup ----------------------------------------------------------


def test_every_kind_of_reply_carries_the_security_headers(towns):
    app, _, world = towns
    client = app.test_client()
    manager = bearer(client, world.mine.staff["manager"])

    def boom() -> None:
        raise RuntimeError("a bug")

    app.view_functions["pages.health"] = boom
    replies = {
        "page": client.get(f"/kiosk/{world.mine.hall}"),
        "json": client.get("/api/v1/halls"),
        "api 404": client.get("/api/v1/nothing-here"),
        "api 405": client.delete("/api/v1/halls"),
        "api 413": client.post("/api/v1/auth/login", data=b"x" * 300_000),
        "page 404": client.get("/no-such-page"),
        "style": client.get("/static/css/base.css"),
        "svg": client.get(f"/t/{world.mine.tickets['waiting']}/qr.svg"),
        "csv": client.get(
            f"/api/v1/admin/halls/{world.mine.hall}/service-items/export?format=csv",
            headers=manager,
        ),
        "500": client.get("/healthz"),
    }
    for name, reply in replies.items():
        assert reply.headers["Content-Security-Policy"] == POLICY, name
        assert reply.headers["X-Content-Type-Options"] == "nosniff", name
        assert reply.headers["X-Frame-Options"] == "SAMEORIGIN", name
        assert reply.headers["Referrer-Policy"] in ("same-origin", "no-referrer"), name
        reply.close()
    assert replies["500"].status_code == 500
    assert replies["500"].get_json()["error"] == "internal"
    assert_error(replies["api 413"], 413)
    # A page with the ticket's token in its address never sends it on as a referrer.
    assert client.get(f"/t/{world.mine.tickets['waiting']}").headers["Referrer-Policy"] == (
        "no-referrer"
    )


class InlineCode(HTMLParser):
    """Collects what a strict Content-Security-Policy would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        self.found += [f"{name}= on <{tag}>" for name in names if name == "style"]
        self.found += [f"{name}= on <{tag}>" for name in names if name.startswith("on")]
        if names.get("href", "").startswith("javascript:"):
            self.found.append(f"javascript: link on <{tag}>")


def test_no_page_has_inline_script_or_style(towns):
    app, _, world = towns
    client = app.test_client()
    sign_in(client, world.mine.staff["manager"])
    pages = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
        and not rule.rule.startswith(("/api/", "/static"))
        and ROUTES.get(f"GET {rule.endpoint}", "console_page").startswith(("public", "console"))
    ]
    from .test_access_matrix import url_for_rule

    missing = 2**31 - 1
    urls = [
        url_for_rule(rule, world.mine) for rule in app.url_map.iter_rules() if rule.rule in pages
    ]
    urls += [  # the pages saying "no such …", and a refusal in the console
        f"/display/window/{missing}", f"/display/hall/{missing}", f"/evaluate/{missing}",
        "/evaluate/ticket/nothing", f"/kiosk/{missing}", f"/book/{missing}", "/t/nothing",
        f"/admin/halls/{world.theirs.hall}/windows",
    ]  # fmt: skip
    checked = 0
    for url in urls:
        reply = client.get(url)
        if reply.mimetype != "text/html":
            reply.close()
            continue
        parser = InlineCode()
        parser.feed(reply.get_data(as_text=True))
        assert not parser.found, (url, parser.found)
        checked += 1
    assert checked >= 40  # the citizen's, the counter's, the screens' and the console's pages


# -- cookies, sessions and tokens ----------------------------------------------------------------


def cookie_of(reply: Any) -> str:
    return next(v for k, v in reply.headers.items() if k == "Set-Cookie" and "session=" in v)


def test_the_session_cookie_is_http_only_same_site_and_secure_behind_https(
    towns, monkeypatch, tmp_path
):
    app, deps, world = towns
    cookie = cookie_of(sign_in(app.test_client(), world.mine.staff["clerk"]))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    monkeypatch.setenv("HALLQ_SECURE_COOKIES", "1")
    secure = make_app(deps, tmp_path).test_client()
    cookie = cookie_of(sign_in(secure, world.mine.staff["clerk"]))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "; Secure" in cookie
    page = secure.get("/admin/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert csrf is not None
    staff_no = world.mine.staff["manager"]
    console = secure.post(
        "/admin/login",
        data={
            "staff_no": staff_no,
            "password": demo_password(staff_no),
            "csrf_token": csrf.group(1),
        },
    )
    assert console.status_code == 302 and "; Secure" in cookie_of(console)


def test_a_cookie_session_ends_twelve_hours_after_sign_in_however_busy(towns):
    app, deps, world = towns
    client = app.test_client()
    csrf = sign_in(client, world.mine.staff["clerk"]).get_json()["csrf_token"]
    token = bearer(app.test_client(), world.mine.staff["clerk"])
    window = f"/api/v1/windows/{world.mine.window}"
    for _ in range(11):  # busy all day: a request every hour keeps the cookie fresh
        deps.clock.advance(hours=1)
        assert client.get(window).status_code == 200
        assert client.get(window, headers=token).status_code == 200
    deps.clock.advance(hours=1, minutes=1)
    assert_error(client.get(window), 401)
    assert_error(client.post(f"{window}/pause", json={"reason": "会议"},
                             headers={"X-CSRF-Token": csrf}), 401)  # fmt: skip
    assert_error(client.get("/api/v1/auth/me"), 401)
    assert_error(client.get(window, headers=token), 401, "unauthorized")


def test_twenty_wrong_passwords_from_one_address_lock_it_but_not_other_addresses(towns):
    app, deps, world = towns
    client = app.test_client()
    near = {"REMOTE_ADDR": "10.1.1.7"}
    for number in range(20):  # a different staff number each time: the address is what counts
        reply = client.post(
            "/api/v1/auth/login",
            json={"staff_no": f"x{number:03d}", "password": "guess"},
            environ_base=near,
        )
        assert reply.status_code == 401
    staff_no = world.mine.staff["clerk"]
    real = {"staff_no": staff_no, "password": demo_password(staff_no)}
    locked = client.post("/api/v1/auth/login", json=real, environ_base=near)
    assert assert_error(locked, 429, "too_many")["message"].startswith("登录失败次数过多")
    elsewhere = client.post(
        "/api/v1/auth/login", json=real, environ_base={"REMOTE_ADDR": "10.1.1.8"}
    )
    assert elsewhere.status_code == 200
    deps.clock.advance(minutes=16)
    assert client.post("/api/v1/auth/login", json=real, environ_base=near).status_code == 200


def kiosk_requests(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    """One request per route a kiosk's device token opens (the API's declared kiosk routes)."""
    hall = world.mine.hall
    sample = {
        "GET /kiosk/me": ("GET", "/api/v1/kiosk/me", {}),
        "POST /halls/<int:hall>/tickets": ("POST", f"/api/v1/halls/{hall}/tickets", {"category": "A"}),
        "POST /halls/<int:hall>/checkin": (
            "POST", f"/api/v1/halls/{hall}/checkin", {"code": world.mine.booking_code},
        ),
        # a case nobody registered: 404 with a valid token, 401 with a rotated one
        "POST /halls/<int:hall>/pickup-tickets": (
            "POST", f"/api/v1/halls/{hall}/pickup-tickets", {"case": "HB-20261126-0999"},
        ),
    }  # fmt: skip
    declared = {f"{op.method} {op.rule}" for op in OPERATIONS if op.auth == "kiosk"}
    assert declared == set(sample), "a kiosk route was added: add a request for it here"
    return list(sample.values())


@pytest.mark.parametrize("how", ["api", "console"])
def test_a_rotated_kiosk_token_is_refused_at_once_on_every_kiosk_route(towns, how):
    app, deps, world = towns
    client = app.test_client()
    old = {"Authorization": f"Bearer {world.mine.tokens['kiosk']}"}
    for method, url, body in kiosk_requests(world):
        reply = client.open(url, method=method, json=body, headers=old)
        assert reply.status_code not in (401, 403), (url, reply.get_json())
    staff_no = world.mine.staff["manager"]
    if how == "api":
        rotated = client.post(
            f"/api/v1/admin/devices/{world.mine.kiosk}/rotate-token",
            json={},
            headers=bearer(client, staff_no),
        )
        new = rotated.get_json()["token"]
    else:
        csrf = sign_in(client, staff_no).get_json()["csrf_token"]
        page = client.post(f"/admin/devices/{world.mine.kiosk}/token", data={"csrf_token": csrf})
        found = re.search(r"[A-Za-z0-9_-]{40,}", page.get_data(as_text=True))
        assert found is not None
        new = found.group(0)
        client = app.test_client()  # the kiosk holds no console cookie
    before = database_digest(deps)
    for method, url, body in kiosk_requests(world):
        reply = client.open(url, method=method, json=body, headers=old)
        assert_error(reply, 401, "unauthorized")
    assert database_digest(deps) == before
    me = client.get("/api/v1/kiosk/me", headers={"Authorization": f"Bearer {new}"})
    assert me.status_code == 200 and me.get_json()["hall"]["id"] == world.mine.hall


# -- CSRF --------------------------------------------------------------------------------------


@pytest.mark.parametrize("sent", ["none", "wrong"])
def test_every_change_made_with_the_cookie_needs_the_csrf_token(towns, sent):
    app, deps, world = towns
    client = app.test_client()
    (Path(app.config["INSTANCE"]) / "photos").mkdir(exist_ok=True)
    (Path(app.config["INSTANCE"]) / "photos" / "clerk.png").write_bytes(small_png())
    sign_in(client, world.admin)  # the admin may do everything: only the token can refuse
    header = {} if sent == "none" else {"X-CSRF-Token": "forged"}
    before = database_digest(deps)
    checked = 0
    for key, method, url, body in planned(app, world.mine, world.theirs):
        if method == "GET" or ROUTES[key] in ("public", "sign_in"):
            continue
        if url.startswith("/api/"):
            reply = client.open(url, method=method, json=body, headers=header)
            assert assert_error(reply, 403, "csrf")["message"] == "页面已过期，请刷新后重试", url
        else:
            form = {k: v for k, v in (body or {}).items() if not isinstance(v, tuple)}
            if sent == "wrong":
                form["csrf_token"] = "forged"
            reply = client.post(url, data=form)
            assert reply.status_code == 403, (url, reply.status_code)
            assert "页面已过期" in reply.get_data(as_text=True), url
        checked += 1
    assert database_digest(deps) == before
    assert checked > 70
    assert set(bodies(world.mine, world.theirs))  # the bodies are the access matrix's


def test_a_bearer_token_needs_no_csrf_token_since_no_browser_sends_it_by_itself(towns):
    app, _, world = towns
    client = app.test_client()
    token = bearer(client, world.mine.staff["clerk"])
    other = app.test_client()
    reply = other.post(f"/api/v1/windows/{world.mine.window}/recall", json={}, headers=token)
    assert reply.status_code == 200


# -- logs ----------------------------------------------------------------------------------------


def test_no_password_token_id_number_or_phone_number_reaches_the_logs(towns, caplog):
    app, deps, world = towns
    app.extensions["hallq_notifier"] = LogNotifier()  # what a hall without SMS gateway runs
    client = app.test_client()
    caplog.set_level(logging.DEBUG)
    secrets = {"wrong-password-123", demo_password(world.mine.staff["manager"])}
    for password in ("wrong-password-123", demo_password(world.mine.staff["manager"])):
        reply = sign_in(client, world.mine.staff["manager"], password)
        if reply.status_code == 200:
            secrets |= {reply.get_json()["token"], reply.get_json()["csrf_token"]}
    kiosk = {"Authorization": f"Bearer {world.mine.tokens['kiosk']}"}
    secrets.add(world.mine.tokens["kiosk"])
    issued = client.post(
        f"/api/v1/halls/{world.mine.hall}/tickets",
        json={"category": "A", "phone": "13899990000"},
        headers=kiosk,
    )
    assert issued.status_code == 201
    secrets |= {issued.get_json()["token"], "13899990000", "99990000"}
    citizen = app.test_client()
    booked = citizen.post(
        f"/api/v1/halls/{world.mine.hall}/bookings",
        json={
            "item": world.mine.item,
            "start": "2026-11-27T10:00:00+08:00",
            "name": "赵六",
            "phone": "13677776666",
            "id_number": "370881195001010074",
        },
    )
    assert booked.status_code == 201, booked.get_json()
    secrets |= {"370881195001010074", "13677776666", "77776666", booked.get_json()["code"]}
    secrets.add(booked.get_json()["code"].replace("-", ""))
    citizen.get(f"/api/v1/bookings/{booked.get_json()['code']}")
    citizen.post(f"/api/v1/bookings/{booked.get_json()['code']}/cancel", json={})
    rotated = client.post(
        f"/api/v1/admin/devices/{world.mine.kiosk}/rotate-token",
        json={},
        headers=bearer(client, world.admin),
    )
    secrets.add(rotated.get_json()["token"])
    client.get(f"/kiosk/{world.mine.hall}?token={world.mine.tokens['kiosk']}")
    logged = [
        record
        for record in caplog.records
        if not record.name.startswith("sqlalchemy")  # its statement log is off unless asked for
    ]
    assert any("booking" in r.getMessage() for r in logged), "the log notifier wrote nothing"
    for record in logged:
        text = record.getMessage() + (record.exc_text or "")
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, f"{record.name}: {text[:200]}"


def test_the_server_keeps_no_access_log_that_could_hold_a_kiosk_token(towns):
    from queue_server.cli import _make_server

    app, _, _ = towns
    server = _make_server(app, "127.0.0.1", 0)
    assert type(server.log).__name__ == "_NoopLog"  # gevent writes no request lines at all
