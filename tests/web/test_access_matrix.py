"""Who reaches what: every route of the app × every role × where the target hall sits from the
role's own hall in the four-level tree city → county → town → village (two branches at each
level): its own hall, a child, the parent, a sibling, a hall of the other branch.

The routes are read from `app.url_map`, so a route added without a line in ROUTES fails the test.
Each role works on a fresh copy of the tree in the middle of a morning and sends one request per
route and method, with a body that only the access rules can refuse. What each role should get
is written once, in ROUTES (which kind of access a route has) and ACCESS (what that kind means
for each role and place). Every reply also carries the security headers, and a refused request
changes nothing."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from queue_server.services.demo import demo_password

from .hall_world import (  # noqa: F401
    HallTree,
    Town,
    database_digest,
    hall_tree,
    make_app,
    make_deps,
)
from .test_access_admin import api_bodies, form_bodies
from .test_fuzz_api import error_shape_problem

# -- what each kind of access means --------------------------------------------------------------
# Columns: anonymous, kiosk device, lobby screen, evaluation pad (device tokens), clerk (A post
# of window 1), village agent, manager, system admin. The clerk, the manager and the devices
# belong to town1; the agent to village1a, a station under it. A value holds everywhere, or
# "reach/refusal": served where the reach covers the target hall, refused elsewhere. Reaches:
# own (the role's own hall), tree (own hall and below), station (own hall and the one above).
# ok: served (2xx/3xx), or refused by the use case for the state of things (409/422), never by
# the access rules. login: redirected to the sign-in page.
ROLES = ("anonymous", "kiosk", "display", "evaluator", "clerk", "agent", "manager", "admin")
ACCESS: dict[str, str] = {
    # fmt: off
    #                    anonymous kiosk  display evaluator clerk   agent       manager  admin
    "public": "ok       ok      ok      ok        ok      ok          ok       ok",
    "sign_in": "401      401     401     401       401     401         401      401",
    "book": "ok       403     403     403       ok      ok          ok       ok",
    "issue": "401      own/403 403     403       own/403 station/403 tree/403 ok",
    "kiosk_self": "401      ok      403     403       403     403         403      403",
    "window_pad": "401      403     403     own/403   403     403         403      403",
    "staff": "401      401     401     401       ok      ok          ok       ok",
    "hall_staff": "401      401     401     401       own/403 own/403     tree/403 ok",
    "posted": "401      401     401     401       own/403 403         403      403",
    "home_visit": "401      401     401     401       own/403 403         tree/403 ok",
    "console": "401      401     401     401       403     403         tree/403 ok",
    "console_any": "401      401     401     401       403     403         ok       ok",
    "console_page": "login    login   login   login     403     403         tree/403 ok",
    "console_page_any": "login    login   login   login     403     403         ok       ok",
    "admin_only": "401      401     401     401       403     403         403      ok",
    # Cases (办件): the reviewing department's staff (clerk and manager share the department
    # here), the front desk (补正, 出件), extensions, a hall's list.
    "review": "401      401     401     401       tree/403 403        tree/403 403",
    "front_desk": "401      401     401     401       own/403 403         tree/403 ok",
    "extend": "401      401     401     401       tree/403 403         tree/403 ok",
    "case_read": "401      401     401     401       tree/403 tree/403    tree/403 ok",
    # 代办 at a village station: its own staff (the agent), a manager above it.
    "station": "401      401     401     401       own/403 own/403     tree/403 ok",
    # fmt: on
}
REACHES = {"own": {"own"}, "tree": {"own", "child"}, "station": {"own", "parent"}}
# Where each role belongs, and the hall of the tree each place means from there.
HOME = {role: "village1a" if role == "agent" else "town1" for role in ROLES}
PLACES = {
    "town1": {"own": "town1", "child": "village1a", "parent": "county1", "sibling": "town2",
              "other": "town3"},
    "village1a": {"own": "village1a", "parent": "town1", "sibling": "village1b",
                  "other": "village3a"},  # a village has no child
}  # fmt: skip
CASES = [
    (role, place) for role in ROLES for place in ("own", "child", "parent", "sibling", "other")
    if place in PLACES[HOME[role]]
]  # fmt: skip

# -- every route and method, and the kind of access it has -------------------------------------
# Window actions and the counter's reads: the clerk holding the window's A or B post only.
_POSTED = ["options", "stats", "bookings", "panel", "open", "close", "call", "call_next",
           "recall", "start", "finish", "no_show", "hold", "resume_held", "return", "transfer",
           "pause", "resume"]  # fmt: skip
_CONSOLE_PAGES = ["audit_log", "categories", "category_edit", "category_new", "clerk_edit",
    "clerk_new", "complaint", "complaint_new", "complaints_list", "device_edit", "device_new",
    "devices", "follow_up", "follow_ups", "hall", "hall_new", "hours", "item_edit", "item_new",
    "items", "items_csv", "items_json", "monitor", "monitor_live", "notice", "performance",
    "performance_clerk", "performance_csv", "report", "report_csv", "staff", "window_edit",
    "cases", "case_report", "case_report_csv",
    "window_new", "windows"]  # fmt: skip
_CONSOLE_FORMS = ["category_edit", "category_new", "clerk_edit", "clerk_new", "clerk_password",
    "clerk_photo", "complaint_assign", "complaint_new", "complaint_resolve", "device_delete",
    "device_edit", "device_new", "device_printer", "device_token", "follow_up", "hall",
    "hall_new", "hours", "item_edit", "item_new", "items_import", "notice", "window_delete",
    "window_edit", "window_new"]  # fmt: skip
_CONSOLE_API = ["GET audit", "GET categories", "GET category", "GET clerk", "GET clerks",
    "GET complaint", "GET complaints", "GET device", "GET devices", "GET export_items",
    "GET follow_up", "GET follow_ups", "GET hall", "GET item", "GET items", "GET monitor",
    "GET performance", "GET report", "GET window", "GET windows", "PATCH update_category",
    "PATCH update_clerk", "PATCH update_device", "PATCH update_hall", "PATCH update_item",
    "PATCH update_window", "DELETE delete_device", "DELETE delete_window",
    "POST assign_complaint", "POST create_category", "POST create_clerk", "POST create_device",
    "POST create_hall", "POST create_item", "POST create_window", "POST follow_up_step",
    "POST import_items", "POST register_complaint", "POST reset_password",
    "POST resolve_complaint", "POST rotate_token", "PUT flexible_rule", "PUT notice",
    "PUT service_day", "PUT retention", "PUT queue_rules"]  # fmt: skip
_PUBLIC = ["GET pages.index", "GET pages.health", "GET pages.favicon", "GET static", "GET api.openapi",
    # the citizen: kiosk, phone page, booking pages, displays and the evaluation pad
    "GET kiosk.kiosk_page", "GET kiosk.booking_qr", "GET kiosk.phone_page", "GET kiosk.phone_qr",
    "GET booking.book_page", "GET booking.manage_page", "GET display.hall_display",
    "GET display.window_display", "GET display.voice", "GET display.chime", "GET evaluate.pad",
    "GET display.setup", "GET display.test_voice",
    "GET evaluate.ticket_page", "GET admin.login", "GET admin.photo", "GET counter.panel",
    "GET counter.panel/window", "GET admin.password", "GET api.list_halls", "GET api.hall_categories",
    "GET api.hall_snapshot", "GET api.hall_alarms", "GET api.kiosk_home", "GET api.service_items",
    "GET api.service_item", "GET api.item_deadline", "GET api.hall_hours",
    "GET api.booking_rules", "GET api.booking_items", "GET api.booking_days",
    "GET api.booking_slots", "GET api.window_evaluation",
    # what the unguessable ticket token or booking code in the address opens
    "GET api.ticket", "POST api.cancel_ticket", "GET api.ticket_evaluation",
    "POST api.rate_ticket", "GET api.get_booking", "GET api.booking_calendar",
    "GET api.booking_qr", "GET api.booking_messages", "POST api.cancel_booking",
    "POST api.move_booking", "POST api.logout", "GET api.case_by_token",
    # the back office's page (its sign-in form), the case's page by its token
    "GET cases.workbench", "GET cases.case_page",
    "GET station.station_page"]  # fmt: skip

ROUTES: dict[str, str] = {
    **{key: "public" for key in _PUBLIC},
    **{f"GET admin.{name}": "console_page" for name in _CONSOLE_PAGES},
    **{f"POST admin.{name}": "console" for name in _CONSOLE_FORMS},
    **{f"{m} api.admin_{name}": "console" for m, name in (r.split() for r in _CONSOLE_API)},
    **{f"GET api.{name}": "posted" for name in ("counter_options", "window_stats")},
    **{f"GET api.window_{name}": "posted" for name in ("bookings", "panel")},
    **{
        f"POST api.window_{n}": "posted"
        for n in _POSTED
        if n not in ("options", "stats", "bookings", "panel")
    },
    "GET admin.overview": "console_page_any",
    "GET admin.switch": "console_page_any",  # then the chosen hall's page says yes or no
    "GET api.admin_halls": "console_any",  # lists only the halls in reach
    # The holiday schedules are deployment-wide: managers read them, admins change them.
    "GET api.admin_calendar": "console_any",
    "GET api.admin_calendar_year": "console_any",
    "PUT api.admin_save_calendar_year": "admin_only",
    "DELETE api.admin_delete_calendar_year": "admin_only",
    "GET admin.calendar": "console_page_any",
    "GET admin.calendar_year": "console_page_any",
    "POST admin.calendar_year": "admin_only",
    "POST admin.logout": "console_any",
    "POST api.booking_housekeeping": "console_any",  # runs the bookings' periodic work
    "POST api.login": "sign_in",
    "POST api.change_password": "sign_in",  # a wrong current password
    "POST admin.password": "sign_in",
    "POST admin.login": "sign_in",
    "POST api.create_booking": "book",  # citizens book for themselves, staff on their behalf
    "POST api.issue": "issue",
    "POST api.appointment_check_in": "issue",
    "GET api.kiosk_me": "kiosk_self",
    "POST api.rate_at_window": "window_pad",  # the window's evaluator device only
    "GET api.me": "staff",
    "GET api.my_windows": "staff",
    "GET api.my_bookings": "staff",
    "GET api.hall_bookings": "hall_staff",
    "GET api.hall_messages": "hall_staff",
    "POST api.assign_home_visit": "console",
    "POST api.close_home_visit": "home_visit",  # the clerk it went to, or the hall's manager
    "PUT api.set_booking_policy": "console",
    "PUT api.set_booking_rule": "console",
    "PUT api.set_hall_hours": "console",
    "PUT api.set_hours_override": "console",
    "DELETE api.remove_hours_override": "console",
    "PUT api.set_kiosk_printer": "console",
    "POST api.test_kiosk_printer": "console",
    "POST api.register_case": "posted",
    "GET api.hall_cases": "case_read",
    **{f"POST api.case_{n}": "review" for n in ("claim", "approve", "return", "refuse")},
    "POST api.case_resubmit": "front_desk",
    "POST api.case_deliver": "front_desk",
    "POST api.case_extend": "extend",
    "POST api.pickup_ticket": "issue",
    "GET api.window_case": "posted",
    "POST api.print_missing_notice": "posted",
    "POST api.print_case_receipt": "front_desk",
    "GET api.backoffice_cases": "staff",  # the cases of one's own department, where one works
    "POST api.register_station_case": "station",
    "GET api.station_cases": "case_read",
    "POST api.case_send_to_station": "front_desk",
}


HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": None,  # same-origin, or no-referrer on pages with a token in the address
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": None,
}
PARAM = re.compile(r"<(?:int:|string:|path:)?(\w+)>")


def url_for_rule(rule: Any, town: Town) -> str:
    """The rule's URL aimed at the town's things."""
    ids = town.ids()
    if rule.rule.startswith("/api/v1/kiosks/") or rule.endpoint == "api.admin_delete_device":
        ids["device"] = town.kiosk  # the console's two deletions take a device each
    if rule.endpoint == "static":
        return "/static/css/base.css"
    if rule.endpoint in ("api.case_by_token", "cases.case_page"):
        ids["token"] = town.case_token
    if rule.endpoint == "display.voice":
        return "/display/voice/A001/1.wav"
    url = PARAM.sub(lambda m: str(ids[m.group(1)]), rule.rule)
    query = {
        "admin.audit_log": f"?hall={town.hall}",
        "api.admin_audit": f"?hall={town.hall}",
        "admin.hall_new": f"?parent_id={town.hall}",
        "admin.switch": f"?hall={town.hall}&section=admin.windows",
        "api.booking_slots": "?date=2026-11-27",
    }
    return url + query.get(rule.endpoint, "")


def bodies(town: Town, other: Town) -> dict[str, Any]:
    """A body per changing route that only the access rules can refuse."""
    shared = {"ids": {"hall": town.hall}, "their_manager": town.manager}
    console = {**api_bodies(shared), **form_bodies(shared)}
    return {
        **console,
        "api.admin_retention": {"retention_days": 365},
        "api.login": {"staff_no": "nobody", "password": "wrong"},
        "api.logout": {},
        "api.change_password": {"password": "wrong", "new_password": "a-fresh-pass-phrase"},
        "admin.password": {
            "staff_no": "nobody",
            "password": "wrong",
            "new_password": "a-fresh-pass-phrase",
            "repeat_password": "a-fresh-pass-phrase",
        },
        "admin.login": {"staff_no": "nobody", "password": "wrong"},
        "api.issue": {"category": "A"},
        "api.cancel_ticket": {},
        "api.rate_ticket": {"level": "satisfied"},
        "api.rate_at_window": {"level": "satisfied"},
        "api.create_booking": {
            "item": town.item,
            "start": "2026-11-27T09:30:00+08:00",
            "name": "李四",
            "phone": "13712345678",
            "id_number": "370881195001010074",
        },
        "api.cancel_booking": {},
        "api.move_booking": {"start": "2026-11-27T10:00:00+08:00"},
        "api.appointment_check_in": {"code": town.booking_code},
        "api.booking_housekeeping": {},
        "api.set_booking_policy": {"max_no_shows": 3},
        "api.set_booking_rule": {"scope": "hall", "rule": None},
        "api.set_hall_hours": {"timezone": "Asia/Shanghai"},
        "api.set_hours_override": {"closed": True, "reason": "停电"},
        "api.remove_hours_override": {},
        "api.assign_home_visit": {"clerk": town.staff["clerk"]},
        "api.close_home_visit": {"outcome": "completed"},
        "api.set_kiosk_printer": {"paper_mm": 80},
        "api.test_kiosk_printer": {},
        "api.window_open": {},
        "api.window_call_next": {},
        "api.window_recall": {},
        "api.window_start": {},
        "api.window_hold": {},
        "api.window_resume_held": {},
        "api.window_finish": {},
        "api.window_call": {"ticket": "A003"},
        "api.window_no_show": {},
        "api.window_return": {"ticket": "A002"},
        "api.window_transfer": {"category": "B"},
        "api.window_pause": {"reason": "会议"},
        "api.window_resume": {},
        "api.window_close": {},
        "api.register_case": {
            "item": town.item,
            "applicant": {
                "name": "李四",
                "phone": "13712345678",
                "id_number": "370881195001010074",
            },
            "materials": {"1": "provided", "2": "provided", "3": "provided", "4": "provided"},
        },
        "api.case_claim": {},
        "api.case_approve": {},
        "api.case_return": {"missing": ["户口簿"], "note": ""},
        "api.case_resubmit": {},
        "api.case_refuse": {"reason": "不符合条件"},
        "api.case_extend": {"days": 2, "reason": "需现场核查"},
        "api.case_deliver": {"how": "window"},
        "api.pickup_ticket": {"case": town.case_number},
        "api.print_case_receipt": {},
        "api.print_missing_notice": {"item": town.item, "missing": ["户口簿"]},
        "api.register_station_case": {
            "item": town.item,
            "applicant": {
                "name": "李四",
                "phone": "13712345678",
                "id_number": "370881195001010074",
            },
            "materials": {"1": "provided", "2": "provided", "3": "provided", "4": "provided"},
        },
        "api.case_send_to_station": {},
    }


# Reads first, then the counter's and citizens' changes, then the console's (a console form
# left without a box ticked switches a category off), and last what takes things away.
LAST = (
    "admin.device_token", "api.admin_rotate_token", "admin.clerk_password",
    "api.admin_reset_password", "api.remove_hours_override", "admin.window_delete",
    "api.admin_delete_window", "api.admin_delete_calendar_year",
    "admin.device_delete", "api.admin_delete_device", "api.login", "admin.login",
    "api.change_password", "admin.password", "admin.logout", "api.logout",
)  # fmt: skip


def planned(app: Any, town: Town, other: Town) -> list[tuple[str, str, str, Any]]:
    """(key, method, url, body) for every route and method, reads first."""
    sample = bodies(town, other)
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            key = f"{method} {rule.endpoint}"
            if rule.endpoint == "counter.panel" and "<" in rule.rule:
                key += "/window"
            body = None
            if method != "GET":
                assert rule.endpoint in sample, f"add a body for {rule.endpoint} to bodies()"
                body = sample[rule.endpoint]
            found.append((key, method, url_for_rule(rule, town), body))
    order = {name: index for index, name in enumerate(LAST)}

    def turn(request: tuple[str, str, str, Any]) -> tuple[Any, ...]:
        key, method, url = request[:3]
        console = url.startswith(("/admin", "/api/v1/admin"))
        last = order.get(key.split(" ")[1], -1)
        return (method != "GET", last, console, key)

    return sorted(found, key=turn)


def send(client: Any, method: str, url: str, body: Any, csrf: str, auth: dict[str, str]) -> Any:
    headers = {**auth, "X-CSRF-Token": csrf}
    if url.startswith("/api/") or method in ("GET", "DELETE", "PUT", "PATCH"):
        return client.open(url, method=method, json=body, headers=headers)
    data = {**(body or {}), "csrf_token": csrf}
    for key, value in list(data.items()):
        if isinstance(value, tuple):  # a file: a fresh stream for every request
            data[key] = (io.BytesIO(value[0].getvalue()), value[1])
    return client.post(url, data=data, headers=auth, content_type="multipart/form-data")


def sign_in(client: Any, tree: HallTree, role: str) -> tuple[str, dict[str, str]]:
    """The CSRF token of the role's cookie session, or the device's Authorization header."""
    home = tree.halls[HOME[role]]
    if role in ("anonymous", "kiosk", "display", "evaluator"):
        # The sign-in form gives anybody a session with a CSRF token: the cookie alone then
        # carries no identity, and refusals come from who is asking, not from the token.
        form = client.get("/admin/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf is not None
        auth = {"Authorization": f"Bearer {home.tokens[role]}"} if role != "anonymous" else {}
        return csrf.group(1), auth
    staff_no = tree.admin if role == "admin" else home.staff[role]
    reply = client.post(
        "/api/v1/auth/login", json={"staff_no": staff_no, "password": demo_password(staff_no)}
    )
    assert reply.status_code == 200, reply.get_json()
    return str(reply.get_json()["csrf_token"]), {}


def expected(kind: str, role: str, place: str) -> str:
    """The table's answer for a kind of access, a role and the place of the target hall."""
    reach, _, refusal = ACCESS[kind].split()[ROLES.index(role)].partition("/")
    if not refusal:
        return reach
    return "ok" if place in REACHES[reach] else refusal


def matches(expect: str, reply: Any) -> bool:
    status = reply.status_code
    if expect == "ok":
        return status < 400 or status in (409, 422)
    if expect == "login":
        return status == 302 and "/admin/login" in reply.headers["Location"]
    return status == int(expect)


def header_problems(reply: Any) -> list[str]:
    problems = [name for name in HEADERS if name not in reply.headers]
    problems += [
        f"{name}: {reply.headers.get(name)}"
        for name, value in HEADERS.items()
        if value is not None and reply.headers.get(name) not in (None, value)
    ]
    return problems


def small_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "#336").save(out, "PNG")
    return out.getvalue()


def test_every_route_has_a_line_in_the_table(app):
    routes = set()
    for rule in app.url_map.iter_rules():
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            suffix = "/window" if rule.endpoint == "counter.panel" and "<" in rule.rule else ""
            routes.add(f"{method} {rule.endpoint}{suffix}")
    assert routes - set(ROUTES) == set(), "add these routes to ROUTES"
    assert set(ROUTES) - routes == set(), "these routes are gone: remove them from ROUTES"
    assert {kind for kind in ROUTES.values()} <= set(ACCESS)
    assert all(len(row.split()) == len(ROLES) for row in ACCESS.values())
    reaches = {value.partition("/")[0] for row in ACCESS.values() for value in row.split()}
    assert reaches - {"ok", "login", "401", "403"} <= set(REACHES)


@pytest.mark.parametrize(("role", "place"), CASES)
def test_each_role_reaches_what_the_table_says(hall_tree, role, place, tmp_path):  # noqa: F811
    deps = make_deps(hall_tree.copy_to(tmp_path))
    app = make_app(deps, tmp_path)
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "clerk.png").write_bytes(small_png())
    client = app.test_client()
    csrf, auth = sign_in(client, hall_tree, role)
    town = hall_tree.halls[PLACES[HOME[role]][place]]
    other = hall_tree.halls[HOME[role]]
    plan = [(ROUTES[key], *request) for key, *request in planned(app, town, other)]
    refused = [r for r in plan if expected(r[0], role, place) != "ok"]
    served = [r for r in plan if expected(r[0], role, place) == "ok"]
    wrong, bad_headers = [], []
    before = database_digest(deps)
    for number, batch in enumerate((refused, served)):
        for kind, method, url, body in batch:
            reply = send(client, method, url, body, csrf, auth)
            expect = expected(kind, role, place)
            if not matches(expect, reply) or reply.status_code >= 500:
                text = reply.get_data(as_text=True)[:120].replace("\n", " ")
                wrong.append(f"{method} {url}: {reply.status_code}, table says {expect}: {text}")
            if url.startswith("/api/") and reply.status_code >= 400:
                problem = error_shape_problem(reply)
                if problem:
                    wrong.append(f"{method} {url}: {problem}")
            if problems := header_problems(reply):
                bad_headers.append(f"{method} {url}: {problems}")
            reply.close()  # files sent (photos, sounds, styles) are closed at once
        if number == 0:
            after = database_digest(deps)
            changed = sorted(name for name in after if after[name] != before[name])
            assert not changed, f"refused requests changed {changed}"
    deps.db.dispose()
    assert not wrong, f"{len(wrong)} replies differ from the table:\n" + "\n".join(wrong)
    assert not bad_headers, "missing security headers:\n" + "\n".join(bad_headers[:20])
    assert refused or role == "admin"
