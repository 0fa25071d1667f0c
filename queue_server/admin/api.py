"""The manager console's JSON API under /api/v1/admin.

Every route needs a signed-in manager or admin (bearer token, or the session cookie with its
CSRF header); the use cases check the hall scope and write the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ..api import EMPTY, HALL, api, body
from ..api import admin_models as am
from ..api import models as m
from ..api.openapi import CSV
from ..api.spec import DATE, Param, documented, query
from ..domain import reports as rp
from ..domain.errors import InvalidInput
from ..http import RECORD_ID_MAX, current_actor, deps
from ..services import admin, complaints, reports
from ..services.context import Actor

MANAGER = "manager"
CHANGE_ERRORS = (403, 404, 409, 422)


def actor() -> Actor:
    """The signed-in manager or admin."""
    from ..services import access

    found = current_actor()
    access.require_anywhere(found, "console.use")
    return found


def _csv(text: str, filename: str) -> Response:
    # Werkzeug names the charset of a text/* mimetype itself: text/csv; charset=utf-8.
    response = Response(text.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


ID = {"type": "integer", "minimum": 1, "maximum": RECORD_ID_MAX}
FORMAT = Param(
    "format", {"type": "string", "enum": ["json", "csv"], "default": "json"},
    "返回格式：json，或 csv 表格（Excel 可打开）", "json, or csv for a spreadsheet",
)  # fmt: skip
PERIOD = (
    Param(
        "period", {"type": "string", "enum": list(rp.PERIOD_KINDS), "default": "day"},
        "统计周期：日、周（周一至周日）、月，或 range 自定区间",
        "day, ISO week, calendar month, or a range from start to end",
    ),
    Param("date", DATE, "周期所在的一天（默认今天）", "A day in the period (default today)"),
    Param("start", DATE, "区间第一天（period=range）", "First day of the range (period=range)"),
    Param("end", DATE, "区间最后一天（period=range）", "Last day of the range (period=range)"),
)  # fmt: skip


def _csv_asked() -> bool:
    return query()["format"] == "csv"


def _period(hall: int) -> Any:
    asked = query()
    return reports.resolve_period(
        deps(), actor(), hall, asked["period"], asked["date"], asked["start"], asked["end"]
    )


# -- halls ---------------------------------------------------------------------------------------


@documented(api, "GET", "/admin/halls", "The halls the signed-in manager may manage (tree order)",
            auth=MANAGER, returns=am.AdminHallList)  # fmt: skip
def admin_halls() -> Any:
    return jsonify({"halls": admin.hall_tree(deps(), actor())})


@documented(
    api, "POST", "/admin/halls", "Add a hall under one you manage (admins: also at the top)",
    body=am.model_of("HallForm", admin.HALL_FIELDS), auth=MANAGER, status=201, errors=CHANGE_ERRORS,
    returns=am.HallSettings,
)  # fmt: skip
def admin_create_hall() -> Any:
    return jsonify(admin.create_hall(deps(), actor(), body())), 201


@documented(
    api,
    "GET",
    f"/admin/halls/{HALL}",
    "A hall's settings",
    auth=MANAGER,
    errors=(403, 404),
    returns=am.HallSettings,
)
def admin_hall(hall: int) -> Any:
    return jsonify(admin.hall_detail(deps(), actor(), hall))


@documented(
    api, "PATCH", f"/admin/halls/{HALL}", "Change a hall's name, level, parent or time zone",
    body=am.model_of("HallChange", admin.HALL_FIELDS, partial=True), auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.HallSettings,
)  # fmt: skip
def admin_update_hall(hall: int) -> Any:
    return jsonify(admin.update_hall(deps(), actor(), hall, body()))


@documented(
    api, "PUT", f"/admin/halls/{HALL}/service-day", "When the service day (and numbering) starts",
    body=am.model_of("ServiceDayForm", admin.SERVICE_DAY_FIELDS), auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.HallSettings,
)  # fmt: skip
def admin_service_day(hall: int) -> Any:
    return jsonify(admin.set_service_day_start(deps(), actor(), hall, body()))


@documented(
    api, "PUT", f"/admin/halls/{HALL}/notice", "The lobby notice (政务公开) of displays and kiosks",
    body=am.model_of("NoticeForm", admin.NOTICE_FIELDS), auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.HallSettings,
)  # fmt: skip
def admin_notice(hall: int) -> Any:
    return jsonify(admin.set_notice(deps(), actor(), hall, body()))


@documented(
    api, "PUT", f"/admin/halls/{HALL}/flexible-rule",
    "When managers are told to open a flexible window (waiting over N or wait over M minutes)",
    body=am.model_of("FlexibleForm", admin.FLEXIBLE_FIELDS), auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.FlexibleRule,
)  # fmt: skip
def admin_flexible_rule(hall: int) -> Any:
    return jsonify(admin.set_flexible_rule(deps(), actor(), hall, body()))


@documented(
    api, "PUT", f"/admin/halls/{HALL}/queue-rules",
    "The hall's queue rules (排队规则): no-shows, returning citizens, priority calls in a row, "
    "appointments' lead, calling out of order, comprehensive windows first taking queues no "
    "other window serves",
    body=am.model_of("QueueRuleForm", admin.QUEUE_RULE_FIELDS), auth=MANAGER, errors=CHANGE_ERRORS,
    returns=m.QueueRules,
)  # fmt: skip
def admin_queue_rules(hall: int) -> Any:
    return jsonify(admin.set_queue_rules(deps(), actor(), hall, body()))


@documented(
    api, "PUT", f"/admin/halls/{HALL}/retention",
    "How many days the hall keeps citizens' names, phones and ID numbers before erasing them "
    "(the figures stay)",
    body=am.RetentionChange,
    auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.Retention,
)  # fmt: skip
def admin_retention(hall: int) -> Any:
    from ..services import retention

    return jsonify(retention.set_retention_days(deps(), actor(), hall, body()))


# -- categories --------------------------------------------------------------------------------


@documented(api, "GET", f"/admin/halls/{HALL}/categories", "A hall's categories with every setting",
            auth=MANAGER, errors=(403, 404), returns=am.AdminCategoryList)  # fmt: skip
def admin_categories(hall: int) -> Any:
    return jsonify({"categories": admin.list_categories(deps(), actor(), hall)})


@documented(
    api, "POST", f"/admin/halls/{HALL}/categories", "Add a category (prefix, names, cap, target wait)",
    body=am.model_of("CategoryForm", admin.CATEGORY_FIELDS), auth=MANAGER, status=201, errors=CHANGE_ERRORS,
    returns=am.AdminCategory,
)  # fmt: skip
def admin_create_category(hall: int) -> Any:
    return jsonify(admin.save_category(deps(), actor(), hall, None, body())), 201


@documented(api, "GET", "/admin/categories/<int:category>", "One category", auth=MANAGER,
            errors=(403, 404), returns=am.AdminCategory)  # fmt: skip
def admin_category(category: int) -> Any:
    return jsonify(admin.get_category(deps(), actor(), category))


@documented(
    api, "PATCH", "/admin/categories/<int:category>", "Change a category",
    body=am.model_of("CategoryChange", admin.CATEGORY_FIELDS, partial=True), auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.AdminCategory,
)  # fmt: skip
def admin_update_category(category: int) -> Any:
    return jsonify(admin.save_category(deps(), actor(), None, category, body()))


# -- windows -----------------------------------------------------------------------------------


@documented(api, "GET", f"/admin/halls/{HALL}/windows", "A hall's windows with their configuration",
            auth=MANAGER, errors=(403, 404), returns=am.AdminWindowList)  # fmt: skip
def admin_windows(hall: int) -> Any:
    return jsonify({"windows": admin.list_windows(deps(), actor(), hall)})


@documented(
    api, "POST", f"/admin/halls/{HALL}/windows",
    "Add a window: type, categories in order, A and B posts, bound screens, boards and keypads",
    body=am.model_of("WindowForm", admin.WINDOW_FIELDS), auth=MANAGER, status=201, errors=CHANGE_ERRORS,
    returns=am.AdminWindow,
)  # fmt: skip
def admin_create_window(hall: int) -> Any:
    return jsonify(admin.save_window(deps(), actor(), hall, None, body())), 201


@documented(api, "GET", "/admin/windows/<int:window>", "One window's configuration", auth=MANAGER,
            errors=(403, 404), returns=am.AdminWindow)  # fmt: skip
def admin_window(window: int) -> Any:
    return jsonify(admin.get_window(deps(), actor(), window))


@documented(
    api, "PATCH", "/admin/windows/<int:window>",
    "Change a window; kiosks, displays and LED boards follow at once",
    body=am.model_of("WindowChange", admin.WINDOW_FIELDS, partial=True), auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.AdminWindow,
)  # fmt: skip
def admin_update_window(window: int) -> Any:
    return jsonify(admin.save_window(deps(), actor(), None, window, body()))


@documented(api, "DELETE", "/admin/windows/<int:window>",
            "Remove a closed window that never served anyone", auth=MANAGER,
            errors=CHANGE_ERRORS, returns=m.Done)  # fmt: skip
def admin_delete_window(window: int) -> Any:
    admin.delete_window(deps(), actor(), window)
    return jsonify({"ok": True})


# -- service items -----------------------------------------------------------------------------


@documented(api, "GET", f"/admin/halls/{HALL}/service-items", "A hall's catalogue of service items",
            auth=MANAGER, errors=(403, 404), returns=am.AdminItemList)  # fmt: skip
def admin_items(hall: int) -> Any:
    return jsonify({"items": admin.list_items(deps(), actor(), hall)})


@documented(
    api, "POST", f"/admin/halls/{HALL}/service-items",
    "Add a service item (unified code, basis, time limit, conditions, steps, materials, fee)",
    body=am.model_of("ItemForm", admin.ITEM_FIELDS), auth=MANAGER, status=201, errors=CHANGE_ERRORS,
    returns=am.AdminItem,
)  # fmt: skip
def admin_create_item(hall: int) -> Any:
    return jsonify(admin.save_item(deps(), actor(), hall, None, body())), 201


@documented(api, "GET", "/admin/service-items/<int:item>", "One service item", auth=MANAGER,
            errors=(403, 404), returns=am.AdminItem)  # fmt: skip
def admin_item(item: int) -> Any:
    return jsonify(admin.get_item(deps(), actor(), item))


@documented(
    api, "PATCH", "/admin/service-items/<int:item>", "Change a service item",
    body=am.model_of("ItemChange", admin.ITEM_FIELDS, partial=True), auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.AdminItem,
)  # fmt: skip
def admin_update_item(item: int) -> Any:
    return jsonify(admin.save_item(deps(), actor(), None, item, body()))


@documented(
    api, "GET", f"/admin/halls/{HALL}/service-items/export",
    "Export the catalogue: JSON {items: [...]}, or CSV with ?format=csv", auth=MANAGER,
    errors=(403, 404), query=(FORMAT,), media=(CSV,),
    returns=am.ItemExport,
)  # fmt: skip
def admin_export_items(hall: int) -> Any:
    rows = admin.export_items(deps(), actor(), hall)
    if _csv_asked():
        return _csv(admin.items_csv(rows), f"items-hall{hall}.csv")
    return jsonify({"items": rows})


@documented(
    api, "POST", f"/admin/halls/{HALL}/service-items/import",
    "Import items by code, all or nothing: {items: [...]} as exported, or {csv: text}",
    body=am.ItemsImport, auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.ImportResult,
)  # fmt: skip
def admin_import_items(hall: int) -> Any:
    data = body()
    if "csv" in data:
        rows = admin.parse_items_csv(data["csv"])
    elif "items" in data:
        rows = data["items"]
    else:
        raise InvalidInput("请提供 items 或 csv", "Give items or csv")
    return jsonify(admin.import_items(deps(), actor(), hall, rows))


# -- staff -------------------------------------------------------------------------------------


@documented(api, "GET", f"/admin/halls/{HALL}/clerks", "A hall's staff", auth=MANAGER,
            errors=(403, 404), returns=am.AdminClerkList)  # fmt: skip
def admin_clerks(hall: int) -> Any:
    return jsonify({"clerks": admin.list_clerks(deps(), actor(), hall)})


CLERK_CREATE = am.model_of("ClerkForm", admin.CLERK_FIELDS, optional=["hall_id"])


@documented(
    api, "POST", f"/admin/halls/{HALL}/clerks",
    "Add a member of staff; the first password is returned once", body=CLERK_CREATE,
    auth=MANAGER, status=201, errors=CHANGE_ERRORS,
    returns=am.AdminClerk,
)  # fmt: skip
def admin_create_clerk(hall: int) -> Any:
    data = {"hall_id": hall, **body()}
    return jsonify(admin.save_clerk(deps(), actor(), None, data)), 201


@documented(api, "GET", "/admin/clerks/<int:clerk>", "One member of staff", auth=MANAGER,
            errors=(403, 404), returns=am.AdminClerk)  # fmt: skip
def admin_clerk(clerk: int) -> Any:
    return jsonify(admin.get_clerk(deps(), actor(), clerk))


@documented(
    api, "PATCH", "/admin/clerks/<int:clerk>", "Change a member of staff (role, hall, photo…)",
    body=am.model_of(
        "ClerkChange", [s for s in admin.CLERK_FIELDS if s.key != "password"], partial=True
    ),
    auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.AdminClerk,
)  # fmt: skip
def admin_update_clerk(clerk: int) -> Any:
    return jsonify(admin.save_clerk(deps(), actor(), clerk, body()))


@documented(
    api, "POST", "/admin/clerks/<int:clerk>/reset-password",
    "A new random password, returned once; the person's sign-ins end", body=EMPTY,
    auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.NewPassword,
)  # fmt: skip
def admin_reset_password(clerk: int) -> Any:
    return jsonify({"password": admin.reset_password(deps(), actor(), clerk)})


# -- devices -----------------------------------------------------------------------------------


@documented(api, "GET", f"/admin/halls/{HALL}/devices", "A hall's devices with last seen and health",
            auth=MANAGER, errors=(403, 404), returns=am.DeviceList)  # fmt: skip
def admin_devices(hall: int) -> Any:
    return jsonify({"devices": admin.list_devices(deps(), actor(), hall)})


@documented(
    api, "POST", f"/admin/halls/{HALL}/devices", "Add a device; its token is returned once",
    body=am.model_of("DeviceForm", admin.DEVICE_FIELDS), auth=MANAGER, status=201, errors=CHANGE_ERRORS,
    returns=am.Device,
)  # fmt: skip
def admin_create_device(hall: int) -> Any:
    return jsonify(admin.save_device(deps(), actor(), hall, None, body())), 201


@documented(
    api,
    "GET",
    "/admin/devices/<int:device>",
    "One device",
    auth=MANAGER,
    errors=(403, 404),
    returns=am.Device,
)
def admin_device(device: int) -> Any:
    return jsonify(admin.get_device(deps(), actor(), device))


@documented(
    api, "PATCH", "/admin/devices/<int:device>", "Change a device's name, window or link",
    body=am.model_of("DeviceChange", admin.DEVICE_FIELDS, partial=True), auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.Device,
)  # fmt: skip
def admin_update_device(device: int) -> Any:
    return jsonify(admin.save_device(deps(), actor(), None, device, body()))


@documented(api, "DELETE", "/admin/devices/<int:device>", "Remove a device (its token stops working)",
            auth=MANAGER, errors=CHANGE_ERRORS, returns=m.Done)  # fmt: skip
def admin_delete_device(device: int) -> Any:
    admin.delete_device(deps(), actor(), device)
    return jsonify({"ok": True})


@documented(
    api, "POST", "/admin/devices/<int:device>/rotate-token",
    "A new device token, returned once; the old one stops working", body=EMPTY,
    auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.DeviceToken,
)  # fmt: skip
def admin_rotate_token(device: int) -> Any:
    return jsonify({"token": admin.rotate_device_token(deps(), actor(), device)})


# -- monitor, reports, performance -------------------------------------------------------------


@documented(
    api, "GET", f"/admin/halls/{HALL}/monitor",
    "The live monitor's snapshot (then follow the hall's /live room)", auth=MANAGER,
    errors=(403, 404),
    returns=am.Monitor,
)  # fmt: skip
def admin_monitor(hall: int) -> Any:
    return jsonify(admin.monitor_snapshot(deps(), actor(), hall))


@documented(
    api, "GET", f"/admin/halls/{HALL}/reports",
    "Report of a hall and the halls below: ?period=day|week|month|range&date=&start=&end="
    "&by=hall|category|item|window|clerk|day|hour&format=csv", auth=MANAGER, errors=(403, 404, 422),
    query=(
        *PERIOD,
        Param(
            "by", {"type": "string", "enum": list(rp.DIMENSIONS), "default": "hall"},
            "分组维度：大厅、类别、事项、窗口、人员、日期或时段",
            "Group by hall, category, item, window, clerk, day or hour",
        ),
        FORMAT,
    ),
    media=(CSV,),
    returns=am.Report,
)  # fmt: skip
def admin_report(hall: int) -> Any:
    period = _period(hall)
    result = reports.build_report(deps(), actor(), hall, period, query()["by"])
    if _csv_asked():
        return _csv(reports.report_csv(result), f"report-hall{hall}.csv")
    return jsonify(result.as_dict())


@documented(
    api, "GET", f"/admin/halls/{HALL}/performance",
    "效能考评 sheet of the staff: ?period=…&clerk=<id>&format=csv", auth=MANAGER,
    errors=(403, 404, 422),
    query=(*PERIOD, Param("clerk", ID, "只看这位工作人员", "Only this clerk (id)"), FORMAT),
    media=(CSV,),
    returns=am.PerformanceSheet,
)  # fmt: skip
def admin_performance(hall: int) -> Any:
    period = _period(hall)
    sheet = reports.performance_sheet(deps(), actor(), hall, period, query()["clerk"])
    if _csv_asked():
        return _csv(reports.performance_csv(sheet), f"performance-hall{hall}.csv")
    return jsonify(sheet.as_dict())


# -- follow-ups and complaints -----------------------------------------------------------------


def _state(finished: str, zh: str, en: str) -> Param:
    """?state= of a list of cases: open (the default), overdue, finished, or all."""
    return Param(
        "state",
        {"type": "string", "enum": ["open", "overdue", finished, "all"], "default": "open"},
        f"未办结（默认）、已超期、{zh}或全部",
        f"open (default), overdue, {en} or all",
    )


@documented(api, "GET", f"/admin/halls/{HALL}/follow-ups",
            "差评 follow-ups of a hall and below: ?state=open|overdue|closed|all", auth=MANAGER,
            errors=(403, 404), query=(_state("closed", "已办结", "closed"),), returns=am.FollowUpList)  # fmt: skip
def admin_follow_ups(hall: int) -> Any:
    state = query()["state"]
    return jsonify({"follow_ups": complaints.list_follow_ups(deps(), actor(), hall, state)})


@documented(api, "GET", "/admin/follow-ups/<int:follow_up>", "One follow-up with its steps",
            auth=MANAGER, errors=(403, 404), returns=am.FollowUp)  # fmt: skip
def admin_follow_up(follow_up: int) -> Any:
    return jsonify(complaints.get_follow_up(deps(), actor(), follow_up))


@documented(
    api, "POST", "/admin/follow-ups/<int:follow_up>/steps",
    "Complete the current stage (verify, rectify, call back) with a note; the last one closes",
    body=am.model_of("StepForm", complaints.STEP_FIELDS), auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.FollowUp,
)  # fmt: skip
def admin_follow_up_step(follow_up: int) -> Any:
    return jsonify(complaints.advance_follow_up(deps(), actor(), follow_up, body()))


@documented(api, "GET", f"/admin/halls/{HALL}/complaints",
            "Complaints of a hall and below: ?state=open|overdue|resolved|all", auth=MANAGER,
            errors=(403, 404), query=(_state("resolved", "已处理", "resolved"),), returns=am.ComplaintList)  # fmt: skip
def admin_complaints(hall: int) -> Any:
    state = query()["state"]
    return jsonify({"complaints": complaints.list_complaints(deps(), actor(), hall, state)})


@documented(
    api, "POST", f"/admin/halls/{HALL}/complaints",
    "Register a complaint against a ticket (number and day), window or clerk",
    body=am.model_of("ComplaintForm", complaints.COMPLAINT_FIELDS), auth=MANAGER, status=201,
    errors=CHANGE_ERRORS,
    returns=am.Complaint,
)  # fmt: skip
def admin_register_complaint(hall: int) -> Any:
    return jsonify(complaints.register_complaint(deps(), actor(), hall, body())), 201


@documented(api, "GET", "/admin/complaints/<int:complaint>", "One complaint", auth=MANAGER,
            errors=(403, 404), returns=am.Complaint)  # fmt: skip
def admin_complaint(complaint: int) -> Any:
    return jsonify(complaints.get_complaint(deps(), actor(), complaint))


@documented(
    api, "POST", "/admin/complaints/<int:complaint>/assign", "Assign a complaint with a deadline",
    body=am.model_of("AssignForm", complaints.ASSIGN_FIELDS), auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.Complaint,
)  # fmt: skip
def admin_assign_complaint(complaint: int) -> Any:
    return jsonify(complaints.assign_complaint(deps(), actor(), complaint, body()))


@documented(
    api, "POST", "/admin/complaints/<int:complaint>/resolve",
    "Resolve a complaint: what was done, and whether it was upheld",
    body=am.model_of("ResolveForm", complaints.RESOLVE_FIELDS), auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.Complaint,
)  # fmt: skip
def admin_resolve_complaint(complaint: int) -> Any:
    return jsonify(complaints.resolve_complaint(deps(), actor(), complaint, body()))


# -- audit -------------------------------------------------------------------------------------


@documented(
    api, "GET", "/admin/audit", "The audit log: ?hall=&action=&day=&page=", auth=MANAGER,
    errors=(403, 404, 422),
    query=(
        Param("hall", ID, "只看这个大厅的记录", "Only this hall's entries (id)"),
        Param(
            "action", {"type": "string", "maxLength": 40, "default": ""},
            "操作名称的开头，如 window", "Start of the action's name, e.g. window",
        ),
        Param("day", DATE, "只看这一天", "Only this day"),
        Param(
            "page", {"type": "integer", "minimum": 1, "maximum": 10_000, "default": 1},
            "页码（每页 50 条）", "Page number (50 to a page)",
        ),
    ),
    returns=am.AuditPage,
)  # fmt: skip
def admin_audit() -> Any:
    asked = query()
    return jsonify(
        admin.audit_entries(
            deps(), actor(), asked["hall"], asked["action"], asked["page"], asked["day"]
        )
    )


# -- the holiday schedule (节假日安排) of years the chinesecalendar package lacks ----------------

YEAR = "<int:year>"


@documented(api, "GET", "/admin/calendar",
            "Holiday schedules: the years the chinesecalendar package covers, the years an admin "
            "entered, whether this year and the next are known, the standard holiday names",
            auth=MANAGER, returns=am.CalendarOverview)  # fmt: skip
def admin_calendar() -> Any:
    return jsonify(admin.calendar_overview(deps(), actor()))


@documented(api, "GET", f"/admin/calendar/{YEAR}",
            "One year's public holidays and swapped working days (调休上班), and their source: "
            "package, entered or missing", auth=MANAGER, errors=(422,), returns=am.CalendarYear)  # fmt: skip
def admin_calendar_year(year: int) -> Any:
    return jsonify(admin.calendar_year(deps(), actor(), year))


@documented(
    api, "PUT", f"/admin/calendar/{YEAR}",
    "Enter or replace the holiday schedule of a year the package does not cover (admins only)",
    body=am.CalendarYearEntry, auth=MANAGER, errors=CHANGE_ERRORS,
    returns=am.CalendarYear,
)  # fmt: skip
def admin_save_calendar_year(year: int) -> Any:
    from ..web.booking.api import notifier

    return jsonify(admin.save_year(deps(), actor(), year, body(), notifier()))


@documented(api, "DELETE", f"/admin/calendar/{YEAR}",
            "Delete an entered year: its days are unknown again (admins only)", auth=MANAGER,
            errors=(403, 404, 422), returns=am.CalendarDeleted)  # fmt: skip
def admin_delete_calendar_year(year: int) -> Any:
    return jsonify(admin.delete_year(deps(), actor(), year))
