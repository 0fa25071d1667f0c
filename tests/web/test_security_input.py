"""Bad input found by the fuzzer, pinned down: numbers too large for the database and digits
that are not ASCII get a clear refusal (404 or a form error), never a 500, and change nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from queue_server.services.demo import demo_password

from .test_api import assert_error, table_counts

HUGE = "9" * 30


def bearer(api: Any, staff_no: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token(staff_no)}"}


def test_an_id_too_large_for_the_database_is_no_such_page(client, api, deps):
    before = table_counts(deps)
    for url in (
        f"/api/v1/halls/{HUGE}/categories",
        f"/api/v1/halls/{2**31}/kiosk",
        f"/api/v1/windows/{HUGE}/evaluation",
    ):
        assert_error(client.get(url), 404)
    manager = bearer(api, api.demo["manager"]["staff_no"])
    assert_error(client.post(f"/api/v1/windows/{HUGE}/open", json={}, headers=manager), 404)
    for page in (f"/kiosk/{HUGE}", f"/display/hall/{HUGE}", f"/evaluate/{HUGE}", f"/book/{HUGE}"):
        assert client.get(page).status_code == 404, page
    assert table_counts(deps) == before


def test_a_whole_number_too_large_in_a_body_is_refused_with_its_field_named(client, api, deps):
    manager = bearer(api, api.demo["manager"]["staff_no"])
    before = table_counts(deps)
    made = client.post(
        "/api/v1/admin/halls",
        json={"name": "新站", "kind": "village", "parent_id": 10**20},
        headers=manager,
    )
    assert assert_error(made, 422, "invalid")["message_en"] == "Field parent_id is out of range"
    issued = client.post(
        f"/api/v1/halls/{api.demo['hall']}/tickets",
        json={"category": -(2**40)},
        headers=api.kiosk_headers(),
    )
    assert_error(issued, 422, "invalid")
    assert table_counts(deps) == before


def sign_in_console(client: Any, staff_no: str) -> str:
    reply = client.post(
        "/api/v1/auth/login", json={"staff_no": staff_no, "password": demo_password(staff_no)}
    )
    assert reply.status_code == 200
    return str(reply.get_json()["csrf_token"])


def test_console_forms_refuse_odd_digits_and_huge_ids_with_a_message(client, api, deps):
    csrf = sign_in_console(client, api.demo["manager"]["staff_no"])
    hall = api.demo["hall"]
    before = table_counts(deps)
    base = {"csrf_token": csrf, "number": "30", "name": "新窗口", "type": "comprehensive"}
    for odd in ({"order_1": "²"}, {"order_1": HUGE}, {"device_ids": HUGE}, {"device_ids": "٣"}):
        page = client.post(f"/admin/halls/{hall}/windows/new", data={**base, **odd})
        text = page.get_data(as_text=True)
        assert page.status_code in (200, 422), (odd, page.status_code)
        assert re.search(r"须为数字|无效", text), odd
    assert table_counts(deps) == before


@pytest.mark.parametrize("name", ["综合\x07受理", "综合\u200b受理", "\x1b@综合", "综合\ue000"])
def test_a_name_the_ticket_printer_would_refuse_is_refused_when_typed(client, api, deps, name):
    manager = bearer(api, api.demo["manager"]["staff_no"])
    category = api.demo["categories"]["A"]
    before = table_counts(deps)
    reply = client.patch(
        f"/api/v1/admin/categories/{category}", json={"name": name}, headers=manager
    )
    body = assert_error(reply, 422, "invalid")
    assert "无法显示或打印" in body["message"]
    items = client.post(
        f"/api/v1/admin/halls/{api.demo['hall']}/service-items",
        json={"code": "X-1", "name": "新事项", "materials": ["身份证", name]},
        headers=manager,
    )
    assert "无法显示或打印" in assert_error(items, 422, "invalid")["message"]
    assert table_counts(deps) == before
    notice = client.put(
        f"/api/v1/admin/halls/{api.demo['hall']}/notice",
        json={"notice": "第一行\n第二行\t完"},
        headers=manager,
    )
    assert notice.status_code == 200  # line breaks and tabs are fine in a notice
