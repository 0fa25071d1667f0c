"""Where people use a case, over HTTP and Socket.IO: the 受理回执 and the 一次性告知 slip as the
bytes the printer receives, the counter's case of the ticket served (registered for it or
picked up with it), the back office's workbench with who signed each parallel step, the
citizen's live room and the notices to their phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from queue_server.realtime import NAMESPACE, socketio
from queue_server.services import queue as q
from queue_server.services.notify import FakeNotifier
from queue_server.store import tables
from tests.conftest import make_app
from tests.services.cases_world import FOOD, HEALTH, MARKET, World, applicant, build
from tests.web.test_cases_api import Http, clerk_headers, register_body

PUBLIC_URL = "https://hall.example.cn"


@pytest.fixture
def world(deps: Any) -> World:
    return build(deps)


@pytest.fixture
def app(deps: Any, tmp_path: Path, world: World) -> Iterator[Any]:
    """The app printing for real (a dummy:// kiosk printer keeps the bytes), notices kept."""
    application = make_app(deps, tmp_path, PUBLIC_URL=PUBLIC_URL, PRINT_RETRY_DELAY=0.01)
    application.extensions["hallq"].notifier = FakeNotifier()
    yield application
    application.extensions["hallq_printing"].close()


@pytest.fixture
def http(client: Any, world: World) -> Http:
    return Http(client, world)


def set_kiosk_printer(world: World, config: dict[str, Any] | None, app: Any = None) -> None:
    """Give the kiosk a printer once what it printed before is done (its tickets so far)."""
    if app is not None:
        assert app.extensions["hallq_printing"].wait_idle(5)
    with world.deps.db.transaction() as s:
        s.execute(
            update(tables.devices)
            .where(tables.devices.c.id == world.town["kiosk_id"])  # type: ignore[attr-defined]
            .values(config=config or {})
        )


def printed(app: Any, world: World) -> bytes:
    """What the kiosk's printer received since the last ticket (the demo's kiosk prints its
    tickets on a dummy:// printer too): the last paper."""
    printing = app.extensions["hallq_printing"]
    assert printing.wait_idle(5)
    link = printing.link_for(world.town["kiosk_id"])  # type: ignore[attr-defined]
    data = bytes(link.received) if link is not None else b""
    return data[data.rfind(b"\x1b@") :] if data else b""


def gb(text: str) -> bytes:
    return text.encode("gb18030")


def qr_payload(data: bytes) -> bytes:
    """The data stored in the printer's QR symbol (GS ( k, cn 49, fn 80, m 48)."""
    for match in re.finditer(rb"\x1d\(k", data):
        size = int.from_bytes(data[match.end() : match.end() + 2], "little")
        body = data[match.end() + 2 : match.end() + 2 + size]
        if body[:2] == b"1P":
            return body[3:]
    raise AssertionError("no QR code data on the paper")


def test_the_receipt_prints_in_chinese_mode_with_number_item_materials_date_phone_and_qr(
    app, http: Http, world: World
):
    world.serve()  # the kiosk's ticket is not printed: its printer is set up after it
    set_kiosk_printer(world, {"printer": "dummy://", "paper_mm": 80}, app)
    with world.deps.db.transaction() as s:
        hall = s.execute(select(tables.halls.c.settings).where(tables.halls.c.id == world.hall))
        settings = dict(hall.scalar_one() or {})
        settings["cases"] = {"phone": "0531-88001234"}
        s.execute(
            update(tables.halls).where(tables.halls.c.id == world.hall).values(settings=settings)
        )
    clerk = clerk_headers(http)
    body = register_body(world, accept_with_missing=True)
    body["materials"][FOOD[2]] = "missing"
    made = http.post(f"/windows/{world.window}/cases", body, clerk).get_json()
    reply = http.post(f"/cases/{made['id']}/receipt", {}, clerk)
    assert reply.status_code == 200, reply.get_json()

    data = printed(app, world)
    assert data.startswith(b"\x1b@\x1c&"), "ESC @, then FS & (the printer's Chinese mode)"
    assert data.endswith(b"\x1dV\x00"), "the cut"
    assert gb("受理回执") in data and gb(made["number"]) in data
    assert gb("食品经营许可") in data
    assert gb("张*丰") in data or gb("张**") in data, "the applicant's name masked"
    assert gb("张三丰") not in data and applicant()["id_number"].encode() not in data
    received = data.split(gb("已收材料"))[1].split(gb("容缺后补"))[0]
    assert gb(FOOD[0]) in received and gb(FOOD[1]) in received and gb(FOOD[2]) not in received
    assert gb(FOOD[2]) in data.split(gb("容缺后补"))[1], "the material to follow is listed"
    assert gb("承诺办结 Promised: 2026年12月3日") in data
    assert gb("暂定") not in data, "2026's holiday notice is out: the date is firm"
    assert gb("0531-88001234") in data
    assert qr_payload(data) == f"{PUBLIC_URL}/c/{made['token']}".encode()


def test_a_refusal_for_missing_materials_prints_the_one_time_notice(app, http: Http, world: World):
    world.serve()
    set_kiosk_printer(world, {"printer": "dummy://", "paper_mm": 58}, app)
    clerk = clerk_headers(http)
    reply = http.post(
        f"/windows/{world.window}/missing-notice",
        {"item": world.food_item, "missing": [FOOD[2], FOOD[0]]},
        clerk,
    )
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["missing"] == [FOOD[0], FOOD[2]], "in the item's order"
    data = printed(app, world)
    assert data.startswith(b"\x1b@\x1c&") and data.endswith(b"\x1dV\x00")
    assert gb("一次性告知单") in data and gb("食品经营许可") in data
    wanted = data.split(b"Please bring these materials:")[1].split(gb("已核对的材料"))[0]
    assert gb(FOOD[0]) in wanted and gb(FOOD[2]) in wanted and gb(FOOD[1]) not in wanted
    assert b"\x1d(k" not in data, "no QR code: there is no case"


def test_bad_notices_and_no_printer_get_bilingual_errors_and_print_nothing(
    app, http: Http, world: World
):
    world.serve()
    set_kiosk_printer(world, None, app)
    clerk = clerk_headers(http)
    url = f"/windows/{world.window}/missing-notice"
    reply = http.post(url, {"item": world.food_item, "missing": ["营业执照"]}, clerk)
    assert reply.status_code == 409, "no printer anywhere in the hall"
    assert "打印机" in reply.get_json()["message"] and "printer" in reply.get_json()["message_en"]
    set_kiosk_printer(world, {"printer": "dummy://"}, app)
    for body in (
        {"item": world.food_item, "missing": []},
        {"item": world.food_item, "missing": ["护照"]},
        {"item": "x", "missing": ["营业执照"]},
    ):
        reply = http.post(url, body, clerk)
        assert reply.status_code == 422, body
        assert reply.get_json()["message"] and reply.get_json()["message_en"]
    assert http.post(url, {"item": world.food_item, "missing": [FOOD[0]]}).status_code == 401
    assert gb("一次性告知单") not in printed(app, world)


@pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)
def test_the_counter_sees_the_case_of_the_ticket_and_of_the_pickup_ticket(
    app, http: Http, world: World
):
    world.serve()
    clerk = clerk_headers(http)
    url = f"/windows/{world.window}/case"
    assert http.get(url, clerk).get_json()["case"] is None
    made = http.post(f"/windows/{world.window}/cases", register_body(world), clerk).get_json()
    seen = http.get(url, clerk).get_json()
    assert seen["case"]["number"] == made["number"] and seen["pickup"] is False
    assert seen["case"]["applicant"]["id_number"] != applicant()["id_number"]
    for key in ("market", "health"):
        assert http.post(f"/cases/{made['id']}/approve", {}, http.approver(key)).status_code == 200
    q.finish(world.deps, world.clerk, world.window)

    kiosk = {"Authorization": f"Bearer {world.town['kiosk_token']}"}  # type: ignore[attr-defined]
    scanned = f"{PUBLIC_URL}/c/{made['token']}"  # the QR scanner types the whole address
    ticket = http.post(f"/halls/{world.hall}/pickup-tickets", {"case": scanned}, kiosk)
    assert ticket.status_code == 201, ticket.get_json()
    called = q.call_next(world.deps, world.clerk, world.window)
    assert called["ticket"]["number"] == ticket.get_json()["number"]
    seen = http.get(url, clerk).get_json()
    assert seen["pickup"] is True and seen["case"]["state"] == "approved"
    delivered = http.post(f"/cases/{made['id']}/deliver", {"how": "window"}, clerk)
    assert delivered.get_json()["state"] == "delivered"
    assert http.get(url, http.approver("market")).status_code == 403


def test_the_workbench_lists_the_departments_cases_with_who_signed(http: Http, world: World):
    world.serve()
    clerk = clerk_headers(http)
    made = http.post(f"/windows/{world.window}/cases", register_body(world), clerk).get_json()
    http.post(f"/cases/{made['id']}/approve", {}, http.approver("market"))
    bench = http.get("/backoffice/cases", http.approver("health")).get_json()
    assert bench["department"] == HEALTH
    (case,) = bench["cases"]
    assert case["number"] == made["number"] and case["my_step"]["state"] == "pending"
    signed = {s["department"]: (s["state"], s["approver"]) for s in case["steps"]}
    assert signed == {MARKET: ("approved", "审批market"), HEALTH: ("pending", "")}
    assert "张三丰" not in str(bench) and "13912345678" not in str(bench)
    assert http.get("/backoffice/cases", clerk).get_json()["cases"] == [], "not a reviewer"
    assert http.get("/backoffice/cases").status_code == 401
    http.post(f"/cases/{made['id']}/approve", {}, http.approver("health"))
    bench = http.get("/backoffice/cases", http.approver("health")).get_json()
    assert bench["cases"] == [], "a decided case leaves the workbench for the front desk"


@pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)
def test_the_citizen_hears_of_the_correction_and_the_decision(app, http: Http, world: World):
    world.serve()
    clerk = clerk_headers(http)
    made = http.post(f"/windows/{world.window}/cases", register_body(world), clerk).get_json()
    citizen = socketio.test_client(app, namespace=NAMESPACE)
    citizen.emit("join", {"case": made["token"]}, namespace=NAMESPACE)
    (snapshot,) = [p for p in citizen.get_received(NAMESPACE) if p["name"] == "snapshot"]
    assert snapshot["args"][0]["case"]["number"] == made["number"]

    market = http.approver("market")
    http.post(f"/cases/{made['id']}/return", {"missing": [FOOD[2]], "note": ""}, market)
    heard = [p["args"][0] for p in citizen.get_received(NAMESPACE) if p["name"] == "case_status"]
    assert heard == [{"number": made["number"], "state": "correction", "what": "returned"}]
    notifier = app.extensions["hallq"].notifier
    assert notifier.kinds() == ["case_correction"]
    assert FOOD[2] in notifier.sent[0].text and notifier.sent[0].phone == "13912345678"

    http.post(f"/cases/{made['id']}/resubmit", {}, clerk)
    http.post(f"/cases/{made['id']}/approve", {}, market)
    assert notifier.kinds() == ["case_correction"], "one department's sign-off is not news"
    http.post(f"/cases/{made['id']}/approve", {}, http.approver("health"))
    assert notifier.kinds() == ["case_correction", "case_ready"]
    assert made["token"] in notifier.sent[1].text
    states = [p["args"][0]["state"] for p in citizen.get_received(NAMESPACE)]
    assert states[-1] == "approved"
    citizen.disconnect(namespace=NAMESPACE)


def test_the_back_office_room_is_for_the_halls_staff_only(app, http: Http, world: World):
    def join(headers: dict[str, str] | None) -> dict[str, Any]:
        sio = socketio.test_client(app, namespace=NAMESPACE, headers=headers or {})
        reply = sio.emit("join", {"backoffice": world.hall}, namespace=NAMESPACE, callback=True)
        sio.disconnect(namespace=NAMESPACE)
        return reply  # type: ignore[no-any-return]

    assert join(None)["ok"] is False
    assert join(http.bearer(world.town_other_clerk_no))["ok"] is False  # type: ignore[attr-defined]
    assert join(http.approver("health")) == {"ok": True, "room": f"backoffice:{world.hall}"}
    assert join(http.approver("village"))["ok"] is False, "a village's staff: not the town's"


def test_the_citizens_page_is_masked_and_an_unknown_token_is_a_clear_404(
    client: Any, http: Http, world: World
):
    world.serve()
    made = http.post(
        f"/windows/{world.window}/cases", register_body(world), clerk_headers(http)
    ).get_json()
    page = client.application.test_client().get(f"/c/{made['token']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert made["number"] in html and "审批中" in html and "张**" in html
    assert "张三丰" not in html and "13912345678" not in html
    assert applicant()["id_number"] not in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    missing = client.application.test_client().get("/c/no-such-token")
    assert missing.status_code == 404
    assert "找不到该办件" in missing.get_data(as_text=True)
    assert "No such case" in missing.get_data(as_text=True)
    signed_out = client.application.test_client().get("/backoffice")
    assert signed_out.status_code == 200 and "审批人员登录" in signed_out.get_data(as_text=True)


def test_a_server_without_printing_refuses_the_papers_and_records_nothing(
    app, http: Http, world: World
):
    world.serve()
    set_kiosk_printer(world, {"printer": "dummy://", "paper_mm": 80}, app)
    clerk = clerk_headers(http)
    made = http.post(f"/windows/{world.window}/cases", register_body(world), clerk).get_json()
    printing = app.extensions.pop("hallq_printing")  # as a server started with printing off

    def papers_audited() -> int:
        with world.deps.db.transaction() as s:
            actions = s.scalars(select(tables.audit_log.c.action)).all()
        return sum(1 for a in actions if a in ("case.receipt", "case.missing_notice"))

    before = papers_audited()
    for url, body in (
        (f"/cases/{made['id']}/receipt", {}),
        (
            f"/windows/{world.window}/missing-notice",
            {"item": world.food_item, "missing": [FOOD[0]]},
        ),
    ):
        reply = http.post(url, body, clerk)
        assert reply.status_code == 409, url
        assert "打印" in reply.get_json()["message"] and reply.get_json()["message_en"]
    assert papers_audited() == before, "a refused paper leaves no audit entry"
    app.extensions["hallq_printing"] = printing
