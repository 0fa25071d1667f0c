"""The console's pages over HTTP: sign-in, CSRF on every form, bilingual validation, escaping,
one-time secrets, downloads, the session's life, and what each change makes others see."""

from __future__ import annotations

import io
import re
import time
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from queue_server.domain.model import Hall
from queue_server.services import admin as admin_service
from queue_server.services.demo import demo_password, seed_demo
from queue_server.store import admin_tables, tables

pytestmark = pytest.mark.usefixtures("demo_passwords_hashed_once")


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: Any, staff_no: str, password: str | None = None) -> Any:
    page = client.get("/admin/login")
    return client.post(
        "/admin/login",
        data={
            "staff_no": staff_no,
            "password": password or demo_password(staff_no),
            "csrf_token": csrf_of(page.get_data(as_text=True)),
        },
    )


@pytest.fixture
def towns(deps) -> list[dict[str, Any]]:
    return seed_demo(deps, halls=2)


@pytest.fixture
def demo(towns) -> dict[str, Any]:
    """The `api` helper acts in the first town."""
    return towns[0]


@pytest.fixture
def api(app, demo) -> Any:
    """Kiosk and clerk actions on a client of their own (its sign-ins leave ours alone)."""
    from tests.conftest import Api

    return Api(app.test_client(), demo)


@pytest.fixture
def manager(client, towns) -> dict[str, Any]:
    """The first town's manager, signed in; the page's CSRF token comes with it."""
    reply = sign_in(client, towns[0]["manager"]["staff_no"])
    assert reply.status_code == 302 and reply.headers["Location"] == "/admin/"
    html = client.get("/admin/").get_data(as_text=True)
    return {"csrf": csrf_of(html), "hall": towns[0]["hall"], "town": towns[0], "other": towns[1]}


def window_of(town: dict[str, Any], number: int) -> int:
    return next(c["window"] for c in town["clerks"] if c["window_number"] == number)


def count(deps: Any, table: Any) -> int:
    with deps.db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_pages_ask_for_a_sign_in_and_keep_where_you_were_going(client, towns):
    hall = towns[0]["hall"]
    reply = client.get(f"/admin/halls/{hall}/windows")
    assert reply.status_code == 302
    assert reply.headers["Location"].startswith("/admin/login?next=/admin/halls/")
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "管理后台登录" in page and "Admin console sign-in" in page
    assert f'value="/admin/halls/{hall}/windows?"' in page
    login = client.post(
        "/admin/login",
        data={
            "staff_no": towns[0]["manager"]["staff_no"],
            "password": towns[0]["manager"]["password"],
            "csrf_token": csrf_of(page),
            "next": f"/admin/halls/{hall}/windows",
        },
    )
    assert login.headers["Location"] == f"/admin/halls/{hall}/windows"
    # Somewhere else than the console is never a place to go back to.
    client.post(
        "/admin/logout", data={"csrf_token": csrf_of(client.get("/admin/").get_data(as_text=True))}
    )
    page = client.get("/admin/login").get_data(as_text=True)
    evil = client.post(
        "/admin/login",
        data={
            "staff_no": towns[0]["manager"]["staff_no"],
            "password": towns[0]["manager"]["password"],
            "csrf_token": csrf_of(page),
            "next": "https://evil.example/admin",
        },
    )
    assert evil.headers["Location"] == "/admin/"


def test_wrong_passwords_clerks_and_missing_csrf_are_refused_in_both_languages(client, towns):
    bad = sign_in(client, towns[0]["manager"]["staff_no"], "wrong-password")
    assert bad.status_code == 401
    html = bad.get_data(as_text=True)
    assert "工号或密码不正确" in html and "Wrong staff number or password" in html
    clerk = sign_in(client, towns[0]["clerks"][0]["staff_no"])
    assert clerk.status_code == 403 and "管理后台仅限中心管理员" in clerk.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # the clerk got no console session
    forged = client.post(
        "/admin/login",
        data={"staff_no": towns[0]["manager"]["staff_no"], "password": demo_password("0190")},
    )
    assert forged.status_code == 403 and "页面已过期" in forged.get_data(as_text=True)


def test_the_sixth_wrong_password_is_answered_429_until_the_lock_lifts(client, towns, clock):
    staff_no = towns[0]["manager"]["staff_no"]
    for _ in range(5):
        reply = client.post("/api/v1/auth/login", json={"staff_no": staff_no, "password": "nope"})
        assert reply.status_code == 401
    locked = client.post(
        "/api/v1/auth/login", json={"staff_no": staff_no, "password": demo_password(staff_no)}
    )
    assert locked.status_code == 429
    body = locked.get_json()
    assert body["error"] == "too_many" and "15 分钟后再试" in body["message"]
    assert "try again in 15 min" in body["message_en"]
    page = sign_in(client, staff_no)
    assert page.status_code == 429 and "登录失败次数过多" in page.get_data(as_text=True)
    clock.advance(minutes=16)
    assert (
        client.post(
            "/api/v1/auth/login", json={"staff_no": staff_no, "password": demo_password(staff_no)}
        ).status_code
        == 200
    )


def test_the_overview_lists_the_managers_town_and_village_only(client, manager):
    html = client.get("/admin/").get_data(as_text=True)
    assert manager["town"]["name"] in html and "李家村便民服务站" in html
    assert manager["other"]["name"] not in html
    assert "今日取号" in html and "Issued today" in html


def test_a_form_without_the_csrf_token_changes_nothing(client, manager, deps):
    w4 = window_of(manager["town"], 4)
    reply = client.post(
        f"/admin/windows/{w4}", data={"number": "4", "name": "改名", "type": "fixed"}
    )
    assert reply.status_code == 403
    assert "页面已过期" in reply.get_data(as_text=True)
    assert admin_service.get_window(deps, _manager_actor(deps, manager), w4)["name"] == "社保窗口"


def _manager_actor(deps: Any, manager: dict[str, Any]) -> Any:
    from queue_server.services import auth

    with deps.db.reading() as s:
        clerk_id = s.scalar(
            select(tables.clerks.c.id).where(
                tables.clerks.c.staff_no == manager["town"]["manager"]["staff_no"]
            )
        )
    return auth.actor_for_clerk(deps, int(clerk_id))


def test_saving_a_window_reorders_its_categories_and_the_displays_follow(client, manager, bus):
    w4 = window_of(manager["town"], 4)
    form = client.get(f"/admin/windows/{w4}").get_data(as_text=True)
    orders = dict(re.findall(r'name="order_(\d+)"\s+value="(\d*)"', form))
    assert sorted(v for v in orders.values() if v) == ["1", "2"]  # B then C
    ids = sorted(int(k) for k in orders)
    data = {
        "csrf_token": manager["csrf"],
        "number": "4",
        "name": "社保医保窗口",
        "type": "fixed",
        **{f"order_{i}": "" for i in ids},
        f"order_{ids[2]}": "1",  # C first
        f"order_{ids[1]}": "2",  # then B
    }
    bus.published.clear()
    reply = client.post(f"/admin/windows/{w4}", data=data)
    assert reply.status_code == 302
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "窗口已保存" in page and "Window saved" in page
    snapshot = client.get(f"/api/v1/halls/{manager['hall']}/snapshot").get_json()
    window = next(w for w in snapshot["windows"] if w["id"] == w4)
    assert window["name"] == "社保医保窗口" and window["category_names"] == ["医疗保险", "社会保险"]
    assert bus.events("window_changed", f"window:{w4}")[-1].payload["name"] == "社保医保窗口"


def test_a_refused_form_shows_each_problem_in_both_languages_and_keeps_the_input(client, manager):
    hall = manager["hall"]
    reply = client.post(
        f"/admin/halls/{hall}/windows/new",
        data={"csrf_token": manager["csrf"], "number": "0", "name": "", "type": "fixed"},
    )
    assert reply.status_code == 422
    html = reply.get_data(as_text=True)
    assert "请修改以下内容后再保存" in html
    assert "请填写窗口名称" in html and "Window name is required" in html
    assert "窗口号须在 1 到 999 之间" in html and "Window number must be from 1 to 999" in html
    assert 'aria-invalid="true"' in html and 'id="f-name-error"' in html
    assert 'name="number" required aria-invalid="true"' in html or 'value="0"' in html
    not_a_number = client.post(
        f"/admin/halls/{hall}/categories/new",
        data={"csrf_token": manager["csrf"], "prefix": "G", "name": "x", "daily_cap": "many"},
    )
    assert not_a_number.status_code == 422
    assert "每日上限须为整数" in not_a_number.get_data(as_text=True)


def test_whatever_is_typed_is_shown_escaped(client, manager, deps):
    hall = manager["hall"]
    evil = '<script>alert("x")</script>'
    reply = client.post(
        f"/admin/halls/{hall}/notice", data={"csrf_token": manager["csrf"], "notice": evil}
    )
    assert reply.status_code == 302
    html = client.get(f"/admin/halls/{hall}/notice").get_data(as_text=True)
    assert evil not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    w1 = window_of(manager["town"], 1)
    client.post(
        f"/admin/windows/{w1}",
        data={"csrf_token": manager["csrf"], "number": "1", "name": "<img src=x onerror=alert(1)>",
              "type": "comprehensive"},
    )  # fmt: skip
    for path in (f"/admin/halls/{hall}/windows", f"/admin/halls/{hall}/monitor", "/admin/audit"):
        page = client.get(path).get_data(as_text=True)
        assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_new_member_of_staff_gets_a_password_shown_once(client, manager, app):
    hall = manager["hall"]
    reply = client.post(
        f"/admin/halls/{hall}/staff/new",
        data={"csrf_token": manager["csrf"], "staff_no": "0177", "name": "郑新", "role": "clerk",
              "hall_id": str(hall), "department": "社保所", "active": "on", "password": ""},
    )  # fmt: skip
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    html = reply.get_data(as_text=True)
    password = re.search(r'<code class="secret-value" id="secret">([^<]+)</code>', html).group(1)  # type: ignore[union-attr]
    assert "只显示这一次" in html
    other_client = app.test_client()
    signed = other_client.post(
        "/api/v1/auth/login", json={"staff_no": "0177", "password": password}
    )
    assert signed.status_code == 200
    # The role list never offers "admin" to a manager.
    form = client.get(f"/admin/halls/{hall}/staff/new").get_data(as_text=True)
    assert 'value="admin"' not in form and 'value="manager"' in form


def test_a_device_token_is_shown_once_and_rotation_replaces_it(client, manager, deps):
    hall = manager["hall"]
    created = client.post(
        f"/admin/halls/{hall}/devices/new",
        data={
            "csrf_token": manager["csrf"],
            "kind": "screen",
            "name": "大厅综合屏",
            "window_id": "",
        },
    )
    token = re.search(r'id="secret">([^<]+)<', created.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert (
        client.get("/api/v1/kiosk/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 403
    )
    devices = client.get(f"/admin/halls/{hall}/devices").get_data(as_text=True)
    device_id = re.search(r'/admin/devices/(\d+)">大厅综合屏', devices).group(1)  # type: ignore[union-attr]
    assert "未上报" in devices
    rotated = client.post(f"/admin/devices/{device_id}/token", data={"csrf_token": manager["csrf"]})
    new = re.search(r'id="secret">([^<]+)<', rotated.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert new != token
    assert (
        client.get("/api/v1/kiosk/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_items_export_as_csv_and_json_and_a_file_imports_them(client, manager):
    hall = manager["hall"]
    exported = client.get(f"/admin/halls/{hall}/items.csv")
    assert exported.mimetype == "text/csv"
    assert exported.headers["Content-Disposition"].startswith("attachment;")
    text = exported.get_data().decode("utf-8")
    assert text.startswith("\ufeffcode,name,") and "最低生活保障申请" in text
    as_json = client.get(f"/admin/halls/{hall}/items.json").get_json()
    assert len(as_json["items"]) == 14
    changed = text.replace("最低生活保障申请", "最低生活保障申请（2027版）")
    reply = client.post(
        f"/admin/halls/{hall}/items/import",
        data={"csrf_token": manager["csrf"], "file": (io.BytesIO(changed.encode()), "items.csv")},
        content_type="multipart/form-data",
    )
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "导入完成：新增 0 项，更新 14 项" in page and "最低生活保障申请（2027版）" in page
    # the English fields travel with the file and are edited on the item's form
    assert "materials_en" in text.splitlines()[0] and "Civil Affairs Office" in text
    item = as_json["items"][0]
    assert item["materials_en"] and item["department_en"]
    form = client.get("/admin/items/1").get_data(as_text=True)
    for field in ("conditions_en", "steps_en", "materials_en", "fee_en", "department_en"):
        assert f'name="{field}"' in form, field
    assert "英文所需材料" in form and "Resident ID card" in form
    broken = client.post(
        f"/admin/halls/{hall}/items/import",
        data={"csrf_token": manager["csrf"], "file": (io.BytesIO(b"code,name\nX,\n"), "bad.csv")},
        content_type="multipart/form-data",
    )
    page = client.get(broken.headers["Location"]).get_data(as_text=True)
    assert "导入失败：第 1 项：请填写事项名称" in page and "Entry 1: Item name is required" in page


def test_a_photo_upload_is_checked_and_shown_on_the_window_display(client, manager, deps):
    clerk_staff_no = manager["town"]["clerks"][0]["staff_no"]
    with deps.db.reading() as s:
        clerk_id = s.scalar(
            select(tables.clerks.c.id).where(tables.clerks.c.staff_no == clerk_staff_no)
        )
    image = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 30, 30)).save(image, "PNG")
    reply = client.post(
        f"/admin/staff/{clerk_id}/photo",
        data={"csrf_token": manager["csrf"], "photo": (io.BytesIO(image.getvalue()), "me.png")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 302
    found = admin_service.get_clerk(deps, _manager_actor(deps, manager), clerk_id)
    assert found["photo_url"].startswith("/admin/photos/") and found["photo_url"].endswith(".png")
    client.post("/admin/logout", data={"csrf_token": manager["csrf"]})
    served = client.get(found["photo_url"])  # public, as the window display shows it
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.get_data() == image.getvalue()
    served.close()
    sign_in(client, manager["town"]["manager"]["staff_no"])
    csrf = csrf_of(client.get("/admin/").get_data(as_text=True))
    fake = client.post(
        f"/admin/staff/{clerk_id}/photo",
        data={"csrf_token": csrf, "photo": (io.BytesIO(b"<svg onload=alert(1)>"), "x.png")},
        content_type="multipart/form-data",
    )
    assert "照片须为 PNG、JPEG 或 WebP 图片" in client.get(fake.headers["Location"]).get_data(
        as_text=True
    )


def test_the_report_page_draws_its_charts_and_links_its_csv(client, manager, api):
    hall = manager["hall"]
    api.issue("B")
    api.window(4, "open")
    api.window(4, "call-next")
    api.window(4, "finish")
    html = client.get(f"/admin/halls/{hall}/reports?period=week&by=category").get_data(as_text=True)
    assert html.count("<svg") == 2 and 'role="img"' in html
    assert "取号与办结（按日）" in html and "平均等候时间" in html
    # every chart has a visible title, not only the SVG's own for screen readers
    captions = re.findall(r"<figcaption[^>]*>(.*?)</figcaption>", html)
    assert (
        len(captions) == 2 and "取号与办结（按日）" in captions[0] and "平均等候时间" in captions[1]
    )
    # the period form shows the week shown (Monday to Sunday), typed as 2026-11-26
    for field, value in (
        ("p-date", "2026-11-23"),
        ("p-start", "2026-11-23"),
        ("p-end", "2026-11-29"),
    ):
        tag = re.search(rf'<input id="{field}"[^>]*>', html)
        assert tag and f'value="{value}"' in tag.group(0), field
        assert 'type="text"' in tag.group(0) and 'pattern="\\d{4}-\\d{2}-\\d{2}"' in tag.group(0)
    assert 'type="date"' not in html, "Chromium would show 11/26/2026"
    assert f"/admin/halls/{hall}/reports.csv?period=week&amp;by=category" in html
    csv_reply = client.get(f"/admin/halls/{hall}/reports.csv?period=week&by=category")
    assert csv_reply.mimetype == "text/csv"
    assert "业务类别 Category" in csv_reply.get_data().decode("utf-8")
    bad = client.get(f"/admin/halls/{hall}/reports?period=range&start=2026-12-01&end=2026-11-01")
    assert bad.status_code == 422 and "结束日期不能早于开始日期" in bad.get_data(as_text=True)


def test_an_admin_session_ends_twelve_hours_after_sign_in(client, manager, clock, monkeypatch):
    hall = manager["hall"]
    clock.advance(hours=11, minutes=59)
    assert client.get(f"/admin/halls/{hall}/windows").status_code == 200
    clock.advance(minutes=2)
    expired = client.get(f"/admin/halls/{hall}/windows")
    assert expired.status_code == 302 and "expired=1" in expired.headers["Location"]
    page = client.get(expired.headers["Location"]).get_data(as_text=True)
    assert "登录已过期" in page


def test_the_session_cookie_itself_expires_after_twelve_idle_hours(client, manager, monkeypatch):
    import itsdangerous.timed

    later = int(time.time()) + 12 * 3600 + 60
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: later)
    reply = client.get(f"/admin/halls/{manager['hall']}/windows")
    assert reply.status_code == 302 and reply.headers["Location"].startswith("/admin/login")


def test_a_bad_review_on_the_phone_opens_its_follow_up_at_once(client, api, manager, deps):
    ticket = api.issue("A")
    api.window(1, "open")
    api.window(1, "call-next")
    api.window(1, "finish")
    rated = client.post(
        f"/api/v1/tickets/{ticket['token']}/evaluation",
        json={"level": "very_dissatisfied", "reason": "attitude", "comment": "态度差"},
    )
    assert rated.status_code in (200, 201), rated.get_json()
    with deps.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(admin_tables.follow_ups)) == 1
    html = client.get(f"/admin/halls/{manager['hall']}/follow-ups").get_data(as_text=True)
    assert ticket["number"] in html and "非常不满意" in html and "态度差" in html


def test_the_monitor_page_shows_each_window_and_its_live_part_redraws(client, manager, api):
    hall = manager["hall"]
    api.issue("A")
    api.window(1, "open")
    api.window(1, "call-next")
    html = client.get(f"/admin/halls/{hall}/monitor").get_data(as_text=True)
    assert 'data-window="1"' in html and "A001" in html and "socket.io.min.js" in html
    live = client.get(f"/admin/halls/{hall}/monitor/live").get_data(as_text=True)
    assert live.lstrip().startswith('<div class="live-root"') and "A001" in live
    # 1 号窗口 is named 综合窗口, as its type: said once
    assert (
        '<span class="wc-name">综合窗口</span>' in live and "综合窗口 <small>综合窗口" not in live
    )
    assert '<span class="wc-name">社保窗口 <small>固定窗口</small></span>' in live
    assert "<html" not in live


def test_hours_and_date_overrides_go_through_the_appointments_module(client, manager, deps):
    hall = manager["hall"]
    html = client.get(f"/admin/halls/{hall}/hours").get_data(as_text=True)
    assert "未来两周" in html and "11月26日" in html
    reply = client.post(
        f"/admin/halls/{hall}/hours",
        data={"csrf_token": manager["csrf"], "form": "override", "day": "2026-11-30",
              "closed": "on", "reason": "停电检修"},
    )  # fmt: skip
    assert reply.status_code == 302, reply.get_data(as_text=True)
    html = client.get(f"/admin/halls/{hall}/hours").get_data(as_text=True)
    assert "2026-11-30" in html and "停电检修" in html
    refused = client.post(
        f"/admin/halls/{hall}/hours",
        data={"csrf_token": manager["csrf"], "form": "override", "day": "2026-12-01",
              "sessions": "9点到12点"},
    )  # fmt: skip
    assert refused.status_code == 422 and "09:00-12:00" in refused.get_data(as_text=True)
    assert count(deps, tables.halls) == 4


def test_weekly_hours_are_a_form_of_weekdays_and_sessions_not_json(client, manager, deps):
    hall = manager["hall"]
    html = client.get(f"/admin/halls/{hall}/hours").get_data(as_text=True)
    assert 'name="hours"' not in html and "&#34;regular&#34;" not in html, "no raw JSON"
    assert re.search(r'name="regular-1-walk" value="09:00-12:00 13:30-17:00"', html)
    assert re.search(r'name="extended-2-appt" value="17:00-19:00"', html)
    assert re.search(r'name="extra_days-6-walk" value="09:00-12:00"', html)
    form = {
        "csrf_token": manager["csrf"],
        "form": "weekly",
        "timezone": "Asia/Shanghai",
        "swapped_workday_follows": "1",
        **{f"regular-{d}-walk": "08:30-12:00 14:00-17:30" for d in range(1, 6)},
        "extended-4-appt": "17:30-19:00",
        "extra_days-7-walk": "9:00-11:30",
    }
    saved = client.post(f"/admin/halls/{hall}/hours", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with deps.db.reading() as s:
        stored = s.get(Hall, hall).hours
    assert {k: v for k, v in stored["regular"][0].items() if k != "appointment_only"} == {
        "weekdays": [1, 2, 3, 4, 5],
        "start": "08:30",
        "end": "12:00",
    }
    assert [(e["weekdays"], e["start"], e["appointment_only"]) for e in stored["extended"]] == [
        ([4], "17:30", True)
    ]
    assert [(e["weekdays"], e["start"]) for e in stored["extra_days"]] == [([7], "09:00")]
    html = client.get(f"/admin/halls/{hall}/hours").get_data(as_text=True)
    assert 'name="extra_days-7-walk" value="09:00-11:30"' in html
    # A session typed another way is refused, named, and nothing changes.
    refused = client.post(
        f"/admin/halls/{hall}/hours", data={**form, "regular-3-walk": "上午九点到十二点"}
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "09:00-12:00" in page and 'href="#f-regular-3-walk"' in page
    assert 'value="上午九点到十二点"' in page, "what was typed is shown again"
    overlapping = client.post(
        f"/admin/halls/{hall}/hours", data={**form, "regular-1-walk": "09:00-12:00 11:00-13:00"}
    )
    assert overlapping.status_code == 422
    with deps.db.reading() as s:
        assert s.get(Hall, hall).hours == stored


def test_a_kiosk_printer_is_set_on_the_device_page(client, manager):
    kiosk = manager["town"]["kiosk_id"]
    page = client.get(f"/admin/devices/{kiosk}").get_data(as_text=True)
    assert "小票打印机" in page and 'value="dummy://"' in page
    refused = client.post(
        f"/admin/devices/{kiosk}/printer",
        data={"csrf_token": manager["csrf"], "printer": "carrier-pigeon://roof", "paper_mm": "80",
              "mode": "text", "encoding": "gb18030"},
    )  # fmt: skip
    assert refused.status_code == 422 and "打印机地址无效" in refused.get_data(as_text=True)
    saved = client.post(
        f"/admin/devices/{kiosk}/printer",
        data={"csrf_token": manager["csrf"], "printer": "tcp://192.0.2.7:9100", "paper_mm": "58",
              "mode": "image", "encoding": "gb18030", "check_status": "on"},
    )  # fmt: skip
    assert saved.status_code == 302
    me = client.get(
        "/api/v1/kiosk/me", headers={"Authorization": f"Bearer {manager['town']['kiosk_token']}"}
    ).get_json()
    assert me["printer"]["url"] == "tcp://192.0.2.7:9100" and me["printer"]["paper_mm"] == 58
    assert me["printer"]["mode"] == "image"


def hall_rules(deps: Any, hall_id: int) -> Any:
    """The queue rules the queue itself reads from the stored hall."""
    from queue_server.domain.model import Hall

    with deps.db.reading() as s:
        hall = s.get(Hall, hall_id)
        assert hall is not None
        return hall.rules


def test_queue_rules_are_set_on_the_hall_settings_page(client, manager, deps):
    hall = manager["hall"]
    html = client.get(f"/admin/halls/{hall}").get_data(as_text=True)
    assert "排队规则" in html and "Queue rules" in html
    assert "过号前至少呼叫次数" in html and "Calls before a no-show is allowed" in html
    assert 'name="min_calls_before_no_show"' in html and 'value="2"' in html
    # The demo hall starts, like every new hall, with the switch on, and the page says why.
    switch = re.search(r'<input type="checkbox" id="f-comprehensive_prefers_unserved"[^>]*>', html)
    assert switch and "checked" in switch.group(0)
    assert "新大厅默认开启" in html and "on for new halls" in html
    # A hall stored before (no setting) has it off.
    with deps.db.transaction() as s:
        s.execute(tables.halls.update().where(tables.halls.c.id == hall).values(settings={}))
    html = client.get(f"/admin/halls/{hall}").get_data(as_text=True)
    switch = re.search(r'<input type="checkbox" id="f-comprehensive_prefers_unserved"[^>]*>', html)
    assert switch and "checked" not in switch.group(0)
    assert 'aria-describedby="f-comprehensive_prefers_unserved-help"' in switch.group(0)
    form = {
        "form": "queue",
        "min_calls_before_no_show": "3",
        "min_seconds_before_no_show": "90",
        "return_places_from_front": "1",
        "max_priority_in_row": "2",
        "appointment_lead_minutes": "15",
        "comprehensive_prefers_unserved": "on",
    }
    # Without the page's CSRF token nothing changes.
    assert client.post(f"/admin/halls/{hall}", data=form).status_code == 403
    assert hall_rules(deps, hall).comprehensive_prefers_unserved is False
    # A value out of bounds, or no number at all, is refused in both languages and kept.
    refused = client.post(
        f"/admin/halls/{hall}",
        data={**form, "csrf_token": manager["csrf"], "min_calls_before_no_show": "0",
              "max_priority_in_row": "两个"},
    )  # fmt: skip
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "优先号最多连续叫几个须为整数" in page and "Priority calls in a row at most" in page
    assert 'id="f-max_priority_in_row-error"' in page and 'value="两个"' in page
    refused = client.post(
        f"/admin/halls/{hall}",
        data={**form, "csrf_token": manager["csrf"], "min_calls_before_no_show": "0"},
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "过号前至少呼叫次数须在 1 到 10 之间" in page
    assert "Calls before a no-show is allowed must be from 1 to 10" in page
    assert hall_rules(deps, hall).min_calls_before_no_show == 2
    # Saved: the queue reads the new rules; an unticked switch is off.
    saved = client.post(f"/admin/halls/{hall}", data={**form, "csrf_token": manager["csrf"]})
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "已保存" in page
    switch = re.search(r'<input type="checkbox" id="f-comprehensive_prefers_unserved"[^>]*>', page)
    assert switch and "checked" in switch.group(0)
    rules = hall_rules(deps, hall)
    assert rules.comprehensive_prefers_unserved is True and rules.allow_call_out_of_order is False
    assert (rules.min_calls_before_no_show, rules.max_priority_in_row) == (3, 2)
    # The JSON API shows and sets the same rules.
    detail = client.get(f"/api/v1/admin/halls/{hall}").get_json()
    assert detail["queue"] == rules.to_dict()
    put = client.put(
        f"/api/v1/admin/halls/{hall}/queue-rules",
        json={**detail["queue"], "comprehensive_prefers_unserved": False},
        headers={"X-CSRF-Token": manager["csrf"]},
    )
    assert put.status_code == 200 and put.get_json()["comprehensive_prefers_unserved"] is False
    assert hall_rules(deps, hall).comprehensive_prefers_unserved is False
    bad = client.put(
        f"/api/v1/admin/halls/{hall}/queue-rules",
        json={**detail["queue"], "return_places_from_front": 101},
        headers={"X-CSRF-Token": manager["csrf"]},
    )
    assert bad.status_code == 422
    assert "过号回来后排在第几位之后须在 0 到 100 之间" in bad.get_json()["message"]
    assert hall_rules(deps, hall).return_places_from_front == 1
