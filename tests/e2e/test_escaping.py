"""Names with markup stay text everywhere: a manager gives the hall, its notice, a category, a
service item and a clerk names full of HTML through the console's API; then every page a
citizen, a clerk, a screen or a manager sees shows them literally, no script runs (no dialog),
no element is made of them, and the printed ticket carries the same characters. The server's
output never shows the kiosk's token from the page address either."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from .conftest import Server, sign_in_console, sign_in_counter

pytestmark = pytest.mark.browser
OPEN = {"HALLQ_CLOCK_START": "2026-11-26T09:30:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}

HALL = '<img src=x onerror=alert("hall")>兴隆镇'
NOTICE = '<svg/onload=alert("notice")>请带身份证'
CATEGORY = '<script>alert("category")</script>'
ITEM = '<script>alert("item")</script>'
CLERK = '<img src=x onerror=alert("clerk")>张三'
# What markup in a name would have made of the page, had it not been escaped.
INJECTED = "img[src='x'], svg[onload], script:not([src]):not([type='application/json'])"


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose names are full of markup, one ticket called at window 1 (printed)."""
    instance = tmp_path_factory.mktemp("escaping")
    srv = Server(instance, env=OPEN)
    srv.seed("--printer", f"file://{instance / 'ticket.bin'}")
    srv.start()
    rename_everything(srv)
    ticket = srv.issue("A", service_item=srv.demo["item"])
    srv.demo["ticket"] = ticket
    srv.window(1, "open")
    srv.window(1, "call-next")
    yield srv
    srv.stop()


def rename_everything(srv: Server) -> None:
    """Put markup into every name a citizen or a screen sees, as a manager would."""
    token = srv.manager_token()
    admin = f"{srv.url}/api/v1/admin"
    headers = {"Authorization": f"Bearer {token}"}
    hall = srv.demo["hall"]

    def send(method: str, url: str, body: dict[str, Any]) -> Any:
        reply = requests.request(method, admin + url, json=body, headers=headers, timeout=10)
        assert reply.status_code == 200, reply.text
        return reply.json()

    send("PATCH", f"/halls/{hall}", {"name": HALL})
    send("PUT", f"/halls/{hall}/notice", {"notice": NOTICE})
    categories = requests.get(f"{admin}/halls/{hall}/categories", headers=headers, timeout=10)
    a = next(c for c in categories.json()["categories"] if c["prefix"] == "A")
    send("PATCH", f"/categories/{a['id']}", {"name": CATEGORY})
    items = requests.get(f"{admin}/halls/{hall}/service-items", headers=headers, timeout=10)
    item = next(i for i in items.json()["items"] if i["category_id"] == a["id"])
    send("PATCH", f"/service-items/{item['id']}", {"name": ITEM})
    srv.demo["item"] = item["id"]
    clerk = next(c for c in srv.demo["clerks"] if c["window_number"] == 1)
    clerks = requests.get(f"{admin}/halls/{hall}/clerks", headers=headers, timeout=10)
    found = next(c for c in clerks.json()["clerks"] if c["staff_no"] == clerk["staff_no"])
    send("PATCH", f"/clerks/{found['id']}", {"name": CLERK})


def watched(new_page: Any, size: tuple[int, int] = (1280, 800)) -> tuple[Any, list[str]]:
    """A page that records every dialog a script would open (and dismisses it)."""
    page = new_page(*size)
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return page, dialogs


def shows_literally(page: Any, dialogs: list[str], *texts: str) -> None:
    """The texts appear as text, nothing was made of their markup, no script ran."""
    page.wait_for_load_state("networkidle")
    for text in texts:
        page.wait_for_function("t => document.body.innerText.includes(t)", arg=text)
    assert page.locator(INJECTED).count() == 0, page.url
    time.sleep(0.2)  # an onerror or onload would have fired by now
    assert dialogs == [], (page.url, dialogs)


def window_1(srv: Server) -> int:
    return int(next(c["window"] for c in srv.demo["clerks"] if c["window_number"] == 1))


def test_the_citizens_pages_show_markup_as_text(hall: Server, new_page):
    srv, ticket = hall, hall.demo["ticket"]
    kiosk, dialogs = watched(new_page, (1080, 1920))
    kiosk.goto(f"{srv.url}/kiosk/{srv.demo['hall']}?token={srv.demo['kiosk_token']}")
    shows_literally(kiosk, dialogs, HALL, CATEGORY)
    phone, dialogs = watched(new_page, (390, 844))
    phone.goto(f"{srv.url}/t/{ticket['token']}")
    shows_literally(phone, dialogs, CATEGORY)
    book, dialogs = watched(new_page, (390, 844))
    book.goto(f"{srv.url}/book/{srv.demo['hall']}")
    shows_literally(book, dialogs, HALL)
    rating, dialogs = watched(new_page, (390, 844))
    rating.goto(f"{srv.url}/evaluate/ticket/{ticket['token']}")
    shows_literally(rating, dialogs)


def test_the_screens_and_the_pad_show_markup_as_text(hall: Server, new_page):
    srv = hall
    lobby, dialogs = watched(new_page, (1920, 1080))
    lobby.goto(f"{srv.url}/display/hall/{srv.demo['hall']}?voice=off")
    shows_literally(lobby, dialogs, HALL, CATEGORY, ITEM, "请带身份证")
    assert NOTICE in lobby.inner_text("body") or NOTICE[:20] in lobby.content()
    board, dialogs = watched(new_page, (800, 480))
    board.goto(f"{srv.url}/display/window/{window_1(srv)}")
    shows_literally(board, dialogs, CLERK)
    pad, dialogs = watched(new_page, (1024, 768))
    pad.goto(f"{srv.url}/evaluate/{window_1(srv)}")
    shows_literally(pad, dialogs, CLERK)


def test_the_counter_and_the_console_show_markup_as_text(hall: Server, new_page):
    srv = hall
    clerk = next(c for c in srv.demo["clerks"] if c["window_number"] == 1)
    panel, dialogs = watched(new_page)
    sign_in_counter(panel, srv, clerk, window_1(srv))
    shows_literally(panel, dialogs, CLERK, CATEGORY)
    console, dialogs = watched(new_page, (1366, 900))
    sign_in_console(console, srv)
    shows_literally(console, dialogs, HALL)
    hall_id = srv.demo["hall"]
    for path, texts in (
        (f"/admin/halls/{hall_id}/categories", (CATEGORY,)),
        (f"/admin/halls/{hall_id}/items", (ITEM,)),
        (f"/admin/halls/{hall_id}/staff", (CLERK,)),
        (f"/admin/halls/{hall_id}/windows", (CLERK,)),
        (f"/admin/halls/{hall_id}/notice", ()),
        (f"/admin/halls/{hall_id}/monitor", (CATEGORY,)),
        (f"/admin/halls/{hall_id}", ()),
    ):
        console.goto(srv.url + path)
        shows_literally(console, dialogs, HALL, *texts)
    assert console.input_value("#f-name") == HALL  # the form gives the name back unchanged


def test_the_printed_ticket_carries_the_names_as_they_were_typed(hall: Server):
    printed = hall.instance / "ticket.bin"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (printed.exists() and printed.stat().st_size):
        time.sleep(0.1)
    # The big hall name wraps on 80 mm paper: compare without the line breaks and spaces.
    data = printed.read_bytes().replace(b"\n", b"").replace(b" ", b"")
    for name in (HALL, CATEGORY):
        assert name.replace(" ", "").encode("gb18030") in data, name


def test_the_servers_output_never_shows_the_kiosk_token(hall: Server, new_page):
    page = new_page(1080, 1920)
    page.goto(f"{hall.url}/kiosk/{hall.demo['hall']}?token={hall.demo['kiosk_token']}")
    page.wait_for_load_state("networkidle")
    output = (hall.instance / "serve.log").read_text(encoding="utf-8", errors="replace")
    assert "hallq serving at" in output  # the file is the server's output
    assert hall.demo["kiosk_token"] not in output
    assert "?token=" not in output
