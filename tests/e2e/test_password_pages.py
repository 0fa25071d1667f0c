"""Choosing one's own password in a real browser: at the counter after an admin's reset, and
in the console."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from .conftest import Server, axe_audit, screenshot, sign_in_console

pytestmark = pytest.mark.browser


def reset_password(srv: Server, staff_no: str) -> str:
    """An admin resets a member of staff's password through the API; the new one, as shown."""
    admin = {"Authorization": f"Bearer {srv.token(**srv.demo['admin'])}"}
    clerks = requests.get(
        f"{srv.url}/api/v1/admin/halls/{srv.demo['hall']}/clerks", headers=admin, timeout=10
    ).json()["clerks"]
    clerk_id = next(c["id"] for c in clerks if c["staff_no"] == staff_no)
    reply = requests.post(
        f"{srv.url}/api/v1/admin/clerks/{clerk_id}/reset-password",
        json={},
        headers=admin,
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["password"])


def test_after_a_reset_the_counter_asks_for_a_new_password_then_opens_the_panel(
    server: Server, new_page: Any
):
    clerk = server.demo["clerks"][0]
    given = reset_password(server, clerk["staff_no"])
    page = new_page(1280, 800)
    page.goto(f"{server.url}/counter/{clerk['window']}")
    page.fill("#staff-no", clerk["staff_no"])
    page.fill("#password", given)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#password-view:not([hidden])")
    assert page.is_visible("#password-reason")
    page.fill("#new-password", "short")
    page.fill("#repeat-password", "short")
    page.click("#password-form button[type=submit]")  # the browser refuses under 10 characters
    assert page.is_visible("#password-view")
    page.fill("#new-password", "1234567890")
    page.fill("#repeat-password", "1234567890")
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#toast:not([hidden])")
    assert "过于常见" in page.inner_text("#toast")
    screenshot(page, "counter-choose-password")
    axe_audit(page, "counter password form")
    page.fill("#new-password", "morning-tea-window-1")
    page.fill("#repeat-password", "morning-tea-window-1")
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#panel-view:not([hidden])")
    # The old password is gone; the new one signs in.
    assert requests.post(
        f"{server.url}/api/v1/auth/login",
        json={"staff_no": clerk["staff_no"], "password": "morning-tea-window-1"},
        timeout=10,
    ).ok


def test_a_manager_changes_their_password_in_the_console(server: Server, new_page: Any):
    page = sign_in_console(new_page(1280, 800), server)
    page.click("text=修改密码")
    page.wait_for_selector("#new_password")
    axe_audit(page, "console password page")
    page.fill("#password", server.demo["manager"]["password"])
    page.fill("#new_password", "lantern-by-the-river")
    page.fill("#repeat_password", "lantern-by-the-river")
    screenshot(page, "console-change-password")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{server.url}/admin/")
    assert "密码已修改" in page.inner_text("body")
    refused = requests.post(
        f"{server.url}/api/v1/auth/login",
        json={"staff_no": server.demo["manager"]["staff_no"], "password": "x" * 12},
        timeout=10,
    )
    assert refused.status_code == 401
