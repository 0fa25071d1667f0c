"""Configuration use cases: each checks the hall scope, validates with bilingual field errors,
writes an audit entry with the values before and after, and publishes after the commit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from queue_server.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from queue_server.services import access, admin, alarms, auth, issuing
from queue_server.services import queue as q
from queue_server.services.admin import FieldErrors
from queue_server.services.context import ANONYMOUS, Actor
from queue_server.services.demo import seed_demo
from queue_server.store import tables

from .conftest import staff

# The same figures and rules on the embedded SQLite and on PostgreSQL (city scale).
pytestmark = [
    pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True),
    pytest.mark.usefixtures("demo_passwords_hashed_once"),
]


@pytest.fixture
def towns(deps) -> dict[str, Any]:
    first, second = seed_demo(deps, halls=2)
    return {
        "one": first,
        "two": second,
        "manager": staff(deps, first["manager"]["staff_no"]),
        "other_manager": staff(deps, second["manager"]["staff_no"]),
        "admin": staff(deps, "admin"),
        "clerk": staff(deps, first["clerks"][0]["staff_no"]),
    }


def window_of(demo: dict[str, Any], number: int) -> int:
    return next(c["window"] for c in demo["clerks"] if c["window_number"] == number)


def last_audit(deps: Any, action: str) -> dict[str, Any]:
    with deps.db.reading() as s:
        row = s.execute(
            select(tables.audit_log)
            .where(tables.audit_log.c.action == action)
            .order_by(tables.audit_log.c.id.desc())
        ).first()
    assert row is not None, f"no audit entry {action}"
    return dict(row._mapping)


def test_scope_is_the_managers_hall_and_below_and_everything_for_an_admin(deps, towns):
    with deps.db.reading() as s:
        mine = access.halls_with(s, towns["manager"], "hall.configure")
        assert mine == {towns["one"]["hall"], towns["one"]["village"]}
        assert access.halls_with(s, towns["admin"], "hall.configure") >= mine | {
            towns["two"]["hall"]
        }
        with pytest.raises(Forbidden):
            access.require_hall(s, towns["manager"], towns["two"]["hall"], "hall.configure")
        with pytest.raises(Forbidden, match="managers and admins"):
            access.halls_with(s, towns["clerk"], "hall.configure")
        with pytest.raises(Unauthorized):
            access.halls_with(s, ANONYMOUS, "hall.configure")
        with pytest.raises(NotFound):
            access.require_hall(s, towns["admin"], 999, "hall.configure")
        assert access.grantable_roles(towns["manager"])[-1].value == "manager"


def test_changing_a_window_tells_displays_kiosks_and_boards_after_the_commit(deps, bus, towns):
    hall = towns["one"]["hall"]
    w4 = window_of(towns["one"], 4)
    categories = {c["prefix"]: c["id"] for c in admin.list_categories(deps, towns["manager"], hall)}
    before = admin.get_window(deps, towns["manager"], w4)
    bus.published.clear()
    seen_committed: list[bool] = []

    def check_committed(batch: Any) -> None:
        # A subscriber reading the database sees the change: publishing follows the commit.
        with deps.db.reading() as s:
            name = s.scalar(select(tables.windows.c.name).where(tables.windows.c.id == w4))
        seen_committed.append(name == "社保医保窗口")

    bus.subscribe(check_committed)
    saved = admin.save_window(
        deps,
        towns["manager"],
        None,
        w4,
        {
            "name": "社保医保窗口",
            "category_ids": [categories["C"], categories["B"], categories["F"]],
        },
    )
    assert saved["category_ids"] == [categories["C"], categories["B"], categories["F"]]
    changed = bus.events("window_changed", f"window:{w4}")
    assert changed and changed[-1].payload["name"] == "社保医保窗口"
    assert changed[-1].payload["category_names"] == ["医疗保险", "社会保险", "居民医保缴费"]
    assert bus.events("window_changed", f"hall:{hall}")
    assert bus.events("queue_changed", f"hall:{hall}")
    assert seen_committed and all(seen_committed)
    entry = last_audit(deps, "window.update")
    assert entry["actor"] == towns["manager"].label and entry["hall_id"] == hall
    assert entry["detail"]["before"]["name"] == before["name"]
    assert entry["detail"]["after"]["name"] == "社保医保窗口"
    assert entry["detail"]["before"]["category_ids"] == before["category_ids"]


def test_window_rules_fixed_windows_serve_something_posts_are_two_people_numbers_unique(
    deps, towns
):
    hall, manager = towns["one"]["hall"], towns["manager"]
    w4 = window_of(towns["one"], 4)
    with pytest.raises(FieldErrors) as empty:
        admin.save_window(deps, manager, None, w4, {"category_ids": []})
    assert "category_ids" in empty.value.errors and "固定窗口" in empty.value.message
    with pytest.raises(FieldErrors) as clash:
        admin.save_window(deps, manager, None, w4, {"number": 1})
    assert "number" in clash.value.errors and "already exists" in clash.value.message_en
    clerk_id = towns["clerk"].id
    with pytest.raises(FieldErrors) as same:
        admin.save_window(deps, manager, None, w4, {"post_a": clerk_id, "post_b": clerk_id})
    assert "post_b" in same.value.errors
    other_clerk = staff(deps, towns["two"]["clerks"][0]["staff_no"]).id
    with pytest.raises(FieldErrors) as outsider:
        admin.save_window(deps, manager, None, w4, {"post_b": other_clerk})
    assert "post_b" in outsider.value.errors
    other_category = admin.list_categories(deps, towns["other_manager"], towns["two"]["hall"])[0]
    with pytest.raises(FieldErrors):
        admin.save_window(deps, manager, None, w4, {"category_ids": [other_category["id"]]})
    with pytest.raises(FieldErrors) as several:
        admin.save_window(deps, manager, hall, None, {"number": 0, "type": "nowhere"})
    assert {"number", "type", "name"} <= set(several.value.errors)
    assert "窗口号须在 1 到 999 之间" in several.value.message


def test_a_new_window_gets_its_posts_and_the_clerk_can_open_it(deps, towns):
    hall, manager = towns["one"]["hall"], towns["manager"]
    clerk = towns["clerk"]
    first_category = admin.list_categories(deps, manager, hall)[0]["id"]
    created = admin.save_window(
        deps,
        manager,
        hall,
        None,
        {
            "number": 9,
            "name": "机动窗口",
            "type": "flexible",
            "category_ids": [first_category],
            "post_a": clerk.id,
        },
    )
    assert created["post_a"] == clerk.id and created["status"] == "closed"
    assert q.open_window(deps, clerk, created["id"])["window"]["status"] == "open"
    with pytest.raises(Conflict, match="Close the window"):
        admin.delete_window(deps, manager, created["id"])
    q.close_window(deps, clerk, created["id"])
    admin.delete_window(deps, manager, created["id"])
    assert all(w["number"] != 9 for w in admin.list_windows(deps, manager, hall))
    w1 = window_of(towns["one"], 1)
    issuing.issue_ticket(deps, Actor("system"), hall, "A")
    q.open_window(deps, clerk, w1)
    q.call_next(deps, clerk, w1)
    q.finish(deps, clerk, w1)
    q.close_window(deps, clerk, w1)
    with pytest.raises(Conflict, match="served tickets"):
        admin.delete_window(deps, manager, w1)


def test_another_towns_manager_can_neither_read_nor_change_it(deps, towns):
    other = towns["other_manager"]
    hall, w4 = towns["one"]["hall"], window_of(towns["one"], 4)
    with pytest.raises(Forbidden):
        admin.list_windows(deps, other, hall)
    with pytest.raises(Forbidden):
        admin.get_window(deps, other, w4)
    with pytest.raises(Forbidden):
        admin.save_window(deps, other, None, w4, {"name": "被改了"})
    with pytest.raises(Forbidden):
        admin.set_notice(deps, other, hall, {"notice": "x"})
    with pytest.raises(Forbidden):
        admin.save_clerk(
            deps,
            other,
            None,
            {"staff_no": "x1", "name": "x", "role": "clerk", "hall_id": hall},
        )
    assert admin.get_window(deps, towns["manager"], w4)["name"] != "被改了"


def test_categories_prefix_is_unique_upper_case_and_kept_while_tickets_exist(deps, towns):
    hall, manager = towns["one"]["hall"], towns["manager"]
    created = admin.save_category(
        deps, manager, hall, None, {"prefix": "g", "name": "公积金", "target_wait_minutes": 15}
    )
    assert created["prefix"] == "G" and created["daily_cap"] == 999
    with pytest.raises(FieldErrors) as clash:
        admin.save_category(deps, manager, hall, None, {"prefix": "G", "name": "重复"})
    assert "prefix" in clash.value.errors and "前缀为 G" in clash.value.message
    with pytest.raises(FieldErrors) as bad:
        admin.save_category(deps, manager, hall, None, {"prefix": "G1", "name": "x"})
    assert "prefix" in bad.value.errors
    issuing.issue_ticket(deps, Actor("system"), hall, "G")
    with pytest.raises(FieldErrors, match="after hours"):
        admin.save_category(deps, manager, None, created["id"], {"prefix": "H"})
    renamed = admin.save_category(deps, manager, None, created["id"], {"name": "住房公积金"})
    assert renamed["name"] == "住房公积金"
    assert last_audit(deps, "category.update")["detail"]["after"]["name"] == "住房公积金"


def test_service_items_round_trip_through_csv_and_json(deps, towns):
    one, two = towns["one"]["hall"], towns["two"]["hall"]
    rows = admin.export_items(deps, towns["manager"], one)
    assert len(rows) == 14 and rows[0]["category"] in "ABCDEF"
    text = admin.items_csv(rows)
    parsed = admin.parse_items_csv(text)
    assert parsed[0]["materials"] == rows[0]["materials"]
    assert [r["village_proxy"] for r in parsed] == [r["village_proxy"] for r in rows]
    assert any(r["village_proxy"] for r in parsed) and not all(r["village_proxy"] for r in parsed)
    # Another town takes the catalogue: every code exists there already, so all are updated.
    assert admin.import_items(deps, towns["admin"], two, parsed) == {"created": 0, "updated": 14}
    changed = [dict(parsed[0], name="最低生活保障申请（新）", code="370800-MZ-099")]
    assert admin.import_items(deps, towns["manager"], one, changed) == {"created": 1, "updated": 0}
    found = next(
        i for i in admin.list_items(deps, towns["manager"], one) if i["code"] == "370800-MZ-099"
    )
    assert found["materials"] == rows[0]["materials"]


def test_a_bad_import_names_its_row_and_changes_nothing(deps, towns):
    hall, manager = towns["one"]["hall"], towns["manager"]
    good = {"code": "X-1", "name": "新事项", "category": "A"}
    with pytest.raises(InvalidInput, match="Entry 2") as bad:
        admin.import_items(
            deps, manager, hall, [good, {"code": "X-2", "name": "", "category": "A"}]
        )
    assert bad.value.message == "第 2 项：请填写事项名称"
    with pytest.raises(InvalidInput, match="no category Z") as unknown:
        admin.import_items(deps, manager, hall, [{"code": "X-3", "name": "x", "category": "Z"}])
    assert "没有前缀为 Z 的类别" in unknown.value.message
    assert all(i["code"] != "X-1" for i in admin.list_items(deps, manager, hall))
    with pytest.raises(InvalidInput, match="code"):
        admin.parse_items_csv("name\n低保\n")
    with pytest.raises(InvalidInput, match="Unknown CSV columns"):
        admin.parse_items_csv("code,name,colour\nX,低保,red\n")


ENGLISH = {
    "conditions_en": "Residents of the town",
    "steps_en": ["Apply", "Review"],
    "materials_en": ["ID card", "Household register"],
    "fee_en": "Free of charge",
    "department_en": "Civil Affairs Office",
}


def test_service_items_keep_their_english_fields_through_the_form_and_csv(deps, towns):
    from queue_server.domain.model import ServiceItem
    from queue_server.services.guide import item_view

    hall, manager = towns["one"]["hall"], towns["manager"]
    saved = admin.save_item(
        deps,
        manager,
        hall,
        None,
        {"code": "EN-1", "name": "低保", "materials": ["身份证", "户口簿"], **ENGLISH},
    )
    assert {key: saved[key] for key in ENGLISH} == ENGLISH
    row = next(r for r in admin.export_items(deps, manager, hall) if r["code"] == "EN-1")
    text = admin.items_csv([row])
    assert "Civil Affairs Office" in text and "ID card" in text
    parsed = admin.parse_items_csv(text)
    assert {key: parsed[0][key] for key in ENGLISH} == ENGLISH
    two = towns["two"]["hall"]
    admin.import_items(deps, towns["admin"], two, parsed)
    copied = next(i for i in admin.list_items(deps, towns["admin"], two) if i["code"] == "EN-1")
    assert {key: copied[key] for key in ENGLISH} == ENGLISH
    # What the kiosk gets: each English field, and the fee's English made up only where none is given
    shown = item_view(ServiceItem(hall_id=hall, code="EN-1", name="低保", **ENGLISH), None)
    assert shown["materials_en"] == ["ID card", "Household register"]
    assert shown["fee_en"] == "Free of charge"
    assert item_view(ServiceItem(hall_id=hall, code="EN-2", name="x"), None)["fee_en"] == "No fee"


def test_a_new_hall_starts_with_comprehensive_windows_preferring_unserved_queues(deps, towns):
    manager, hall = towns["manager"], towns["one"]["hall"]
    station = admin.create_hall(
        deps, manager, {"name": "王庄村便民服务站", "kind": "village", "parent_id": hall}
    )
    assert (
        admin.hall_detail(deps, manager, station["id"])["queue"]["comprehensive_prefers_unserved"]
        is True
    )
    # a hall stored without the setting (created before it became the default) keeps it off
    with deps.db.transaction() as s:
        s.execute(tables.halls.update().where(tables.halls.c.id == hall).values(settings={}))
    assert (
        admin.hall_detail(deps, manager, hall)["queue"]["comprehensive_prefers_unserved"] is False
    )


def test_an_item_target_service_time_is_kept(deps, towns):
    hall, manager = towns["one"]["hall"], towns["manager"]
    item = admin.list_items(deps, manager, hall)[0]
    saved = admin.save_item(deps, manager, None, item["id"], {"target_service_minutes": 12})
    assert saved["target_service_minutes"] == 12
    cleared = admin.save_item(deps, manager, None, item["id"], {"target_service_minutes": None})
    assert cleared["target_service_minutes"] is None
    entry = last_audit(deps, "item.update")
    assert entry["detail"]["before"]["target_service_minutes"] == 12


def test_staff_a_manager_never_makes_an_admin_nor_demotes_themselves(deps, towns):
    hall, manager = towns["one"]["hall"], towns["manager"]
    created = admin.save_clerk(
        deps,
        manager,
        None,
        {"staff_no": "0155", "name": "钱多多", "role": "clerk", "hall_id": towns["one"]["village"]},
    )
    assert len(created["password"]) >= 10
    assert auth.login(deps, "0155", created["password"])["clerk"]["name"] == "钱多多"
    entry = last_audit(deps, "clerk.create")
    assert "password" not in str(entry["detail"]) and created["password"] not in str(entry)
    with pytest.raises(FieldErrors, match="admin"):
        admin.save_clerk(deps, manager, created["id"], {"role": "admin"})
    with pytest.raises(FieldErrors, match="own role"):
        admin.save_clerk(deps, manager, manager.id, {"role": "clerk"})
    with pytest.raises(FieldErrors) as taken:
        admin.save_clerk(deps, manager, created["id"], {"staff_no": "0101"})
    assert "staff_no" in taken.value.errors
    with pytest.raises(Forbidden):
        admin.reset_password(deps, manager, towns["admin"].id)
    fresh = admin.reset_password(deps, manager, created["id"])
    with pytest.raises(auth.PasswordChangeRequired):  # the reset password is for choosing one
        auth.login(deps, "0155", fresh)
    with pytest.raises(Unauthorized):
        auth.login(deps, "0155", created["password"])
    off = admin.save_clerk(deps, manager, created["id"], {"active": False})
    assert off["active"] is False
    with pytest.raises(Unauthorized):
        auth.login(deps, "0155", fresh)
    with pytest.raises(FieldErrors, match="http"):
        admin.save_clerk(deps, manager, created["id"], {"photo_url": "javascript:alert(1)"})
    assert hall


def test_devices_get_a_token_once_and_rotating_it_locks_the_old_one_out(deps, towns):
    hall, manager = towns["one"]["hall"], towns["manager"]
    w1 = window_of(towns["one"], 1)
    board = admin.save_device(
        deps,
        manager,
        hall,
        None,
        {"kind": "board", "name": "1号条屏", "window_id": w1, "url": "loop://?address=1"},
    )
    assert board["token"] and board["url"] == "loop://?address=1" and board["health"] == "unknown"
    assert auth.actor_for_token(deps, board["token"]).kind == "device"  # type: ignore[union-attr]
    new = admin.rotate_device_token(deps, manager, board["id"])
    assert auth.actor_for_token(deps, board["token"]) is None
    assert auth.actor_for_token(deps, new).id == board["id"]  # type: ignore[union-attr]
    with pytest.raises(FieldErrors) as bad_url:
        admin.save_device(
            deps, manager, None, board["id"], {"url": "serial:///dev/ttyUSB0?baudrate=x"}
        )
    assert "url" in bad_url.value.errors
    window = admin.get_window(deps, manager, w1)
    assert board["id"] in window["device_ids"]
    alarms.raise_alarm(
        deps, hall, "board_offline", "条屏掉线", "Board offline", device_id=board["id"]
    )
    assert admin.get_device(deps, manager, board["id"])["health"] == "alarm"
    admin.delete_device(deps, manager, board["id"])
    assert auth.actor_for_token(deps, new) is None
    assert not [a for a in alarms.open_alarms(deps, hall) if a["device_id"] == board["id"]]


def test_binding_devices_through_the_window(deps, towns, bus):
    hall, manager = towns["one"]["hall"], towns["manager"]
    w1, w2 = window_of(towns["one"], 1), window_of(towns["one"], 2)
    screen = admin.save_device(deps, manager, hall, None, {"kind": "screen", "name": "屏"})
    kiosk_id = towns["one"]["kiosk_id"]
    admin.save_window(deps, manager, None, w1, {"device_ids": [screen["id"]]})
    assert admin.get_device(deps, manager, screen["id"])["window_id"] == w1
    assert bus.events("devices_changed", f"hall:{hall}")
    admin.save_window(deps, manager, None, w2, {"device_ids": [screen["id"]]})
    assert admin.get_window(deps, manager, w1)["device_ids"] == []
    with pytest.raises(FieldErrors):
        admin.save_window(deps, manager, None, w2, {"device_ids": [kiosk_id]})


def test_notice_and_service_day_start_are_published_and_audited(deps, towns, bus):
    hall, manager = towns["one"]["hall"], towns["manager"]
    admin.set_notice(deps, manager, hall, {"notice": "今日下午 3 点停电检修"})
    assert (
        bus.events("hall_changed", f"hall:{hall}")[-1].payload["notice"] == "今日下午 3 点停电检修"
    )
    saved = admin.set_service_day_start(deps, manager, hall, {"day_starts_at_minute": 300})
    assert saved["day_starts_at_minute"] == 300
    with pytest.raises(FieldErrors):
        admin.set_service_day_start(deps, manager, hall, {"day_starts_at_minute": 1440})
    assert last_audit(deps, "hall.service_day")["detail"]["before"] == {"day_starts_at_minute": 0}


def test_halls_nest_downwards_only_and_managers_stay_in_their_tree(deps, towns):
    manager, hall = towns["manager"], towns["one"]["hall"]
    station = admin.create_hall(
        deps, manager, {"name": "王庄村便民服务站", "kind": "village", "parent_id": hall}
    )
    assert station["parent_id"] == hall
    assert station["id"] in {h["id"] for h in admin.hall_tree(deps, manager)}
    with pytest.raises(FieldErrors, match="cannot sit under"):
        admin.create_hall(deps, manager, {"name": "某县", "kind": "county", "parent_id": hall})
    with pytest.raises(Forbidden):
        admin.create_hall(deps, manager, {"name": "顶层", "kind": "city", "parent_id": None})
    with pytest.raises(Forbidden):
        admin.create_hall(
            deps, manager, {"name": "x", "kind": "village", "parent_id": towns["two"]["hall"]}
        )
    with pytest.raises(FieldErrors, match="hall you belong to"):
        admin.update_hall(deps, manager, hall, {"parent_id": towns["one"]["village"]})
    city = admin.create_hall(deps, towns["admin"], {"name": "济宁市", "kind": "city"})
    county = admin.create_hall(
        deps, towns["admin"], {"name": "任城区", "kind": "county", "parent_id": city["id"]}
    )
    admin.update_hall(deps, towns["admin"], hall, {"parent_id": county["id"]})
    with pytest.raises(FieldErrors, match="below it"):
        admin.update_hall(deps, towns["admin"], county["id"], {"parent_id": hall})
    with pytest.raises(FieldErrors, match="time zone"):
        admin.update_hall(deps, manager, hall, {"timezone": "Mars/Olympus"})


def test_a_flexible_window_is_suggested_when_a_queue_grows(deps, towns):
    hall, manager = towns["one"]["hall"], towns["manager"]
    rule = admin.set_flexible_rule(
        deps, manager, hall, {"enabled": True, "waiting_over": 3, "wait_minutes_over": 240}
    )
    assert rule == {"enabled": True, "waiting_over": 3, "wait_minutes_over": 240}
    watch = admin.FlexibleWatch(deps)
    crowded = [{"id": 1, "name": "综合受理", "waiting": 4, "estimated_wait_minutes": 20}]
    assert watch.check(hall, crowded) is True
    (alarm,) = [a for a in alarms.open_alarms(deps, hall) if a["kind"] == admin.FLEXIBLE_ALARM]
    assert (
        "建议开放机动窗口（8 号）" in alarm["message"] and "综合受理 等候 4 人" in alarm["message"]
    )
    assert "flexible window" in alarm["message_en"]
    quiet = [{"id": 1, "name": "综合受理", "waiting": 2, "estimated_wait_minutes": 20}]
    assert watch.check(hall, quiet) is False
    assert not [a for a in alarms.open_alarms(deps, hall) if a["kind"] == admin.FLEXIBLE_ALARM]
    # With the flexible window already open there is nothing to suggest.
    flex_clerk = staff(deps, towns["one"]["clerks"][7]["staff_no"])
    q.open_window(deps, flex_clerk, window_of(towns["one"], 8))
    deps.db.cache.pop(admin.FLEXIBLE_CACHE, None)
    assert watch.check(hall, crowded) is False


def test_the_flexible_watch_follows_queue_changes_on_the_bus(deps, towns, bus):
    hall, manager = towns["one"]["hall"], towns["manager"]
    bus.subscribe(admin.FlexibleWatch(deps).on_messages)
    admin.set_flexible_rule(
        deps, manager, hall, {"enabled": True, "waiting_over": 2, "wait_minutes_over": 480}
    )
    kiosk = Actor("device", towns["one"]["kiosk_id"], hall, device_kind="kiosk")
    for _ in range(3):
        issuing.issue_ticket(deps, kiosk, hall, "F")
    assert bus.events("alarm", f"hall:{hall}")[-1].payload["kind"] == admin.FLEXIBLE_ALARM


QUEUE_RULES = {
    "min_calls_before_no_show": 3,
    "min_seconds_before_no_show": 90,
    "return_places_from_front": 0,
    "max_priority_in_row": 2,
    "appointment_lead_minutes": 15,
    "call_next_guard_seconds": 5,
    "allow_call_out_of_order": True,
    "comprehensive_prefers_unserved": False,
}


def stored_rules(deps: Any, hall_id: int) -> Any:
    with deps.db.reading() as s:
        return s.scalar(select(tables.halls.c.settings).where(tables.halls.c.id == hall_id))


def test_queue_rules_are_saved_audited_and_shown_with_the_halls_settings(deps, towns, bus):
    hall, manager = towns["one"]["hall"], towns["manager"]
    before = admin.hall_detail(deps, manager, hall)["queue"]
    assert before["comprehensive_prefers_unserved"] is True, "the demo's default, as a new hall's"
    assert admin.set_queue_rules(deps, manager, hall, QUEUE_RULES) == QUEUE_RULES
    assert admin.hall_detail(deps, manager, hall)["queue"] == QUEUE_RULES
    assert stored_rules(deps, hall)["queue"] == QUEUE_RULES
    entry = last_audit(deps, "hall.queue_rules")
    assert entry["hall_id"] == hall and entry["actor"] == f"clerk:{manager.id}"
    assert entry["detail"] == {"before": before, "after": QUEUE_RULES}
    # Waiting positions depend on the rules: phones and screens get the queue again.
    assert bus.events("queue_changed", f"hall:{hall}")
    # The hall's other settings stay as they were.
    admin.set_flexible_rule(
        deps, manager, hall, {"enabled": True, "waiting_over": 5, "wait_minutes_over": 30}
    )
    admin.set_queue_rules(deps, manager, hall, {**QUEUE_RULES, "max_priority_in_row": 4})
    settings = stored_rules(deps, hall)
    assert (
        settings["flexible"]["waiting_over"] == 5 and settings["queue"]["max_priority_in_row"] == 4
    )
    # a client written before call_next_guard_seconds existed leaves it as it was
    older = {k: v for k, v in QUEUE_RULES.items() if k != "call_next_guard_seconds"}
    assert admin.set_queue_rules(deps, manager, hall, older)["call_next_guard_seconds"] == 5


@pytest.mark.parametrize(
    ("changes", "key", "zh", "en"),
    [
        ({"min_calls_before_no_show": 0}, "min_calls_before_no_show",
         "过号前至少呼叫次数须在 1 到 10 之间", "Calls before a no-show is allowed must be from 1 to 10"),
        ({"min_seconds_before_no_show": 3601}, "min_seconds_before_no_show", "须在 0 到 3600 之间",
         "must be from 0 to 3600"),
        ({"return_places_from_front": -1}, "return_places_from_front", "须在 0 到 100 之间",
         "must be from 0 to 100"),
        ({"max_priority_in_row": "3"}, "max_priority_in_row", "优先号最多连续叫几个须为整数",
         "must be a whole number"),
        ({"appointment_lead_minutes": True}, "appointment_lead_minutes", "须为整数",
         "must be a whole number"),
        ({"comprehensive_prefers_unserved": "yes"}, "comprehensive_prefers_unserved",
         "综合窗口先办无专窗业务须为是或否", "must be true or false"),
        ({"allow_call_out_of_order": None}, "allow_call_out_of_order", "须为是或否",
         "must be true or false"),
    ],
)  # fmt: skip
def test_a_bad_queue_rule_is_refused_by_name_and_changes_nothing(deps, towns, changes, key, zh, en):
    hall, manager = towns["one"]["hall"], towns["manager"]
    saved = admin.set_queue_rules(deps, manager, hall, QUEUE_RULES)
    with pytest.raises(FieldErrors) as refused:
        admin.set_queue_rules(
            deps, manager, hall, {**QUEUE_RULES, "min_calls_before_no_show": 5, **changes}
        )
    assert list(refused.value.errors) == [key]
    assert zh in refused.value.errors[key][0] and en in refused.value.errors[key][1]
    assert admin.hall_detail(deps, manager, hall)["queue"] == saved
    assert admin.audit_entries(deps, manager, action="hall.queue_rules")["total"] == 1


def test_every_queue_rule_must_be_given(deps, towns):
    hall, manager = towns["one"]["hall"], towns["manager"]
    partial = {"min_calls_before_no_show": 3, "allow_call_out_of_order": True}
    with pytest.raises(FieldErrors) as refused:
        admin.set_queue_rules(deps, manager, hall, partial)
    assert "comprehensive_prefers_unserved" in refused.value.errors
    assert refused.value.errors["max_priority_in_row"] == (
        "请填写优先号最多连续叫几个",
        "Priority calls in a row at most is required",
    )
    assert stored_rules(deps, hall)["queue"] == {"comprehensive_prefers_unserved": True}


def test_another_towns_manager_or_a_clerk_cannot_change_the_queue_rules(deps, towns):
    hall = towns["one"]["hall"]
    with pytest.raises(Forbidden):
        admin.set_queue_rules(deps, towns["other_manager"], hall, QUEUE_RULES)
    with pytest.raises(Forbidden):
        admin.set_queue_rules(deps, towns["clerk"], hall, QUEUE_RULES)
    assert (
        admin.hall_detail(deps, towns["manager"], hall)["queue"]["allow_call_out_of_order"] is False
    )
    # The manager of the town also sets the rules of its village station.
    village = towns["one"]["village"]
    admin.set_queue_rules(deps, towns["manager"], village, QUEUE_RULES)
    assert admin.hall_detail(deps, towns["admin"], village)["queue"] == QUEUE_RULES


def test_unreadable_stored_rules_show_the_defaults_and_saving_repairs_them(deps, towns):
    hall, manager = towns["one"]["hall"], towns["manager"]
    with deps.db.transaction() as s:
        s.execute(
            tables.halls.update()
            .where(tables.halls.c.id == hall)
            .values(settings={"queue": {"max_priority_in_row": 0, "retired_setting": 1}})
        )
    assert admin.hall_detail(deps, manager, hall)["queue"]["max_priority_in_row"] == 3
    admin.set_queue_rules(deps, manager, hall, QUEUE_RULES)
    assert last_audit(deps, "hall.queue_rules")["detail"]["before"] == {
        "max_priority_in_row": 0,
        "retired_setting": 1,
    }
    assert admin.hall_detail(deps, manager, hall)["queue"] == QUEUE_RULES


def test_saved_queue_rules_reach_the_running_queue_at_once(deps, towns):
    from queue_server.services import views

    hall, manager = towns["one"]["hall"], towns["manager"]
    kiosk = Actor("device", towns["one"]["kiosk_id"], hall, device_kind="kiosk")
    issuing.issue_ticket(deps, kiosk, hall, "A")
    issuing.issue_ticket(deps, kiosk, hall, "A")
    clerk, w1 = towns["clerk"], window_of(towns["one"], 1)
    q.open_window(deps, clerk, w1)
    with pytest.raises(Forbidden):
        q.call_ticket(deps, clerk, w1, "A002")
    with deps.db.reading() as s:
        cached = views.hall_config(s, hall)  # the hall's settings, cached for the queue
        assert cached.hall.rules.comprehensive_prefers_unserved is True
        assert views.hall_config(s, hall) is cached
    admin.set_queue_rules(deps, manager, hall, QUEUE_RULES)
    with deps.db.reading() as s:
        fresh = views.hall_config(s, hall)
    assert fresh is not cached
    assert fresh.hall.rules.comprehensive_prefers_unserved is False
    assert fresh.hall.rules.allow_call_out_of_order is True
    assert q.call_ticket(deps, clerk, w1, "A002")["ticket"]["number"] == "A002"


def test_the_monitor_flags_a_service_longer_than_its_target(deps, towns, clock):
    hall, manager, clerk = towns["one"]["hall"], towns["manager"], towns["clerk"]
    w1 = window_of(towns["one"], 1)
    item = admin.list_items(deps, manager, hall)[0]
    admin.save_item(deps, manager, None, item["id"], {"target_service_minutes": 5})
    kiosk = Actor("device", towns["one"]["kiosk_id"], hall, device_kind="kiosk")
    issuing.issue_ticket(deps, kiosk, hall, "A", service_item_id=item["id"])
    q.open_window(deps, clerk, w1)
    q.call_next(deps, clerk, w1)
    q.start(deps, clerk, w1)
    clock.advance(minutes=4)
    window = next(
        w for w in admin.monitor_snapshot(deps, manager, hall)["windows"] if w["id"] == w1
    )
    assert window["clerk"]["name"] == clerk.name and window["status"] == "open"
    assert window["current"]["number"] == "A001" and window["current"]["item"] == item["name"]
    assert (window["current"]["serving_seconds"], window["current"]["over_target"]) == (240, False)
    clock.advance(minutes=2)
    snapshot = admin.monitor_snapshot(deps, manager, hall)
    window = next(w for w in snapshot["windows"] if w["id"] == w1)
    assert window["current"]["target_minutes"] == 5 and window["current"]["over_target"] is True
    assert {c["prefix"] for c in snapshot["categories"]} >= {"A", "B"}
    assert snapshot["devices"][0]["kind"] == "kiosk"
    with pytest.raises(Forbidden):
        admin.monitor_snapshot(deps, towns["other_manager"], hall)


def test_the_audit_log_shows_who_changed_what_within_reach(deps, towns):
    hall, manager = towns["one"]["hall"], towns["manager"]
    admin.set_notice(deps, manager, hall, {"notice": "新公告"})
    admin.set_notice(deps, towns["other_manager"], towns["two"]["hall"], {"notice": "别处"})
    mine = admin.audit_entries(deps, manager, action="hall.notice")
    assert [e["subject"] for e in mine["entries"]] == [towns["one"]["name"]]
    entry = mine["entries"][0]
    assert entry["actor_name"] == manager.name
    assert entry["changes"][0]["after"] == "新公告"
    assert admin.audit_entries(deps, towns["admin"], action="hall.notice")["total"] == 2
    with pytest.raises(Forbidden):
        admin.audit_entries(deps, manager, hall_id=towns["two"]["hall"])


def test_with_the_deployments_throttle_queue_figures_go_through_it(deps, towns, bus):
    touched: list[int] = []

    class Throttle:
        def touch(self, hall_id: int) -> None:
            touched.append(hall_id)

    deps.queue_changes = Throttle()
    hall = towns["one"]["hall"]
    bus.published.clear()
    admin.save_window(deps, towns["manager"], None, window_of(towns["one"], 4), {"name": "新名"})
    assert touched == [hall]
    assert bus.events("window_changed") and not bus.events("queue_changed")
