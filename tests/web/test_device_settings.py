"""Device settings cannot be turned against the server: through the API and the console a
manager may set only the printers, boards and keypads the administrator allows, and never a
file or a port on the server's own network (docs/reliability.md, "Device settings")."""

from __future__ import annotations

import ipaddress
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from devices.addresses import DevicePolicy
from tests.conftest import make_app

from .test_admin_pages import csrf_of, sign_in
from .test_api import assert_error

EPSON = (0x04B8, 0x0E15)


@pytest.fixture
def app(deps: Any, tmp_path: Path) -> Any:
    """A production server: no HALLQ_TEST_DEVICES; one listed port, one printer network and one
    USB printer plugged in."""
    policy = DevicePolicy(
        serial_ports=("/dev/ttyUSB0", "/dev/serial/by-id/usb-Prolific-port0", "/etc/passwd"),
        networks=(ipaddress.ip_network("192.0.2.0/24"),),
        usb_devices=lambda: {EPSON},
    )
    app = make_app(deps, tmp_path, DEVICE_POLICY=policy, PRINT_IDLE_SECONDS=0.2)
    yield app
    app.extensions["hallq_printing"].close()


def manager(api: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token(api.demo['manager']['staff_no'])}"}


def put_printer(client: Any, api: Any, url: str) -> Any:
    return client.put(
        f"/api/v1/kiosks/{api.demo['kiosk_id']}/printer",
        json={"printer": url},
        headers=manager(api),
    )


def add_device(client: Any, api: Any, kind: str, url: str) -> Any:
    return client.post(
        f"/api/v1/admin/halls/{api.demo['hall']}/devices",
        json={"kind": kind, "name": f"新{kind}", "url": url},
        headers=manager(api),
    )


def printed_everything(app: Any) -> None:
    assert app.extensions["hallq_printing"].wait_idle(5)


def test_a_manager_can_neither_create_nor_append_to_a_file(client, api, app, tmp_path):
    kept = tmp_path / "kept.txt"
    kept.write_bytes(b"secret settings\n")
    new = tmp_path / "created.bin"
    for url in (f"file://{kept}", f"file://{new}", "file:///etc/cron.d/hallq", "dummy://"):
        body = assert_error(put_printer(client, api, url), 422)
        assert "不允许" in body["message"] and "usb://" in body["message"], body
        assert "not allowed" in body["message_en"] and "tcp://" in body["message_en"], body
        for kind in ("printer", "board"):
            body = assert_error(add_device(client, api, kind, url), 422)
            assert "url" in body["message_en"] or "URL" in body["message_en"]
    for url in ("serial:///dev/null", f"serial://{kept}", "loop://", f"{new}"):
        assert_error(add_device(client, api, "evaluator", url), 422)
        assert_error(put_printer(client, api, url), 422)
    api.issue("A")  # a ticket at the kiosk prints on its own (demo) printer, not into a file
    printed_everything(app)
    assert kept.read_bytes() == b"secret settings\n"
    assert not new.exists()


def test_a_manager_cannot_make_the_server_connect_to_a_port_of_its_own(client, api, app):
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        for url in (
            f"tcp://127.0.0.1:{port}",
            f"tcp://localhost:{port}",
            f"tcp://[::ffff:127.0.0.1]:{port}",
            f"tcp://2130706433:{port}",
            f"tcp://192.0.2.7.nip.io:{port}",
        ):
            body = assert_error(put_printer(client, api, url), 422)
            assert "192.0.2.0/24" in body["message"] and "192.0.2.0/24" in body["message_en"]
            assert_error(add_device(client, api, "printer", url), 422)
            assert_error(add_device(client, api, "board", url.replace("tcp", "socket")), 422)
        tested = client.post(
            f"/api/v1/kiosks/{api.demo['kiosk_id']}/printer/test", headers=manager(api)
        )
        assert tested.status_code in (200, 202)
        api.issue("A")
        printed_everything(app)
        time.sleep(0.2)
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody came: the server never connected
    finally:
        listener.close()


def test_the_administrators_printers_boards_and_keypads_can_be_set(client, api):
    for url in (
        "usb://04b8:0e15",
        "serial:///dev/ttyUSB0?baudrate=19200",
        "serial:///dev/serial/by-id/usb-Prolific-port0",
        "tcp://192.0.2.7:9100",
    ):
        done = put_printer(client, api, url)
        assert done.status_code == 200, done.get_json()
        assert done.get_json()["printer"]["url"] == url
    assert add_device(client, api, "board", "serial:///dev/ttyUSB0?address=2").status_code == 201
    assert add_device(client, api, "evaluator", "socket://192.0.2.9:4001").status_code == 201
    # a USB printer not plugged in, an unlisted port, a listed path that is not a serial port
    for url in ("usb://04b8:0202", "serial:///dev/ttyUSB1", "serial:///etc/passwd",
                "serial:///dev/../etc/passwd", "tcp://198.51.100.7:9100"):  # fmt: skip
        body = assert_error(put_printer(client, api, url), 422)
        assert "04b8:0e15" in body["message"] and "/dev/ttyUSB0" in body["message_en"]


def test_the_console_refuses_a_file_printer_too(client, api, tmp_path):
    target = tmp_path / "console.bin"
    assert sign_in(client, api.demo["manager"]["staff_no"]).status_code == 302
    csrf = csrf_of(client.get(f"/admin/devices/{api.demo['kiosk_id']}").get_data(as_text=True))
    refused = client.post(
        f"/admin/devices/{api.demo['kiosk_id']}/printer",
        data={"csrf_token": csrf, "printer": f"file://{target}", "paper_mm": "80",
              "mode": "text", "encoding": "gb18030"},
    )  # fmt: skip
    assert refused.status_code == 422 and "不允许" in refused.get_data(as_text=True)
    assert not target.exists()


def test_the_test_suite_and_demos_may_use_files_when_the_server_allows_test_devices():
    policy = DevicePolicy.from_settings({"TEST_DEVICES": "1"})
    assert policy.check("file:///tmp/ticket.bin", "printer").port == "/tmp/ticket.bin"
    assert policy.check("loop://?address=2", "serial").options == {"address": 2}
    closed = DevicePolicy.from_settings({"TEST_DEVICES": "0", "PRINTER_NETWORKS": "10.1.0.0/16"})
    assert closed.check("tcp://10.1.2.3", "printer").tcp_port == 9100
    with pytest.raises(Exception, match="not allowed"):
        closed.check("dummy://", "printer")
