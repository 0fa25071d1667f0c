"""Sign-in, sessions and passwords as staff and citizens notice them: limits that count the
real client behind the proxy, session cookies that end on every process, password rules, a
forced change after an admin's reset, photos that every process serves.

"Another process" is a second app on the same database, with its own adapters and caches (the
real processes are in tests/e2e/test_sign_in_processes.py)."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from queue_server.bootstrap import bootstrap
from queue_server.services import ratelimit
from queue_server.services.bus import RecordingBus
from queue_server.services.demo import demo_password
from queue_server.store.db import Database

from ..conftest import make_app
from .test_api import assert_error
from .test_booking_api import book, citizen


def other_process(deps: Any, tmp_path: Path, **settings: Any) -> Any:
    """A second app on the same database, as another `hallq serve` process of the deployment:
    its own database adapter (and caches), instance folder and bus; the same secret key."""
    instance = tmp_path / "second"
    instance.mkdir(exist_ok=True)
    second = bootstrap({"DB": Database(deps.db.url), "BUS": RecordingBus(), "CLOCK": deps.clock})
    return make_app(second, instance, **settings)


def sign_in(client: Any, staff_no: str, password: str | None = None, **extra: Any) -> Any:
    return client.post(
        "/api/v1/auth/login",
        json={"staff_no": staff_no, "password": password or demo_password(staff_no)},
        **extra,
    )


def from_address(address: str) -> dict[str, Any]:
    """A request that nginx forwarded for `address` (nginx itself is 127.0.0.1)."""
    return {"headers": {"X-Forwarded-For": address}}


def manager_token(client: Any, demo: dict[str, Any]) -> dict[str, str]:
    token = sign_in(client, demo["manager"]["staff_no"]).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


# -- the client behind the proxy -------------------------------------------------------------


def test_behind_the_proxy_one_address_guessing_locks_only_itself(deps, demo, tmp_path):
    app = make_app(deps, tmp_path, TRUSTED_PROXIES=1)
    client = app.test_client()
    manager = demo["manager"]["staff_no"]
    for _ in range(ratelimit.MAX_FAILURES_PER_ACCOUNT):
        wrong = sign_in(client, manager, "not-the-password", **from_address("203.0.113.5"))
        assert_error(wrong, 401, "unauthorized")
    locked = sign_in(client, manager, **from_address("203.0.113.5"))
    assert_error(locked, 429, "too_many")
    # The manager, at their own desk behind the same nginx, signs in.
    assert sign_in(client, manager, **from_address("10.20.0.8")).status_code == 200
    # A guesser cannot pretend to be the desk: nginx appends the real address last.
    spoofed = sign_in(client, manager, headers={"X-Forwarded-For": "10.20.0.8, 203.0.113.5"})
    assert_error(spoofed, 429, "too_many")


def test_without_a_trusted_proxy_a_forwarded_address_is_not_believed(deps, demo, tmp_path):
    client = make_app(deps, tmp_path).test_client()  # HALLQ_TRUSTED_PROXIES=0
    manager = demo["manager"]["staff_no"]
    for n in range(ratelimit.MAX_FAILURES_PER_ACCOUNT):
        sign_in(client, manager, "not-the-password", **from_address(f"198.51.100.{n}"))
    assert_error(sign_in(client, manager, **from_address("10.20.0.8")), 429, "too_many")


def test_wrong_booking_codes_are_counted_per_client_and_on_every_process(
    deps, demo, tmp_path, notifier
):
    app = make_app(deps, tmp_path, TRUSTED_PROXIES=1)
    app.extensions["hallq_notifier"] = notifier
    client = app.test_client()
    second = other_process(deps, tmp_path, TRUSTED_PROXIES=1).test_client()
    real = book(client, demo["hall"], citizen(deps))["code"]
    for n in range(20):  # the limit: 20 wrong codes in 10 minutes
        # Half the guesses through each process: both count them.
        guesser = client if n % 2 else second
        wrong = guesser.get(f"/api/v1/bookings/ABCD{n + 2222}", **from_address("203.0.113.5"))
        assert wrong.status_code in (404, 422)  # no such code, or not a code at all
    for process in (client, second):
        refused = process.get(f"/api/v1/bookings/{real}", **from_address("203.0.113.5"))
        assert_error(refused, 429, "too_many")
    # A citizen on another phone behind the same nginx looks up their booking.
    assert client.get(f"/api/v1/bookings/{real}", **from_address("10.20.0.9")).status_code == 200


@pytest.fixture
def notifier() -> Any:
    from queue_server.services.notify import FakeNotifier

    return FakeNotifier()


# -- session cookies end everywhere ----------------------------------------------------------


def cookie_of(client: Any, app: Any) -> str:
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    return str(cookie.value)


def replay(app: Any, cookie: str) -> Any:
    """A fresh browser sending an old session cookie to `app`: who does the API think it is?"""
    thief = app.test_client()
    thief.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), cookie)
    return thief.get("/api/v1/auth/me")


def test_a_session_cookie_replayed_after_sign_out_is_refused_on_every_process(deps, demo, tmp_path):
    app = make_app(deps, tmp_path)
    second = other_process(deps, tmp_path)
    client = app.test_client()
    clerk = demo["clerks"][0]
    signed_in = sign_in(client, clerk["staff_no"])
    cookie = cookie_of(client, app)
    assert replay(second, cookie).status_code == 200  # one deployment: both know the cookie
    assert replay(app, cookie).status_code == 200
    client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": signed_in.get_json()["csrf_token"]})
    assert_error(replay(app, cookie), 401, "unauthorized")
    assert_error(replay(second, cookie), 401, "unauthorized")


def test_the_console_sign_out_ends_the_cookie_on_every_process(deps, demo, tmp_path):
    app = make_app(deps, tmp_path)
    second = other_process(deps, tmp_path)
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    manager = demo["manager"]
    signed_in = client.post(
        "/admin/login",
        data={"staff_no": manager["staff_no"], "password": manager["password"], "csrf_token": csrf},
    )
    assert signed_in.status_code == 302
    cookie = cookie_of(client, app)
    thief = second.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/admin/").status_code == 200
    overview = client.get("/admin/").get_data(as_text=True)
    csrf = overview.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post("/admin/logout", data={"csrf_token": csrf})
    again = second.test_client()
    again.set_cookie("session", cookie)
    assert again.get("/admin/").status_code == 302  # back to the sign-in page


def test_a_password_reset_ends_every_cookie_and_forces_a_change(deps, demo, tmp_path):
    app = make_app(deps, tmp_path)
    second = other_process(deps, tmp_path)
    clerk_browser = app.test_client()
    clerk = demo["clerks"][0]
    sign_in(clerk_browser, clerk["staff_no"])
    cookie = cookie_of(clerk_browser, app)
    admin = app.test_client()
    headers = manager_token(admin, demo)
    clerk_id = clerk_browser.get("/api/v1/auth/me").get_json()["id"]
    reset = admin.post(f"/api/v1/admin/clerks/{clerk_id}/reset-password", json={}, headers=headers)
    assert reset.status_code == 200
    given = reset.get_json()["password"]
    assert_error(replay(app, cookie), 401, "unauthorized")
    assert_error(replay(second, cookie), 401, "unauthorized")
    # The password the admin read out works once: to choose one's own.
    refused = assert_error(sign_in(app.test_client(), clerk["staff_no"], given), 403)
    assert refused["error"] == "password_change_required"
    assert "设置新密码" in refused["message"]
    browser = app.test_client()
    changed = browser.post(
        "/api/v1/auth/password",
        json={"staff_no": clerk["staff_no"], "password": given, "new_password": "晨光-窗口-2026"},
    )
    assert changed.status_code == 200, changed.get_json()
    assert browser.get("/api/v1/auth/me").get_json()["id"] == clerk_id  # signed in afresh
    assert sign_in(app.test_client(), clerk["staff_no"], "晨光-窗口-2026").status_code == 200
    assert_error(sign_in(app.test_client(), clerk["staff_no"], given), 401)


def test_staff_change_their_own_password_and_other_sign_ins_end(deps, demo, tmp_path):
    app = make_app(deps, tmp_path)
    second = other_process(deps, tmp_path)
    clerk = demo["clerks"][0]
    desk, phone = app.test_client(), app.test_client()
    at_desk = sign_in(desk, clerk["staff_no"]).get_json()
    sign_in(phone, clerk["staff_no"])
    old_cookie = cookie_of(phone, app)
    csrf = {"X-CSRF-Token": at_desk["csrf_token"]}
    url = "/api/v1/auth/password"
    new = "patient-river-42"
    wrong = desk.post(url, json={"password": "not-mine-at-all", "new_password": new}, headers=csrf)
    assert_error(wrong, 401, "unauthorized")
    for weak, says in (
        ("short1", "至少 10 位"),
        (clerk["staff_no"], "至少 10 位"),
        ("1234567890", "过于常见"),
        ("Password123", "过于常见"),
    ):
        body = assert_error(
            desk.post(
                url, json={"password": clerk["password"], "new_password": weak}, headers=csrf
            ),
            422,
            "invalid",
        )
        assert says in body["message"], (weak, body)
    done = desk.post(url, json={"password": clerk["password"], "new_password": new}, headers=csrf)
    assert done.status_code == 200, done.get_json()
    assert desk.get("/api/v1/auth/me").status_code == 200  # this browser stays signed in
    assert_error(replay(second, old_cookie), 401, "unauthorized")  # the other one does not
    assert_error(sign_in(app.test_client(), clerk["staff_no"]), 401)
    assert sign_in(app.test_client(), clerk["staff_no"], new).status_code == 200


def test_a_new_member_of_staff_needs_a_password_that_follows_the_rules(deps, demo, client):
    headers = manager_token(client, demo)
    base = {"name": "新同事", "role": "clerk"}
    url = f"/api/v1/admin/halls/{demo['hall']}/clerks"
    for staff_no, password in (
        ("7001", "short-pw"),
        ("staffno7002", "staffno7002"),
        ("7003", "qwertyuiop"),
    ):
        body = {**base, "staff_no": staff_no, "password": password}
        refused = client.post(url, json=body, headers=headers)
        assert refused.status_code == 422, (password, refused.get_json())
    made = client.post(
        url,
        json={**base, "staff_no": "7004", "password": "bright-lantern-9"},
        headers=headers,
    )
    assert made.status_code == 201, made.get_json()


# -- photos ------------------------------------------------------------------------------------


def test_an_uploaded_photo_is_served_by_every_process_and_kept_in_the_backup(deps, demo, tmp_path):
    from queue_server.store import backup

    from .test_access_matrix import small_png

    app = make_app(deps, tmp_path)
    second = other_process(deps, tmp_path)  # another instance folder
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    manager = demo["manager"]
    client.post(
        "/admin/login",
        data={"staff_no": manager["staff_no"], "password": manager["password"], "csrf_token": csrf},
    )
    clerk_id = sign_in(app.test_client(), demo["clerks"][0]["staff_no"]).get_json()["clerk"]["id"]
    overview = client.get("/admin/").get_data(as_text=True)
    csrf = overview.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    picture = small_png()
    uploaded = client.post(
        f"/admin/staff/{clerk_id}/photo",
        data={"photo": (io.BytesIO(picture), "me.png"), "csrf_token": csrf},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    url = client.get(f"/api/v1/admin/clerks/{clerk_id}", headers=manager_token(client, demo))
    photo_url = url.get_json()["photo_url"]
    assert photo_url.startswith("/admin/photos/")
    served = second.test_client().get(photo_url)
    assert served.status_code == 200 and served.data == picture
    assert served.mimetype == "image/png"
    copy = backup.backup(deps.db.url, tmp_path / "backup.db")
    with sqlite3.connect(copy) as kept:
        assert kept.execute("SELECT data FROM staff_photos").fetchone()[0] == picture


def form_csrf(page: str) -> str:
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_after_a_reset_the_console_sign_in_leads_to_choosing_a_password(deps, demo, client):
    from queue_server.domain.model import Role
    from queue_server.services import admin
    from queue_server.services.context import Actor

    manager = demo["manager"]
    manager_id = sign_in(client, manager["staff_no"]).get_json()["clerk"]["id"]
    system = Actor("clerk", 0, None, Role.ADMIN, "系统")
    given = admin.reset_password(deps, system, manager_id)
    browser = client.application.test_client()
    csrf = form_csrf(browser.get("/admin/login").get_data(as_text=True))
    shown = browser.post(
        "/admin/login",
        data={"staff_no": manager["staff_no"], "password": given, "csrf_token": csrf},
    )
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "设置新密码" in page and 'id="new_password"' in page
    assert browser.get("/admin/").status_code == 302  # not signed in yet
    csrf = form_csrf(page)
    fields = {"staff_no": manager["staff_no"], "password": given, "csrf_token": csrf}
    differ = browser.post(
        "/admin/password",
        data={**fields, "new_password": "quiet-harbour-77", "repeat_password": "quiet-harbour-78"},
    )
    assert differ.status_code == 422 and "不一致" in differ.get_data(as_text=True)
    common = browser.post(
        "/admin/password",
        data={**fields, "new_password": "1qaz2wsx3edc", "repeat_password": "1qaz2wsx3edc"},
    )
    assert common.status_code == 422 and "过于常见" in common.get_data(as_text=True)
    saved = browser.post(
        "/admin/password",
        data={**fields, "new_password": "quiet-harbour-77", "repeat_password": "quiet-harbour-77"},
    )
    assert saved.status_code == 302
    assert browser.get("/admin/").status_code == 200  # signed in with the new password
