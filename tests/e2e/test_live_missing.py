"""A page whose live-connection script does not load (not served, or blocked on the way) says
so on screen, instead of showing figures that silently never change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import OPEN_HOURS, Server, axe_audit, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def hall(tmp_path: Any) -> Iterator[Server]:
    srv = Server(tmp_path, env={**OPEN_HOURS, "HALLQ_DEVICE_WORKERS": "0"})
    srv.seed()
    srv.start()
    yield srv
    srv.stop()


def without_socketio(page: Any) -> Any:
    page.route("**/socket.io.min.js", lambda route: route.abort())
    return page


def test_screens_say_when_their_live_connection_cannot_load(hall, new_page):
    clerk = next(c for c in hall.demo["clerks"] if c["window_number"] == 1)
    ticket = hall.issue("A")
    pages = {
        "hall-display": (
            (1920, 1080),
            f"/display/hall/{hall.demo['hall']}?voice=off",
            "#conn",
            "实时连接无法加载",
        ),
        "window-display": ((1024, 600), f"/display/window/{clerk['window']}", "#conn", "无法加载"),
        "kiosk": (
            (1080, 1920),
            f"/kiosk/{hall.demo['hall']}?token={hall.demo['kiosk_token']}",
            "#offline-banner",
            "实时连接无法加载",
        ),
        "phone": ((390, 844), f"/t/{ticket['token']}", "body", "实时更新无法加载"),
    }
    for name, (size, path, where, words) in pages.items():
        page = without_socketio(new_page(*size))
        page.goto(hall.url + path)
        shown = page.locator(where)
        shown.filter(has_text=words).first.wait_for(state="visible", timeout=10_000)
        screenshot(page, f"live-missing-{name}")
        if name != "phone":
            assert page.locator(where).is_visible(), name
        if name == "hall-display":
            axe_audit(page, "hall display without its live connection")


def test_a_screen_with_its_live_connection_shows_no_such_notice(hall, new_page):
    page = new_page(1920, 1080)
    page.goto(f"{hall.url}/display/hall/{hall.demo['hall']}?voice=off")
    page.wait_for_function("() => document.documentElement.dataset.live === 'up'")
    assert "无法加载" not in page.inner_text("body")
