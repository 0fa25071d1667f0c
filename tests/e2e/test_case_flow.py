"""A case's whole path in the browser (受审分离): a ticket is served at the counter, an
application lacking a material gets the printed 一次性告知, the complete one is registered and its
受理回执 printed (the bytes the kiosk's printer received); the back office returns it for
correction and the citizen's page shows what is missing, live; the materials arrive, two
departments approve in parallel, the citizen is told; the citizen takes a pickup ticket at the
kiosk with the receipt's QR code and the clerk who calls it hands the case out."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from .conftest import (
    OPEN_HOURS,
    Server,
    axe_audit,
    screenshot,
    sign_in_counter,
)

ROOT = Path(__file__).resolve().parents[2]
DOCS_IMG = ROOT / "docs" / "img"
ITEM = "医疗费用手工报销"  # 15 working days; 社会保障卡, 医疗费用发票, 费用明细清单, 出院记录
MEDICAL, SOCIAL = "医保站", "社保所"  # the demo's clerks of windows 5 and 4 work for them
APPLICANT = {"name": "赵大爷", "phone": "13812345678", "id_number": "370802195001010036"}


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Server]:
    """A server in opening hours whose kiosk prints to a file; the item is reviewed by two
    departments in parallel (set in the console's API, as a manager would)."""
    srv = Server(tmp_path, env=OPEN_HOURS)
    srv.seed("--printer", f"file://{tmp_path / 'printer.bin'}")
    srv.start()
    manager = {"Authorization": f"Bearer {srv.manager_token()}"}
    items = requests.get(
        f"{srv.url}/api/v1/halls/{srv.demo['hall']}/service-items?q={ITEM}", timeout=10
    ).json()["items"]
    item = next(i for i in items if i["name"] == ITEM)
    srv.demo["item"] = item
    reply = requests.patch(
        f"{srv.url}/api/v1/admin/service-items/{item['id']}",
        json={"review_departments": [MEDICAL, SOCIAL]},
        headers=manager,
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    yield srv
    srv.stop()


def printed(srv: Server) -> bytes:
    path = srv.instance / "printer.bin"
    return path.read_bytes() if path.exists() else b""


def wait_printed(page: Any, srv: Server, marker: bytes, before: int) -> bytes:
    """The printer file's new bytes once they hold `marker`."""
    for _ in range(100):
        data = printed(srv)[before:]
        if marker in data:
            return data
        page.wait_for_timeout(100)
    raise AssertionError(f"the printer never received {marker!r}")


def qr_payload(data: bytes) -> str:
    for match in re.finditer(rb"\x1d\(k", data):
        size = int.from_bytes(data[match.end() : match.end() + 2], "little")
        body = data[match.end() + 2 : match.end() + 2 + size]
        if body[:2] == b"1P":
            return body[3:].decode()
    raise AssertionError("no QR code on the paper")


def clerk(srv: Server, number: int) -> dict[str, Any]:
    return next(c for c in srv.demo["clerks"] if c["window_number"] == number)


def sign_in_backoffice(page: Any, srv: Server, who: dict[str, Any]) -> Any:
    page.goto(f"{srv.url}/backoffice")
    page.fill("#staff-no", who["staff_no"])
    page.fill("#password", who["password"])
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#bench-view:not([hidden])")
    return page


def keep(page: Any, name: str) -> None:
    """A screenshot kept as a test artifact; with HALLQ_DOCS_SCREENSHOTS=1, also as the
    documentation's picture (docs/cases.md)."""
    path = screenshot(page, name)
    if os.environ.get("HALLQ_DOCS_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMG / f"{name}.png")


def row(page: Any, number: str) -> Any:
    return page.locator(f".case-row[data-number='{number}']")


def test_a_case_from_the_window_through_two_departments_to_the_pickup(hall, new_page):
    srv = hall
    window = clerk(srv, 1)
    ticket = srv.issue("C")

    # -- the counter: call and serve, the application lacks a material ------------------------
    counter = sign_in_counter(new_page(1280, 1024), srv, window, window["window"])
    counter.wait_for_selector("#banner-action:not([hidden])")
    counter.click("#banner-action")  # 开始服务
    counter.wait_for_selector("#btn-call-next:not([disabled])")
    counter.click("#btn-call-next")
    counter.wait_for_selector("#btn-start:not([disabled])")
    counter.click("#btn-start")
    counter.wait_for_selector("#case-card:not([hidden]) #case-none:not([hidden])")
    assert counter.inner_text("#cur-number") == ticket["number"]
    counter.click("#case-register")
    counter.wait_for_selector("#case-dialog[open]")
    counter.select_option("#case-item-select", label=ITEM)
    counter.wait_for_selector("#case-materials tr:nth-child(4)")
    counter.fill("#case-name", APPLICANT["name"])
    counter.fill("#case-phone", APPLICANT["phone"])
    counter.fill("#case-id-number", APPLICANT["id_number"])
    counter.check("input[name='material-3'][value=missing]")  # 出院记录
    axe_audit(counter, "counter: registering a case")
    keep(counter, "case-counter-register")
    counter.click("#case-submit")
    counter.wait_for_selector("#case-refused:not([hidden])")
    assert "出院记录" in counter.inner_text("#case-refused-list")
    before = len(printed(srv))
    counter.click("#case-notice")
    slip = wait_printed(counter, srv, "一次性告知单".encode("gb18030"), before)
    assert slip.startswith(b"\x1b@\x1c&") and "出院记录".encode("gb18030") in slip

    # -- the complete application is registered and its receipt printed -----------------------
    counter.click("#case-register")
    counter.wait_for_selector("#case-dialog[open]")
    counter.select_option("#case-item-select", label=ITEM)
    counter.wait_for_selector("#case-materials tr:nth-child(4)")
    counter.fill("#case-name", APPLICANT["name"])
    counter.fill("#case-phone", APPLICANT["phone"])
    counter.fill("#case-id-number", APPLICANT["id_number"])
    before = len(printed(srv))
    counter.click("#case-submit")
    counter.wait_for_selector("#case-info:not([hidden])")
    number = counter.inner_text("#case-number")
    assert re.fullmatch(r"H[A-Z]+-2026112\d-0001", number), number
    receipt = wait_printed(counter, srv, "受理回执".encode("gb18030"), before)
    assert receipt.startswith(b"\x1b@\x1c&") and receipt.rstrip(b"\n").endswith(b"\x1dV\x00")
    assert number.encode() in receipt and ITEM.encode("gb18030") in receipt
    assert "出院记录".encode("gb18030") in receipt and "承诺办结".encode("gb18030") in receipt
    assert APPLICANT["id_number"].encode() not in receipt and b"13812345678" not in receipt
    page_url = qr_payload(receipt)
    assert page_url.startswith(f"{srv.url}/c/")
    assert "审批中" in counter.inner_text("#case-state")
    screenshot(counter, "case-counter-registered")

    # -- the citizen's phone, open while the back office works ---------------------------------
    phone = new_page(390, 844, is_mobile=True, has_touch=True)
    phone.goto(page_url)
    phone.wait_for_selector("#case-page[data-state=in_review]")
    assert "赵" in phone.inner_text("#case-applicant")
    assert "赵大爷" not in phone.content() and APPLICANT["phone"] not in phone.content()

    # -- the back office returns it for correction ---------------------------------------------
    medical = sign_in_backoffice(new_page(1280, 800), srv, clerk(srv, 5))
    medical.wait_for_selector(f".case-row[data-number='{number}']")
    assert MEDICAL in medical.inner_text("#department")
    row(medical, number).get_by_role("button", name="认领").click()
    medical.wait_for_selector(f".case-row[data-number='{number}'] .step:has-text('陈静')")
    row(medical, number).get_by_role("button", name="退回补正").click()
    medical.wait_for_selector("#return-dialog[open]")
    axe_audit(medical, "back office: return for correction")
    medical.check("#return-materials input[value='出院记录']")
    medical.fill("#return-note", "出院记录须加盖医院公章")
    medical.click("#return-dialog button[value=ok]")
    medical.wait_for_selector(f".case-row[data-number='{number}'] .case-missing")

    phone.wait_for_selector("#case-page[data-state=correction]")
    assert "出院记录" in phone.inner_text("#case-missing")
    axe_audit(phone, "the citizen's page: materials needed")
    keep(phone, "case-phone-correction")

    # -- the materials arrive; two departments approve in parallel ------------------------------
    # The counter's card heard the return live; the applicant is back with the material.
    counter.wait_for_selector("#case-resubmit:not([hidden])")
    counter.click("#case-resubmit")
    counter.wait_for_selector("#case-resubmit[hidden]", state="attached")
    phone.wait_for_selector("#case-page[data-state=in_review]")

    social = sign_in_backoffice(new_page(1280, 800), srv, clerk(srv, 4))
    row(social, number).get_by_role("button", name="通过").click()
    # The other department's workbench shows who has signed, live.
    medical.wait_for_selector(f".case-row[data-number='{number}'] .step[data-state=approved]")
    assert "刘洋" in row(medical, number).inner_text()
    axe_audit(medical, "back office workbench")
    keep(medical, "case-backoffice")
    row(medical, number).get_by_role("button", name="通过").click()
    medical.wait_for_selector(
        f".case-row[data-number='{number}'] .step[data-state=pending]", state="detached"
    )

    phone.wait_for_selector("#case-page[data-state=approved]")
    assert "请取件" in phone.inner_text("#case-ready")
    manager = {"Authorization": f"Bearer {srv.manager_token()}"}
    audit = requests.get(
        f"{srv.url}/api/v1/admin/audit?hall={srv.demo['hall']}&action=case.notice",
        headers=manager,
        timeout=10,
    ).json()
    notices = [e["detail"]["kind"] for e in audit["entries"]]
    assert sorted(notices) == ["case_correction", "case_ready"], notices

    # -- 统一出件: the kiosk, the receipt's QR, the clerk hands it out --------------------------
    counter.click("#btn-finish")
    counter.wait_for_selector("#finish-dialog[open]")
    counter.click("#finish-dialog button[value=ok]")
    counter.wait_for_selector("#current-empty:not([hidden])")

    kiosk = new_page(1080, 1920, has_touch=True)
    kiosk.goto(f"{srv.url}/kiosk/{srv.demo['hall']}?token={srv.demo['kiosk_token']}")
    kiosk.wait_for_selector("#kiosk[data-screen=home]")
    kiosk.locator("#tile-pickup").tap()
    kiosk.wait_for_selector("#kiosk[data-screen=pickup]")
    axe_audit(kiosk, "kiosk: pickup")
    keep(kiosk, "case-kiosk-pickup")
    kiosk.keyboard.type(page_url, delay=5)  # the scanner types the QR's address, then Enter
    kiosk.keyboard.press("Enter")
    kiosk.wait_for_selector("#kiosk[data-screen=ticket]")
    pickup_number = kiosk.inner_text("#ticket-number")
    assert "出件" in kiosk.inner_text("#ticket-category")

    counter.click("#btn-call-next")
    counter.wait_for_selector(f"#cur-number:has-text('{pickup_number}')")
    counter.wait_for_selector("#case-pickup:not([hidden])")
    assert counter.inner_text("#case-number") == number
    counter.click("#case-deliver")
    counter.wait_for_selector("#case-deliver[hidden]", state="attached")
    assert "已出件" in counter.inner_text("#case-state")
    phone.reload()
    phone.wait_for_selector("#case-page[data-state=delivered]")
