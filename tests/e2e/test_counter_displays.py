"""A clerk at the counter panel, the lobby screen and the window displays, in one real browser
against a real `hallq serve`: what the clerk does shows on every screen within a second."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text

from .conftest import ARTIFACTS, Server, axe_audit, screenshot, sign_in_console, sign_in_counter

pytestmark = pytest.mark.browser
CLOCK = {"HALLQ_CLOCK_START": "2026-11-26T09:30:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}
SECOND = 1.0


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module; each test works at windows of its own."""
    srv = Server(tmp_path_factory.mktemp("hall"), env=CLOCK)
    srv.seed()
    srv.start()
    yield srv
    srv.stop()


def clerk_of(srv: Server, window_number: int) -> dict[str, Any]:
    return next(c for c in srv.demo["clerks"] if c["window_number"] == window_number)


def b_clerk_of(srv: Server, window_number: int) -> dict[str, Any]:
    """The demo gives each window's B post to the next window's A clerk."""
    numbers = sorted(c["window_number"] for c in srv.demo["clerks"])
    following = numbers[(numbers.index(window_number) + 1) % len(numbers)]
    return clerk_of(srv, following)


def counter(new_page: Any, srv: Server, clerk: dict[str, Any], window_id: int) -> Any:
    """A counter panel signed in through its own form."""
    page = sign_in_counter(new_page(1280, 800), srv, clerk, window_id)
    page.wait_for_function("document.documentElement.dataset.live === 'up'")
    return page


def open_window(page: Any) -> None:
    page.wait_for_selector("#banner-action:not([hidden])")
    page.click("#banner-action")
    page.wait_for_selector("#state-banner", state="hidden")


def lobby(new_page: Any, srv: Server) -> Any:
    page = new_page(1920, 1080)
    page.goto(f"{srv.url}/display/hall/{srv.demo['hall']}?voice=off")
    page.wait_for_function("document.documentElement.dataset.live === 'up'")
    return page


def window_display(new_page: Any, srv: Server, window_id: int) -> Any:
    page = new_page(1024, 600)
    page.goto(f"{srv.url}/display/window/{window_id}")
    page.wait_for_function("document.documentElement.dataset.live === 'up'")
    return page


def shows(page: Any, selector: str, text: str, timeout: float = SECOND) -> None:
    page.wait_for_function(
        "([s, t]) => { const e = document.querySelector(s);"
        " return e && !e.closest('[hidden]') && e.textContent.includes(t); }",
        arg=[selector, text],
        timeout=timeout * 1000,
    )


def record(name: str, value: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS.parent / "measurements.txt").open("a") as out:
        out.write(f"{name}: {value}\n")


def test_a_call_reaches_the_lobby_and_the_window_display_within_a_second(hall, new_page):
    clerk = clerk_of(hall, 1)
    panel = counter(new_page, hall, clerk, clerk["window"])
    open_window(panel)
    first, second = hall.issue("A"), hall.issue("B", priority="elderly")
    shows(panel, "#waiting-list", first["number"], 3)
    screen = lobby(new_page, hall)
    sign = window_display(new_page, hall, clerk["window"])

    started = time.perf_counter()
    panel.keyboard.press("1")  # 叫下一位
    called = second["number"]  # 绿色通道 first
    shows(sign, "#wd-now-number", called)
    shows(screen, "#latest-number", called)
    latency = time.perf_counter() - started
    record("call to lobby and window display", f"{latency * 1000:.0f} ms")
    assert latency < SECOND
    shows(screen, "#latest-window", "1")
    shows(panel, "#cur-number", called)
    shows(panel, "#cur-priority", "老年人")
    shows(panel, "#cur-state", "已叫号")  # the one name of the state, as on the phone
    assert "请" in sign.inner_text("#wd-now-label")

    # 过号 waits for the hall's rules: two calls, then a minute after the last one
    assert panel.is_disabled("#btn-no-show")
    shows(panel, "#btn-no-show .sub", "需再呼叫 1 次")
    # the recall is shown again, and the lobby lists the call once
    panel.keyboard.press("2")
    shows(panel, "#cur-calls", "2 次")
    shows(panel, "#btn-no-show .sub", "秒后可用")
    assert panel.is_disabled("#btn-no-show")
    shows(screen, "#latest-number", called)
    assert screen.locator("#latest.flash").count() == 1

    axe_audit(panel, "counter panel")
    axe_audit(screen, "lobby display")
    axe_audit(sign, "window display")
    screenshot(panel, "counter-calling")
    screenshot(screen, "lobby-calling")
    screenshot(sign, "window-display-calling")

    # start, then finish through the dialog with an item and an outcome
    panel.keyboard.press("3")
    shows(panel, "#cur-state", "办理中")
    panel.keyboard.press("4")
    panel.wait_for_selector("#finish-dialog[open]")
    screenshot(panel, "counter-finish-dialog")
    axe_audit(panel, "counter finish dialog")
    panel.check("#finish-outcomes input[value=needs_correction]")
    panel.locator("#finish-items input").first.check()
    panel.keyboard.press("Enter")
    panel.wait_for_selector("#current-empty:not([hidden])")
    shows(panel, "#cnt-served", "1")
    shows(sign, "#wd-now-number", "—")


def test_pause_shows_the_reason_on_the_window_display_and_resume_clears_it(hall, new_page):
    clerk = clerk_of(hall, 2)
    panel = counter(new_page, hall, clerk, clerk["window"])
    open_window(panel)
    sign = window_display(new_page, hall, clerk["window"])
    screen = lobby(new_page, hall)
    shows(sign, "#wd-clerk-name", "李强")

    panel.keyboard.press("8")
    panel.wait_for_selector("#pause-dialog[open]")
    panel.check("#pause-reasons input[value=会议]")
    started = time.perf_counter()
    panel.click("#pause-dialog button[value=ok]")
    shows(sign, "#wd-paused-reason", "会议")
    record("pause to window display", f"{(time.perf_counter() - started) * 1000:.0f} ms")
    assert sign.is_visible("text=暂停服务")
    shows(screen, "#window-tiles", "暂停 会议")
    shows(panel, "#state-banner", "暂停服务中：会议")
    screenshot(sign, "window-display-paused")
    axe_audit(sign, "window display paused")

    panel.keyboard.press("8")  # 继续服务
    shows(sign, "#wd-now-label", "等候叫号")
    assert not sign.is_visible("#wd-paused")

    # a pause for a reason of the clerk's own words
    panel.wait_for_selector("#state-banner", state="hidden")
    panel.keyboard.press("8")
    panel.wait_for_selector("#pause-dialog[open]")
    panel.fill("#pause-other", "培训学习")
    panel.keyboard.press("Enter")
    shows(sign, "#wd-paused-reason", "培训学习")
    shows(panel, "#state-banner", "培训学习")
    panel.keyboard.press("8")
    shows(sign, "#wd-now-label", "等候叫号")


def test_ab_post_the_b_clerk_takes_the_window_and_the_display_switches(hall, new_page):
    a = clerk_of(hall, 3)
    b = b_clerk_of(hall, 3)
    window = a["window"]
    a_panel = counter(new_page, hall, a, window)
    open_window(a_panel)
    b_panel = counter(new_page, hall, b, window)
    sign = window_display(new_page, hall, window)
    shows(sign, "#wd-clerk-name", "张敏")
    shows(b_panel, "#state-banner", "本窗口由 张敏")
    assert b_panel.is_disabled("#btn-call-next")

    a_panel.keyboard.press("8")
    a_panel.check("#pause-reasons input[value=外出]")
    a_panel.keyboard.press("Enter")
    shows(b_panel, "#banner-action", "接岗")
    screenshot(b_panel, "counter-b-post-can-take-over")
    started = time.perf_counter()
    b_panel.click("#banner-action")
    shows(sign, "#wd-clerk-name", b["name"])
    record("AB handover to window display", f"{(time.perf_counter() - started) * 1000:.0f} ms")
    shows(sign, "#wd-clerk-no", b["staff_no"])
    assert not sign.is_visible("#wd-paused")
    shows(a_panel, "#state-banner", f"本窗口由 {b['name']}")
    assert a_panel.is_disabled("#btn-call-next")

    # the B clerk serves; when they sign out nobody is shown at the window
    ticket = hall.issue("A")
    shows(b_panel, "#waiting-list", ticket["number"], 3)
    b_panel.click("#btn-call-next")
    b_panel.wait_for_selector("#current:not([hidden])")
    shows(sign, "#wd-now-number", b_panel.inner_text("#cur-number"))
    b_panel.click("#btn-finish")
    b_panel.keyboard.press("Enter")
    b_panel.wait_for_selector("#current-empty:not([hidden])")
    b_panel.click("#sign-out")
    # Signing out reloads the page; on a loaded machine that may take longer than a click.
    b_panel.wait_for_selector("#login-view:not([hidden])", timeout=30_000)
    sign.wait_for_selector("#wd-clerk", state="hidden", timeout=SECOND * 1000)
    shows(sign, "#wd-paused-reason", "工作人员已签退")


def test_two_panels_of_one_window_stay_in_sync(hall, new_page):
    clerk = clerk_of(hall, 4)
    first = counter(new_page, hall, clerk, clerk["window"])
    second = counter(new_page, hall, clerk, clerk["window"])
    open_window(first)
    second.wait_for_selector("#state-banner", state="hidden", timeout=SECOND * 1000)
    ticket = hall.issue("B")
    shows(second, "#waiting-list", ticket["number"])
    first.keyboard.press("1")
    shows(second, "#cur-number", ticket["number"])
    second.keyboard.press("3")
    shows(first, "#cur-state", "办理中")


def test_hold_resume_and_transfer_at_the_counter(hall, new_page):
    clerk = clerk_of(hall, 5)
    panel = counter(new_page, hall, clerk, clerk["window"])
    open_window(panel)
    ticket = hall.issue("C")
    shows(panel, "#waiting-list", ticket["number"], 3)
    panel.keyboard.press("1")
    shows(panel, "#cur-number", ticket["number"])
    panel.keyboard.press("3")
    shows(panel, "#cur-state", "办理中")

    panel.keyboard.press("6")  # 暂离
    shows(panel, "#held-list", ticket["number"])
    assert panel.is_visible("#current-empty")
    screenshot(panel, "counter-held")
    panel.keyboard.press("9")  # the citizen is back
    shows(panel, "#cur-number", ticket["number"])
    assert panel.is_visible("#held-empty")

    panel.keyboard.press("7")  # 转移
    panel.wait_for_selector("#transfer-dialog[open]")
    panel.check("#transfer-form input[value=window]")
    target = clerk_of(hall, 8)
    panel.select_option("#transfer-target", str(target["window"]))
    panel.fill("#transfer-note", "需医保窗口核对缴费记录")
    screenshot(panel, "counter-transfer-dialog")
    axe_audit(panel, "counter transfer dialog")
    panel.click("#transfer-dialog button[value=ok]")
    panel.wait_for_selector("#current-empty:not([hidden])")

    token, _ = hall.clerk_token(8)
    seen = requests.get(
        f"{hall.url}/api/v1/windows/{target['window']}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    ).json()
    waiting = {t["number"]: t for t in seen["waiting"]}
    assert waiting[ticket["number"]]["transferred"] is True


# Elements named with aria-label although their role takes no name (a plain p, div or span):
# screen readers skip such a label.
NAMELESS_LABELS = """() => [...document.querySelectorAll('[aria-label]')]
  .filter(e => ['P', 'DIV', 'SPAN'].includes(e.tagName) && !e.getAttribute('role'))
  .map(e => e.outerHTML.slice(0, 80))"""


def test_the_lobby_stops_calling_a_number_once_its_window_pauses(hall, new_page):
    clerk = clerk_of(hall, 7)
    hall.window(7, "open")  # 不动产窗口 (category E), closed again at the end
    ticket = hall.issue("E")
    screen = lobby(new_page, hall)
    assert screen.evaluate(NAMELESS_LABELS) == []
    assert screen.get_attribute(".clock", "role") == "timer"
    hall.window(7, "call-next")
    shows(screen, "#latest-number", ticket["number"])
    hall.window(7, "start")
    hall.window(7, "finish", {"outcome": "completed"})
    hall.window(7, "pause", {"reason": "会议"})
    screen.wait_for_selector("#latest", state="hidden", timeout=SECOND * 1000)
    shows(screen, "#latest-none", "请取号等候叫号")
    shows(screen, "#recent-body", ticket["number"])  # still listed among the recent calls
    shows(screen, "#window-tiles", "暂停 会议")
    screenshot(screen, "lobby-after-pause")
    # a fresh lobby screen (its snapshot) does not show that call as current either
    again = lobby(new_page, hall)
    again.wait_for_selector("#latest-none:not([hidden])")
    assert again.is_hidden("#latest")
    hall.window(7, "resume")
    hall.window(7, "close")
    assert clerk["window"]


def test_a_called_ticket_s_next_step_is_start_and_the_no_show_wait_is_explained(hall, new_page):
    clerk = clerk_of(hall, 6)
    panel = counter(new_page, hall, clerk, clerk["window"])
    # the panel has its heading (for screen readers: the window line says where one is)
    assert panel.locator("#panel-view:not([hidden]) h1").count() == 1
    assert "叫号面板" in (panel.locator("#panel-view h1").text_content() or "")
    open_window(panel)
    assert panel.get_attribute("#btn-call-next", "class").split().count("next-step") == 1
    ticket = hall.issue("D")
    shows(panel, "#waiting-list", ticket["number"], 3)
    panel.keyboard.press("1")
    shows(panel, "#cur-number", ticket["number"])
    panel.wait_for_selector("#btn-start.next-step")
    assert "next-step" not in (panel.get_attribute("#btn-finish", "class") or "")
    hint = panel.locator("#no-show-hint")
    assert hint.is_visible()
    assert "60 秒" in hint.inner_text() and "2 次" in hint.inner_text()
    axe_audit(panel, "counter called")
    screenshot(panel, "counter-called-next-step")
    panel.keyboard.press("3")
    panel.wait_for_selector("#btn-finish.next-step")
    assert panel.is_hidden("#no-show-hint")
    panel.keyboard.press("4")
    panel.wait_for_selector("#finish-dialog[open]")
    panel.check("#finish-outcomes input[value=completed]")
    panel.keyboard.press("Enter")
    panel.wait_for_selector("#current-empty:not([hidden])")
    hall.window(6, "close")  # as the other tests of 6 号窗口 expect it


def test_a_window_named_as_its_type_is_named_once(hall, new_page):
    clerk = b_clerk_of(hall, 1)  # holds the B post of 1 号窗口, named 综合窗口
    page = new_page(1280, 800)
    page.goto(f"{hall.url}/counter")
    page.fill("#staff-no", clerk["staff_no"])
    page.fill("#password", clerk["password"])
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#chooser-view:not([hidden])")
    names = page.locator("#window-list .wname").all_inner_texts()
    assert "综合窗口" in names and not any("综合窗口 · 综合窗口" in n for n in names), names
    page.click(f"a[href='/counter/{clerk_of(hall, 1)['window']}']")
    page.wait_for_selector("#panel-view:not([hidden])")
    assert "综合窗口 · 综合窗口" not in page.inner_text("#where")


def test_the_login_and_window_choice_pages(hall, new_page):
    clerk = clerk_of(hall, 6)
    page = new_page(1280, 800)
    page.goto(f"{hall.url}/counter")
    axe_audit(page, "counter sign-in")
    screenshot(page, "counter-login")
    page.fill("#staff-no", clerk["staff_no"])
    page.fill("#password", "wrong-password")
    page.click("#login-form button[type=submit]")
    shows(page, "#toast", "工号或密码不正确")
    page.fill("#password", clerk["password"])
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#chooser-view:not([hidden])")
    shows(page, "#window-list", "6 号窗口")
    axe_audit(page, "counter window choice")
    screenshot(page, "counter-choose-window")
    page.click(f"a[href='/counter/{clerk['window']}']")
    page.wait_for_selector("#panel-view:not([hidden])")
    shows(page, "#banner-action", "开始服务")


def test_the_phone_evaluation_widget_and_unknown_screens(hall, new_page):
    page = new_page(1024, 600)
    page.goto(f"{hall.url}/display/window/4242")
    assert page.is_visible("text=找不到该窗口")
    axe_audit(page, "missing window page")
    assert isinstance(Path(screenshot(page, "display-missing")), Path)


def test_a_chosen_ticket_is_called_only_where_the_hall_allows_it(hall, new_page):
    clerk = clerk_of(hall, 7)  # 不动产窗口: category E only
    first, second = hall.issue("E"), hall.issue("E")
    panel = counter(new_page, hall, clerk, clerk["window"])
    open_window(panel)
    shows(panel, "#waiting-list", second["number"], 3)
    assert panel.locator("#waiting-list button").count() == 0  # the demo hall calls in order

    engine = create_engine(f"sqlite:///{hall.instance / 'hallq.db'}")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE halls SET settings = :s WHERE id = :h"),
            {"s": json.dumps({"queue": {"allow_call_out_of_order": True}}), "h": hall.demo["hall"]},
        )
    engine.dispose()
    panel.reload()
    panel.wait_for_selector("#panel-view:not([hidden])")
    button = panel.get_by_role("button", name=f"叫 {second['number']} 号")
    button.click()
    shows(panel, "#cur-number", second["number"])
    assert first["number"] in panel.inner_text("#waiting-list")


def test_the_counter_follows_the_hall_turning_calling_out_of_order_on_and_off(hall, new_page):
    hall_id = hall.demo["hall"]
    token = hall.manager_token()
    auth = {"Authorization": f"Bearer {token}"}
    rules_url = f"{hall.url}/api/v1/admin/halls/{hall_id}/queue-rules"
    before = requests.get(f"{hall.url}/api/v1/admin/halls/{hall_id}", headers=auth, timeout=10)
    kept = before.json()["queue"]
    off = {**kept, "allow_call_out_of_order": False}
    assert requests.put(rules_url, json=off, headers=auth, timeout=10).ok
    try:
        clerk = clerk_of(hall, 6)  # 户籍窗口: category D only
        ticket = hall.issue("D")
        panel = counter(new_page, hall, clerk, clerk["window"])
        open_window(panel)
        shows(panel, "#waiting-list", ticket["number"], 3)
        assert panel.locator("#waiting-list button").count() == 0
        panel.evaluate("window.loadedOnce = true")  # gone if the page reloads

        # The manager ticks 允许选号呼叫 in the console's 排队规则 and saves.
        console = sign_in_console(new_page(1366, 900), hall)
        console.goto(f"{hall.url}/admin/halls/{hall_id}")
        card = console.locator("section[aria-labelledby=h-queue]")
        console.check("#f-allow_call_out_of_order")
        card.locator("button[type=submit]").click()
        console.locator(".alert-ok").filter(has_text="已保存").wait_for()

        call_chosen = panel.get_by_role("button", name=f"叫 {ticket['number']} 号")
        call_chosen.wait_for(timeout=3000)
        assert call_chosen.is_enabled()
        assert panel.evaluate("window.loadedOnce") is True

        # Turned off again (here through the API): the choice goes, still without a reload.
        assert requests.put(rules_url, json=off, headers=auth, timeout=10).ok
        call_chosen.wait_for(state="detached", timeout=3000)
        assert panel.evaluate("window.loadedOnce") is True
    finally:  # the other tests of this module share the server
        requests.put(rules_url, json=kept, headers=auth, timeout=10)
