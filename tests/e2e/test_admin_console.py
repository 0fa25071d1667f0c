"""The manager console in a real browser against a real `hallq serve`: a window configured in
the console moves the kiosk and the displays at once, the live monitor follows a call, a report
draws its chart and downloads its CSV, and every console page passes axe."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from .conftest import Server, axe_audit, screenshot, sign_in_console

pytestmark = pytest.mark.browser
OPEN = {"HALLQ_CLOCK_START": "2026-11-26T09:30:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server in Thursday's opening hours for the whole module."""
    srv = Server(tmp_path_factory.mktemp("admin"), env=OPEN)
    srv.seed()
    srv.start()
    yield srv
    srv.stop()


def window_id(srv: Server, number: int) -> int:
    return int(next(c["window"] for c in srv.demo["clerks"] if c["window_number"] == number))


def test_configuring_a_window_moves_the_kiosk_and_the_displays(new_page, hall: Server):
    srv, hall_id = hall, hall.demo["hall"]
    srv.window(8, "open")  # the flexible window serves F (居民医保缴费)
    srv.window(4, "open")  # the social insurance window does not, yet
    for _ in range(4):
        srv.issue("F")
    f_id = srv.demo["categories"]["F"]
    w4 = window_id(srv, 4)

    display = new_page(800, 480)
    display.goto(f"{srv.url}/display/window/{w4}")
    display.wait_for_function(
        "document.getElementById('wd-services').textContent.includes('医疗保险')"
    )
    lobby = new_page(1280, 720)
    lobby.goto(f"{srv.url}/display/hall/{hall_id}")
    kiosk = new_page(1080, 1920, has_touch=True)
    kiosk.goto(f"{srv.url}/kiosk/{hall_id}?token={srv.demo['kiosk_token']}")
    figures = kiosk.locator(f'.tile-category[data-category="{f_id}"] .tile-figures')
    # Four waiting, three minutes each, one window: about twelve minutes.
    figures.filter(has_text="等候 4 人 · 约 12 分钟").wait_for()

    console = sign_in_console(new_page(1366, 900), srv)
    console.goto(f"{srv.url}/admin/windows/{w4}")
    console.fill("#f-name", "社保医保窗口")
    console.fill(f"#order_{f_id}", "3")
    console.click("form.edit-form button[type=submit]")
    console.locator(".alert-ok").filter(has_text="窗口已保存").wait_for()
    assert console.input_value(f"#order_{f_id}") == "3"

    # No reload anywhere: the window display, the lobby and the kiosk follow the change.
    display.wait_for_function(
        "document.getElementById('wd-name').textContent === '社保医保窗口'"
        " && document.getElementById('wd-services').textContent.includes('居民医保缴费')"
    )
    figures.filter(has_text="等候 4 人 · 约 6 分钟").wait_for()  # two windows serve F now
    assert lobby.locator("#window-tiles .tile").count() == 8
    screenshot(console, "admin-window-form")
    screenshot(display, "admin-window-display-after-config")
    axe_audit(console, "admin window form")

    # A refused change says why, in both languages, next to the field.
    console.fill("#f-name", "")
    console.click("form.edit-form button[type=submit]")
    error = console.locator("#f-name-error")
    error.wait_for()
    assert (
        "请填写窗口名称" in error.inner_text() and "Window name is required" in error.inner_text()
    )
    assert console.locator("#form-errors").evaluate("el => el === document.activeElement")
    axe_audit(console, "admin window form with errors")
    screenshot(console, "admin-window-form-errors")


def test_the_monitor_follows_a_call_without_a_reload(new_page, hall: Server):
    srv, hall_id = hall, hall.demo["hall"]
    page = sign_in_console(new_page(1366, 900), srv)
    page.goto(f"{srv.url}/admin/halls/{hall_id}/monitor")
    page.locator("#conn[data-state=live]").wait_for()
    card = page.locator('.window-card[data-window="1"]')
    assert "关闭" in card.locator(".wc-status").inner_text()
    srv.issue("A")
    srv.window(1, "open")
    called = srv.window(1, "call-next")["ticket"]["number"]
    card.locator(".wc-ticket", has_text=called).wait_for()
    assert "服务中" in card.locator(".wc-status").inner_text()
    assert "已叫号" in card.inner_text()
    srv.window(1, "start")
    clock = card.locator(".wc-clock")
    clock.wait_for()
    first = clock.inner_text()
    page.wait_for_function(
        "t => document.querySelector('.window-card[data-window=\"1\"] .wc-clock').textContent !== t",
        arg=first,
    )  # the service clock ticks every second
    row = page.locator('tr[data-category="A"] .waiting')
    before = int(row.inner_text())
    srv.issue("A")
    page.wait_for_function(
        "n => Number(document.querySelector('tr[data-category=\"A\"] .waiting').textContent) === n",
        arg=before + 1,
    )
    screenshot(page, "admin-monitor")
    axe_audit(page, "admin monitor")


def test_a_report_draws_its_chart_and_downloads_its_csv(new_page, hall: Server, tmp_path):
    srv, hall_id = hall, hall.demo["hall"]
    for _ in range(3):
        srv.issue("D")
    srv.window(6, "open")
    srv.window(6, "call-next")
    srv.window(6, "finish")
    srv.window(6, "call-next")
    srv.window(6, "finish")
    page = sign_in_console(new_page(1366, 900), srv)
    page.goto(f"{srv.url}/admin/halls/{hall_id}/reports")
    page.select_option("#p-by", "category")
    page.click(".period-form button[type=submit]")
    page.wait_for_url(re.compile(r"by=category"))
    issued = int(page.locator("#kpi-issued").inner_text())
    served = int(page.locator("#kpi-served").inner_text())
    assert issued >= 3 and served >= 2
    bars = page.locator("#chart-volume rect.bar.issued[data-value]")
    assert (
        sum(float(v) for v in bars.evaluate_all("els => els.map(e => e.dataset.value)")) == issued
    )
    d_row = page.locator("#report-table tbody tr", has_text="户籍办理")
    assert d_row.locator('[data-key="issued"]').inner_text() == "3"
    assert d_row.locator('[data-key="served"]').inner_text() == "2"
    assert page.locator("#chart-wait rect.bar").count() >= 1
    assert (
        page.locator("figure.chart-figure figcaption").all_inner_texts()[0].startswith("取号与办结")
    )
    # the day shown, in the hall's yyyy-mm-dd, not the browser's 11/26/2026
    assert page.input_value("#p-date") == "2026-11-26"
    screenshot(page, "admin-report")
    axe_audit(page, "admin report")
    with page.expect_download() as download:
        page.click("#csv-link")
    saved = tmp_path / "report.csv"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    assert "业务类别 Category" in text
    d_line = next(line for line in text.splitlines() if line.startswith("D 户籍办理"))
    assert d_line.split(",")[1:3] == ["3", "2"]
    assert re.search(rf"^合计 Total,{issued},{served},", text, re.M)


def test_every_console_page_passes_axe(new_page, hall: Server):
    srv, hall_id = hall, hall.demo["hall"]
    assert srv.demo["admin"] == {"staff_no": "admin", "password": "hallq-demo-admin"}
    login = new_page(1366, 900)
    login.goto(f"{srv.url}/admin/login")
    axe_audit(login, "admin login")
    screenshot(login, "admin-login")
    token = srv.manager_token()
    auth = {"Authorization": f"Bearer {token}"}
    complaint = requests.post(
        f"{srv.url}/api/v1/admin/halls/{hall_id}/complaints",
        json={"channel": "phone", "summary": "窗口人员离岗未挂暂停牌", "ticket_number": ""},
        headers=auth,
        timeout=10,
    ).json()
    ticket = srv.issue("C")
    srv.window(5, "open")
    srv.window(5, "call-next")
    srv.window(5, "finish")
    requests.post(
        f"{srv.url}/api/v1/tickets/{ticket['token']}/evaluation",
        json={"level": "dissatisfied", "reason": "efficiency"},
        timeout=10,
    )
    follow_ups = requests.get(
        f"{srv.url}/api/v1/admin/halls/{hall_id}/follow-ups", headers=auth, timeout=10
    ).json()["follow_ups"]
    first = lambda kind: requests.get(  # noqa: E731
        f"{srv.url}/api/v1/admin/halls/{hall_id}/{kind}", headers=auth, timeout=10
    ).json()
    category = first("categories")["categories"][0]["id"]
    item = first("service-items")["items"][0]["id"]
    clerk = first("clerks")["clerks"][0]["id"]
    device = first("devices")["devices"][0]["id"]
    page = sign_in_console(new_page(1366, 900), srv)
    pages = {
        "overview": "/admin/",
        "hall": f"/admin/halls/{hall_id}",
        "windows": f"/admin/halls/{hall_id}/windows",
        "window-new": f"/admin/halls/{hall_id}/windows/new",
        "categories": f"/admin/halls/{hall_id}/categories",
        "category": f"/admin/categories/{category}",
        "items": f"/admin/halls/{hall_id}/items",
        "item": f"/admin/items/{item}",
        "staff": f"/admin/halls/{hall_id}/staff",
        "clerk": f"/admin/staff/{clerk}",
        "devices": f"/admin/halls/{hall_id}/devices",
        "device": f"/admin/devices/{device}",
        "hours": f"/admin/halls/{hall_id}/hours",
        "notice": f"/admin/halls/{hall_id}/notice",
        "follow-ups": f"/admin/halls/{hall_id}/follow-ups",
        "follow-up": f"/admin/follow-ups/{follow_ups[0]['id']}",
        "complaints": f"/admin/halls/{hall_id}/complaints",
        "complaint-new": f"/admin/halls/{hall_id}/complaints/new",
        "complaint": f"/admin/complaints/{complaint['id']}",
        "performance": f"/admin/halls/{hall_id}/performance?period=week",
        "performance-clerk": f"/admin/halls/{hall_id}/performance/{clerk}?period=month",
        "audit": "/admin/audit",
        "hall-new": f"/admin/halls/new?parent_id={hall_id}",
    }
    for name, path in pages.items():
        reply = page.goto(srv.url + path)
        assert reply is not None and reply.status == 200, (name, reply and reply.status)
        axe_audit(page, f"admin {name}")
        if name in ("overview", "follow-up", "complaint", "performance-clerk", "audit", "hours"):
            screenshot(page, f"admin-{name}")


def test_queue_rules_are_set_on_the_hall_settings_page(new_page, hall: Server):
    srv, hall_id = hall, hall.demo["hall"]
    token = srv.manager_token()
    auth = {"Authorization": f"Bearer {token}"}
    settings = f"{srv.url}/api/v1/admin/halls/{hall_id}"
    defaults = requests.get(settings, headers=auth, timeout=10).json()["queue"]
    assert defaults["comprehensive_prefers_unserved"] is True, "on in the demo, as in new halls"
    page = sign_in_console(new_page(1366, 900), srv)
    try:
        page.goto(f"{srv.url}/admin/halls/{hall_id}")
        card = page.locator("section[aria-labelledby=h-queue]")
        text = card.inner_text()
        assert "排队规则" in text and "Queue rules" in text
        assert "综合窗口先办无专窗业务" in text and "过号前至少呼叫次数" in text
        assert page.is_checked("#f-comprehensive_prefers_unserved")
        assert "新大厅默认开启" in text, "the choice explained"
        page.fill("#f-min_calls_before_no_show", "3")
        page.uncheck("#f-comprehensive_prefers_unserved")
        card.locator("button[type=submit]").click()
        page.locator(".alert-ok").filter(has_text="已保存").wait_for()
        assert not page.is_checked("#f-comprehensive_prefers_unserved")
        assert page.input_value("#f-min_calls_before_no_show") == "3"
        rules = requests.get(settings, headers=auth, timeout=10).json()["queue"]
        assert rules == {**defaults, "min_calls_before_no_show": 3,
                         "comprehensive_prefers_unserved": False}  # fmt: skip
        card.evaluate("el => el.scrollIntoView({block: 'start'})")
        screenshot(page, "admin-hall-queue-rules")
        axe_audit(page, "admin hall settings with queue rules")

        # A refused value is named next to its field in both languages; nothing is saved.
        page.fill("#f-max_priority_in_row", "0")
        card.locator("button[type=submit]").click()
        error = page.locator("#f-max_priority_in_row-error")
        error.wait_for()
        assert "优先号最多连续叫几个须在 1 到 100 之间" in error.inner_text()
        assert "Priority calls in a row at most must be from 1 to 100" in error.inner_text()
        assert requests.get(settings, headers=auth, timeout=10).json()["queue"] == rules
        axe_audit(page, "admin hall settings with a refused queue rule")
        page.locator("#f-max_priority_in_row").evaluate(
            "el => el.closest('.field').scrollIntoView({block: 'center'})"
        )
        screenshot(page, "admin-hall-queue-rules-error")
    finally:  # the other tests of this module share the server
        requests.put(f"{settings}/queue-rules", json=defaults, headers=auth, timeout=10)


def test_an_admin_types_in_a_missing_year_and_a_manager_reads_it(new_page, hall: Server):
    """节假日安排: 2027 is missing (provisional, and in November a banner says so on every
    console page); the admin types in a made-up test table (not the State Council's), the hours
    page follows at once and the banner goes; a manager sees the same, read only."""
    srv = hall
    page = sign_in_console(new_page(1366, 900), srv, srv.demo["admin"])
    page.goto(f"{srv.url}/admin/calendar")
    assert "暂按法定节假日预计：正式安排未到" in page.inner_text("#main")
    banner = page.locator("#calendar-warning")
    assert "尚无 2027 年的节假日安排" in banner.inner_text()
    axe_audit(page, "admin holiday schedule overview")
    screenshot(page, "admin-calendar")
    banner.locator("a[href='/admin/calendar/2027']").first.click()
    page.wait_for_url(f"{srv.url}/admin/calendar/2027")
    assert "2027-02-05 至 2027-02-08 春节" in page.input_value("#f-holidays")  # by law
    screenshot(page, "admin-calendar-year-provisional")
    page.fill("#f-holidays", "2027-01-01 元旦")
    page.fill("#f-swapped", "2027-01-06")  # a Wednesday: refused
    page.click("form.edit-form button[type=submit]")
    assert "调休" in page.inner_text("#calendar-error")
    axe_audit(page, "admin holiday schedule with an error")
    screenshot(page, "admin-calendar-year-error")
    page.fill("#f-holidays", "2027-01-01 元旦\n2027-01-04 至 2027-01-05 测试假 / Test holiday")
    page.fill("#f-swapped", "2027-01-09")
    page.click("form.edit-form button[type=submit]")
    page.wait_for_selector(".alert-ok")
    assert "已保存 2027 年" in page.inner_text(".alert-ok")
    assert page.locator("#calendar-warning").count() == 0
    axe_audit(page, "admin holiday schedule entered")
    screenshot(page, "admin-calendar-year")

    hours = requests.get(
        f"{srv.url}/api/v1/halls/{srv.demo['hall']}/hours?from=2027-01-01&days=10", timeout=10
    ).json()["days"]
    by_day = {d["date"]: d for d in hours}
    assert by_day["2027-01-01"]["holiday"] == "元旦"
    assert by_day["2027-01-06"]["workday"] is True and by_day["2027-01-06"]["sessions"]
    assert by_day["2027-01-09"]["swapped_workday"] is True

    reader = sign_in_console(new_page(1366, 900), srv)
    reader.goto(f"{srv.url}/admin/calendar/2027")
    text = reader.inner_text("#main")
    assert "只有系统管理员可以录入或修改" in text and "测试假" in text
    assert reader.query_selector("#f-holidays") is None
    axe_audit(reader, "admin holiday schedule read by a manager")
    screenshot(reader, "admin-calendar-year-manager")

    page.goto(f"{srv.url}/admin/calendar/2027")
    page.click("button.danger")
    page.wait_for_url(f"{srv.url}/admin/calendar")
    assert "已删除 2027 年" in page.inner_text(".alert-ok")
