"""The village station and the console's case pages in a real browser against `hallq serve`:
the station's agent signs in, is told what is missing, takes the application in with the
material to follow (容缺受理); the town's 社保所 approves it and the front desk sends it back;
the agent hands it out at the station; the console counts it per state and in the on-time
report rolled up from the station, and its CSV downloads. Every page passes axe."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
import requests

from .conftest import Server, axe_audit, screenshot, sign_in_console

pytestmark = pytest.mark.browser
OPEN = {"HALLQ_CLOCK_START": "2026-11-26T09:30:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}
ITEM = "城乡居民养老保险待遇领取"  # 社保所, 5 working days, a village station may take it in


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("station"), env=OPEN)
    srv.seed()
    srv.start()
    yield srv
    srv.stop()


def staff(srv: Server, number: int) -> str:
    """A bearer token of the town's clerk at window `number` (4: 社保所)."""
    return srv.clerk_token(number)[0]


def test_the_station_takes_a_case_in_and_hands_it_out_and_the_console_counts_it(
    new_page, hall: Server
):
    srv, village = hall, hall.demo["village"]
    page = new_page(412, 915, has_touch=True)  # the agent's phone
    page.goto(f"{srv.url}/station/{village}")
    page.locator("#login-form").wait_for()
    screenshot(page, "station-sign-in")
    axe_audit(page, "station sign-in")
    page.fill("#staff-no", srv.demo["agent"]["staff_no"])
    page.fill("#password", srv.demo["agent"]["password"])
    page.click("#login-form button[type=submit]")
    page.locator("#case-form").wait_for()

    page.select_option("#item", label=ITEM)
    page.locator("#materials select").nth(1).select_option("missing")
    page.fill("#name", "王大爷")
    page.fill("#phone", "13812345678")
    page.fill("#id_number", "370881195001010074")
    page.click("#submit")
    message = page.locator("#message")
    message.filter(has_text="社会保障卡").wait_for()
    assert "容缺受理" in message.inner_text() and "missing" in message.inner_text()
    page.check("#accept")
    page.click("#submit")
    page.locator("#done:not([hidden])").wait_for()
    number = page.inner_text("#done-number")
    assert "2026-12-03" in page.inner_text("#done-text")
    item = page.locator("#cases li").filter(has_text=number)
    item.filter(has_text="审批中").wait_for()
    assert "王**" in item.inner_text() and "王大爷" not in page.inner_text("#cases")
    screenshot(page, "station-case-forwarded")
    item.scroll_into_view_if_needed()
    screenshot(page, "station-case-list")
    axe_audit(page, "station page with a case")

    # The town's 社保所 approves it; the town's front desk sends the result back.
    listed = requests.get(
        f"{srv.url}/api/v1/stations/{village}/cases",
        headers={"Authorization": f"Bearer {staff(srv, 1)}"},
        timeout=10,
    ).json()
    case_id = next(c["id"] for c in listed["cases"] if c["number"] == number)
    for who, action in ((4, "approve"), (1, "send-to-station")):
        reply = requests.post(
            f"{srv.url}/api/v1/cases/{case_id}/{action}",
            json={},
            headers={"Authorization": f"Bearer {staff(srv, who)}"},
            timeout=10,
        )
        assert reply.status_code == 200, reply.text
    page.reload()
    ready = page.locator("#cases li").filter(has_text=number)
    ready.filter(has_text="结果已送到本站").wait_for()
    ready.scroll_into_view_if_needed()
    screenshot(page, "station-result-ready")
    axe_audit(page, "station page, a result to hand out")
    ready.locator("button").click()
    page.locator("#message.ok").filter(has_text=number).wait_for()
    page.locator("#cases li").filter(has_text=number).filter(has_text="已出件").wait_for()

    console = sign_in_console(new_page(1366, 900), srv)
    console.goto(f"{srv.url}/admin/halls/{srv.demo['hall']}/cases")
    assert console.inner_text('#state-counts [data-state="delivered"] .n') == "1"
    assert console.locator("#no-overdue").count() == 1
    # A second case, taken in ten days ago (written into the database: the clock cannot go
    # back), is past its promised day.
    agent = srv.token(srv.demo["agent"]["staff_no"], srv.demo["agent"]["password"])
    late = requests.post(
        f"{srv.url}/api/v1/stations/{village}/cases",
        json={
            "item": next(i["id"] for i in listed["items"] if i["name"] == ITEM),
            "applicant": {
                "name": "李奶奶",
                "phone": "13912345678",
                "id_number": "370881195001010074",
            },
            "materials": {"1": "provided", "2": "provided"},
        },
        headers={"Authorization": f"Bearer {agent}"},
        timeout=10,
    ).json()
    with sqlite3.connect(srv.instance / "hallq.db") as db:
        db.execute("UPDATE cases SET received_on = '2026-11-16' WHERE id = ?", (late["id"],))
    console.reload()
    row = console.locator("#overdue-table tbody tr").filter(has_text=late["number"])
    assert "李家村便民服务站" in row.inner_text() and "2026-11-23" in row.inner_text()
    assert "李**" in row.inner_text() and "李奶奶" not in console.content()
    screenshot(console, "admin-cases")
    axe_audit(console, "admin cases with an overdue case")
    console.click("#case-report-link")
    table = console.locator("#case-report-table")
    table.wait_for()
    rows = table.locator("tbody th[scope=row]")
    assert rows.count() == 2 and rows.nth(1).inner_text().endswith("李家村便民服务站")
    assert console.inner_text("#kpi-rate") == "100.0%"
    screenshot(console, "admin-case-report")
    axe_audit(console, "admin case report")
    href = console.get_attribute("#csv-link", "href")
    download = console.request.get(f"{srv.url}{href}")
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert "按时办结率(%) On-time rate (%)" in download.text()
