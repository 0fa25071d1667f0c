"""The kiosk's pages and API: the kiosk page, the citizen's phone page and its QR code, the
service-item guide, the kiosk's home and device routes, and the printer settings."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import qrcode
import qrcode.image.svg

from queue_server.services.auth import register_device
from tests.conftest import make_app

CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_error(response: Any, status: int) -> dict[str, Any]:
    """A refusal with its status and a Chinese and an English message."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error", "message", "message_en"}
    assert CJK.search(body["message"]) and not CJK.search(body["message_en"])
    return body  # type: ignore[no-any-return]


def manager_headers(api: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token(api.demo['manager']['staff_no'])}"}


@pytest.fixture
def app(deps: Any, tmp_path: Any) -> Any:
    """The app with the background print worker on: kiosks print here."""
    application = make_app(deps, tmp_path, PRINTING=True)
    yield application
    application.extensions["hallq_printing"].close()


@pytest.fixture
def printing(app: Any) -> Any:
    return app.extensions["hallq_printing"]


# -- pages -------------------------------------------------------------------------------------


def test_kiosk_page_is_chinese_first_and_takes_its_timeouts_within_bounds(client, demo):
    page = client.get(f"/kiosk/{demo['hall']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "兴隆镇便民服务中心" in html and "请选择要办理的业务" in html
    assert 'data-idle="60"' in html and 'data-ticket="15"' in html
    assert "/static/vendor/socket.io.min.js" in html and "/static/kiosk/kiosk.js" in html
    assert page.headers["Cache-Control"] == "no-store"
    quick = client.get(f"/kiosk/{demo['hall']}?idle=3&ticket=5").get_data(as_text=True)
    assert 'data-idle="3"' in quick
    assert 'data-ticket="10"' in quick, "a ticket stays on screen at least 10 s"
    assert 'data-idle="2"' in client.get(f"/kiosk/{demo['hall']}?idle=0").get_data(as_text=True)
    assert 'data-idle="60"' in client.get(f"/kiosk/{demo['hall']}?idle=x").get_data(as_text=True)


def test_kiosk_page_of_a_missing_hall_says_so_in_chinese(client):
    page = client.get("/kiosk/999")
    assert page.status_code == 404
    assert "找不到该服务大厅" in page.get_data(as_text=True)


def test_phone_page_shows_the_ticket_and_no_personal_data(client, api):
    api.issue("B")
    ticket = api.issue("B", phone="13812345678", priority="elderly")
    page = client.get(f"/t/{ticket['token']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "B002" in html and "社会保险" in html and "等候中" in html
    assert "绿色通道·老年人" in html
    assert "下一位就是您" in html, "绿色通道 goes before the regular B001: nobody ahead"
    assert "13812345678" not in html and "5678" not in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert 'content="noindex"' in html


def test_phone_page_of_an_unknown_token_is_a_clear_404(client, demo):
    page = client.get("/t/not-a-real-token")
    assert page.status_code == 404
    assert "找不到该号" in page.get_data(as_text=True)
    assert client.get("/t/not-a-real-token/qr.svg").status_code == 404


def test_qr_code_encodes_the_phone_page_at_the_public_url(client, api, app):
    ticket = api.issue("A")
    response = client.get(f"/t/{ticket['token']}/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    expected = io.BytesIO()
    qrcode.make(
        f"{app.config['PUBLIC_URL']}/t/{ticket['token']}",
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    ).save(expected)
    assert response.data == expected.getvalue()


# -- the service-item guide --------------------------------------------------------------------


def test_service_items_search_by_pinyin_initials(client, demo):
    found = client.get(f"/api/v1/halls/{demo['hall']}/service-items?q=sb").get_json()
    names = [i["name"] for i in found["items"]]
    assert "社会保障卡申领" in names[:3]
    assert "户口迁移" not in names and "出生登记" not in names
    chinese = client.get(f"/api/v1/halls/{demo['hall']}/service-items?q=户口").get_json()
    assert [i["name"] for i in chinese["items"]] == ["户口迁移"]
    assert chinese["items"][0]["materials"] == ["居民身份证", "户口簿", "准予迁入证明"]
    assert chinese["items"][0]["time_limit"] == "5 个工作日"


def test_every_demo_service_item_has_a_plain_english_name(client, demo):
    items = client.get(f"/api/v1/halls/{demo['hall']}/service-items?limit=200").get_json()
    assert len(items["items"]) == 14
    for item in items["items"]:
        assert item["name_en"].isascii() and len(item["name_en"].split()) >= 2, item["name"]
    english = {i["name"]: i["name_en"] for i in items["items"]}
    assert english["城乡居民基本医疗保险参保登记"] == "Resident basic medical insurance enrolment"
    assert english["出生登记"] == "Birth registration"
    # The English kiosk's guide finds them by their English words too.
    found = client.get(f"/api/v1/halls/{demo['hall']}/service-items?q=birth").get_json()
    assert [i["name"] for i in found["items"]] == ["出生登记"]


def test_service_items_filter_and_refusals(client, demo):
    base = f"/api/v1/halls/{demo['hall']}/service-items"
    d = client.get(f"{base}?category=D").get_json()
    assert d["total"] == 2
    assert_error(client.get(f"{base}?q={'x' * 41}"), 422)
    assert_error(client.get(f"{base}?limit=abc"), 422)
    assert_error(client.get(f"{base}?category=Z"), 404)
    assert_error(client.get("/api/v1/halls/999/service-items"), 404)
    one = client.get(f"{base}/{d['items'][0]['id']}").get_json()["item"]
    assert one["category"]["prefix"] == "D"
    assert_error(client.get(f"{base}/99999"), 404)
    village_item = client.get(f"/api/v1/halls/{demo['village']}/service-items/1")
    assert_error(village_item, 404)


# -- the kiosk's home and the device -------------------------------------------------------------


def test_kiosk_home_in_and_out_of_opening_hours(client, api, clock, app):
    api.issue("C")
    home = client.get(f"/api/v1/halls/{api.demo['hall']}/kiosk").get_json()
    assert home["open"]["open"] is True
    # 预约签到 is offered exactly when the hall's API has the check-in route
    assert home["appointments"] is ("api.appointment_check_in" in app.view_functions)
    c = next(c for c in home["categories"] if c["prefix"] == "C")
    assert c["waiting"] == 1 and c["items"] == 2
    assert len(home["green_channel"]) == 4
    clock.advance(hours=11)
    evening = client.get(f"/api/v1/halls/{api.demo['hall']}/kiosk").get_json()
    assert evening["open"]["open"] is False
    assert evening["open"]["notice"] == "本厅将于 11月27日 09:00 开放"
    # a closed kiosk offers booking on the phone, when hallq has the booking page
    if "booking.book_page" in app.view_functions:
        assert evening["booking_url"] == f"{app.config['PUBLIC_URL']}/book/{api.demo['hall']}"
        qr = client.get(f"/kiosk/{api.demo['hall']}/booking-qr.svg")
        assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    else:
        assert evening["booking_url"] is None
    assert_error(client.get("/kiosk/999/booking-qr.svg"), 404)
    refused = assert_error(api.client.post(
        f"/api/v1/halls/{api.demo['hall']}/tickets", json={"category": "A"},
        headers=api.kiosk_headers(),
    ), 409)  # fmt: skip
    assert refused["message"] == "本厅将于 11月27日 09:00 开放"


def test_kiosk_me_needs_the_kiosk_token(client, api):
    me = client.get("/api/v1/kiosk/me", headers=api.kiosk_headers()).get_json()
    assert me["device"] == {
        "id": api.demo["kiosk_id"],
        "name": "大厅自助取号机",
        "kind": "kiosk",
        "hall_id": api.demo["hall"],
    }
    assert me["printer"]["configured"] is True and me["printer"]["scheme"] == "dummy"
    assert me["printer"]["alarms"] == []
    assert_error(client.get("/api/v1/kiosk/me"), 401)
    assert_error(client.get("/api/v1/kiosk/me", headers={"Authorization": "Bearer nope"}), 401)
    clerk = {"Authorization": f"Bearer {api.token(api.clerk(1)['staff_no'])}"}
    assert_error(client.get("/api/v1/kiosk/me", headers=clerk), 403)


def test_a_manager_sets_the_kiosk_printer(client, api, deps, app):
    url = f"/api/v1/kiosks/{api.demo['kiosk_id']}/printer"
    done = client.put(
        url,
        json={"printer": "tcp://192.168.1.50:9100", "paper_mm": 58, "mode": "image"},
        headers=manager_headers(api),
    )
    assert done.status_code == 200, done.get_json()
    printer = done.get_json()["printer"]
    assert (printer["url"], printer["paper_mm"], printer["mode"]) == (
        "tcp://192.168.1.50:9100",
        58,
        "image",
    )
    me = client.get("/api/v1/kiosk/me", headers=api.kiosk_headers()).get_json()
    assert me["printer"]["scheme"] == "tcp"
    bad = assert_error(
        client.put(url, json={"printer": "lpt://1"}, headers=manager_headers(api)), 422
    )
    assert "lpt://1" in bad["message"]
    assert_error(client.put(url, json={"printer": "dummy://", "paper_mm": 76},
                            headers=manager_headers(api)), 422)  # fmt: skip
    clerk = {"Authorization": f"Bearer {api.token(api.clerk(1)['staff_no'])}"}
    assert_error(client.put(url, json={"printer": "dummy://"}, headers=clerk), 403)
    assert_error(app.test_client().put(url, json={"printer": "dummy://"}), 401)
    assert_error(
        client.put("/api/v1/kiosks/999/printer", json={}, headers=manager_headers(api)), 404
    )
    board_id, _ = register_device(deps, api.demo["hall"], "board", "LED")
    assert_error(client.put(f"/api/v1/kiosks/{board_id}/printer", json={"printer": "dummy://"},
                            headers=manager_headers(api)), 422)  # fmt: skip
    removed = client.put(url, json={"printer": None}, headers=manager_headers(api)).get_json()
    assert removed["printer"]["configured"] is False


def test_test_print_goes_to_the_kiosk_printer(client, api, printing):
    response = client.post(
        f"/api/v1/kiosks/{api.demo['kiosk_id']}/printer/test", json={}, headers=manager_headers(api)
    )
    assert response.status_code == 202
    assert printing.wait_idle(5)
    assert "测试打印".encode("gb18030") in printing.link_for(api.demo["kiosk_id"]).received


def test_the_kiosk_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/halls/{hall}/service-items",
        "/api/v1/halls/{hall}/service-items/{item}",
        "/api/v1/halls/{hall}/kiosk",
        "/api/v1/kiosk/me",
        "/api/v1/kiosks/{device}/printer",
        "/api/v1/kiosks/{device}/printer/test",
    ):
        assert path in paths, path


def test_print_status_reaches_the_hall_room(client, api, live_client, printing):
    kiosk_screen = live_client()
    kiosk_screen.emit("join", {"hall": api.demo["hall"]}, namespace="/live")
    kiosk_screen.get_received("/live")
    ticket = api.issue("A")
    assert printing.wait_idle(5)
    events = [e for e in kiosk_screen.get_received("/live") if e["name"] == "print_status"]
    assert events == [
        {
            "name": "print_status",
            "args": [
                {
                    "device_id": api.demo["kiosk_id"],
                    "number": ticket["number"],
                    "state": "printed",
                    "kind": None,
                    "message": "",
                    "message_en": "",
                }
            ],
            "namespace": "/live",
        }
    ]
