"""A ticket taken at a kiosk through the API, as the bytes its printer receives; printers that
fail (a serial printer through a pty pair that stops answering or goes away) raise alarms while
the ticket is issued and shown all the same."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from devices.printer import FontNotFound, find_cjk_font
from queue_server.store import tables
from tests.conftest import make_app, tool_missing
from tests.devices.fake_serial import FakeSerialPrinter

PUBLIC_URL = "https://hall.example.cn"


@pytest.fixture
def app(deps: Any, tmp_path: Path) -> Iterator[Any]:
    """The app with a public address and quick print retries; printing stops afterwards."""
    application = make_app(deps, tmp_path, PUBLIC_URL=PUBLIC_URL, PRINT_RETRY_DELAY=0.01)
    yield application
    application.extensions["hallq_printing"].close()


@pytest.fixture
def printing(app: Any) -> Any:
    return app.extensions["hallq_printing"]


def gb(text: str) -> bytes:
    return text.encode("gb18030")


def qr_payload(data: bytes) -> bytes:
    """The data stored in the printer's QR symbol (GS ( k, cn 49, fn 80, m 48)."""
    for match in re.finditer(rb"\x1d\(k", data):
        size = int.from_bytes(data[match.end() : match.end() + 2], "little")
        body = data[match.end() + 2 : match.end() + 2 + size]
        if body[:2] == b"1P":
            return body[3:]
    raise AssertionError("no QR code data in the ticket")


def qr_module_size(data: bytes) -> int:
    for match in re.finditer(rb"\x1d\(k\x03\x001C", data):
        return data[match.end()]
    raise AssertionError("no QR module size")


def set_printer(api: Any, **settings: Any) -> None:
    response = api.client.put(
        f"/api/v1/kiosks/{api.demo['kiosk_id']}/printer",
        json=settings,
        headers={"Authorization": f"Bearer {api.token(api.demo['manager']['staff_no'])}"},
    )
    assert response.status_code == 200, response.get_json()


def alarms(api: Any) -> list[dict[str, Any]]:
    response = api.client.get(f"/api/v1/halls/{api.demo['hall']}/alarms")
    return response.get_json()["alarms"]  # type: ignore[no-any-return]


def print_statuses(bus: Any) -> list[dict[str, Any]]:
    return [m.payload for m in bus.events("print_status")]


# -- the bytes -----------------------------------------------------------------------------------


def test_kiosk_ticket_bytes_carry_number_chinese_names_qr_materials_and_cut(api, printing):
    card = next(
        i
        for i in api.client.get(
            f"/api/v1/halls/{api.demo['hall']}/service-items?q=社会保障卡"
        ).get_json()["items"]
    )
    ticket = api.issue("B", service_item=card["id"])
    assert printing.wait_idle(5)
    data = printing.link_for(api.demo["kiosk_id"]).received
    assert data.startswith(b"\x1b@\x1c&"), "ESC @, then FS & (Chinese mode)"
    assert data.endswith(b"\x1dV\x00"), "the cut"
    assert gb("兴隆镇便民服务中心") in data
    assert gb("社会保险") in data and gb("社会保障卡申领") in data
    assert re.search(rb"\x1d![\x22-\x77][^\n]*B001\n", data), "the number in large print (GS !)"
    assert qr_payload(data) == f"{PUBLIC_URL}/t/{ticket['token']}".encode()
    for material in card["materials"]:
        assert gb(material) in data
    assert gb("前面等候") in data and gb("取号时间") in data and b"09:30" in data
    assert len(data) < 2000, f"a text ticket stays small: {len(data)} bytes"


def test_green_channel_ticket_says_so_and_staff_tickets_are_not_printed(api, printing, deps):
    api.issue("A", priority="elderly")
    staff = {"Authorization": f"Bearer {api.token(api.clerk(1)['staff_no'])}"}
    response = api.client.post(
        f"/api/v1/halls/{api.demo['hall']}/tickets", json={"category": "A"}, headers=staff
    )
    assert response.status_code == 201
    assert printing.wait_idle(5)
    data = printing.link_for(api.demo["kiosk_id"]).received
    assert gb("绿色通道·老年人") in data
    assert b"A001" in data and b"A002" not in data, "a clerk's ticket is not the kiosk's to print"


def test_file_printer_gets_each_ticket_appended_in_order(api, printing, tmp_path):
    path = tmp_path / "ticket.bin"
    set_printer(api, printer=f"file://{path}", paper_mm=58)
    api.issue("D")
    api.issue("E")
    assert printing.wait_idle(5)
    data = path.read_bytes()
    assert data.count(b"\x1b@\x1c&") == 2 and data.count(b"\x1dV\x00") == 2
    assert data.index(b"D001") < data.index(b"E001")
    assert qr_module_size(data) == 5, "58 mm paper takes a smaller QR module than 80 mm"
    assert alarms(api) == []


def test_image_mode_prints_the_text_as_a_raster_with_a_native_qr(api, printing, tmp_path):
    try:
        find_cjk_font()
    except FontNotFound:
        tool_missing("a CJK font", "apt-get install fonts-noto-cjk")
    path = tmp_path / "ticket.bin"
    set_printer(api, printer=f"file://{path}", mode="image")
    ticket = api.issue("C")
    assert printing.wait_idle(10)
    data = path.read_bytes()
    assert b"\x1dv0\x00" in data, "GS v 0 raster"
    assert b"\x1c&" not in data and gb("医疗保险") not in data
    assert qr_payload(data) == f"{PUBLIC_URL}/t/{ticket['token']}".encode()


def test_a_name_the_printer_charset_cannot_print_raises_an_alarm(api, printing, deps, bus):
    with deps.db.transaction() as session:
        session.execute(
            update(tables.halls)
            .where(tables.halls.c.id == api.demo["hall"])
            .values(name="𠀀镇便民服务中心")
        )
    set_printer(api, printer="dummy://", encoding="gbk")
    ticket = api.issue("A")
    assert ticket["number"] == "A001"
    assert printing.wait_idle(5)
    [alarm] = alarms(api)
    assert alarm["kind"] == "print_failed" and "GBK" in alarm["message"]
    assert print_statuses(bus)[-1]["state"] == "failed"


# -- a serial printer through a pty pair ---------------------------------------------------------


@pytest.fixture
def far_end() -> Iterator[FakeSerialPrinter]:
    end = FakeSerialPrinter()
    yield end
    end.switch_off()


def issue_quickly(api: Any, category: str) -> dict[str, Any]:
    """Take a ticket and check the kiosk got it at once, whatever the printer does."""
    started = time.perf_counter()
    ticket = api.issue(category)
    assert time.perf_counter() - started < 1.0
    status = api.client.get(f"/api/v1/tickets/{ticket['token']}")
    assert status.status_code == 200 and status.get_json()["state"] == "waiting"
    page = api.client.get(f"/t/{ticket['token']}")
    assert page.status_code == 200 and ticket["number"] in page.get_data(as_text=True)
    return ticket


def test_serial_printer_that_stops_answering_then_goes_away_raises_alarms(
    api, printing, bus, far_end
):
    set_printer(api, printer=far_end.url())
    first = issue_quickly(api, "A")
    assert printing.wait_idle(5)
    assert first["number"].encode() in far_end.received
    assert alarms(api) == []
    me = api.client.get("/api/v1/kiosk/me", headers=api.kiosk_headers()).get_json()
    assert me["printer"]["state"] == "ok"

    far_end.mode = "silent"  # the printer is silent: silence is "unknown", never "printed"
    second = issue_quickly(api, "A")
    assert printing.wait_idle(5)
    assert [a["kind"] for a in alarms(api)] == ["printer_no_reply"]
    assert print_statuses(bus)[-1] == {
        "device_id": api.demo["kiosk_id"],
        "number": second["number"],
        "state": "unconfirmed",
        "kind": "printer_no_reply",
        "message": print_statuses(bus)[-1]["message"],
        "message_en": print_statuses(bus)[-1]["message_en"],
    }

    far_end.switch_off()  # switched off: the port is gone
    third = issue_quickly(api, "A")
    assert printing.wait_idle(10)
    kinds = {a["kind"] for a in alarms(api)}
    assert kinds == {"printer_no_reply", "printer_offline"}
    offline = next(a for a in alarms(api) if a["kind"] == "printer_offline")
    assert offline["device_id"] == api.demo["kiosk_id"] and "串口打印机" in offline["message"]
    assert print_statuses(bus)[-1]["number"] == third["number"]
    assert print_statuses(bus)[-1]["state"] == "failed"
    me = api.client.get("/api/v1/kiosk/me", headers=api.kiosk_headers()).get_json()
    assert me["printer"]["state"] == "fault" and len(me["printer"]["alarms"]) == 2

    replacement = FakeSerialPrinter()  # a working printer again: the next ticket clears the alarms
    try:
        set_printer(api, printer=replacement.url())
        fourth = issue_quickly(api, "A")
        assert printing.wait_idle(5)
        assert fourth["number"].encode() in replacement.received
        assert alarms(api) == []
        assert {m.payload["kind"] for m in bus.events("alarm_cleared")} == {
            "printer_no_reply",
            "printer_offline",
        }
    finally:
        replacement.switch_off()
