"""The console's pages: thin handlers that read a form, run a use case and show the result."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import select

from ..domain import reports as rp
from ..domain.errors import InvalidInput, QueueError
from ..domain.model import WINDOW_TYPE_NAMES
from ..http import (
    STATUS,
    check_csrf,
    csrf_token,
    current_actor,
    deps,
    end_session,
    session_actor,
    start_session,
)
from ..services import access, admin, auth, complaints, ratelimit, reports
from ..services.admin import FieldErrors
from ..services.context import Actor
from ..store import tables
from . import charts, forms, weekly_hours
from .blueprint import bp
from .forms import Form, Option

# The sections of a hall, in the order of the navigation.
SECTIONS = (
    ("admin.monitor", "实时监控", "Live monitor"),
    ("admin.report", "统计报表", "Reports"),
    ("admin.performance", "效能考评", "Performance"),
    ("admin.follow_ups", "差评整改", "Bad-review follow-ups"),
    ("admin.complaints_list", "投诉处理", "Complaints"),
    ("admin.windows", "窗口", "Windows"),
    ("admin.categories", "业务类别", "Categories"),
    ("admin.items", "事项清单", "Service items"),
    ("admin.staff", "工作人员", "Staff"),
    ("admin.devices", "设备", "Devices"),
    ("admin.hours", "营业时间与节假日", "Hours & holidays"),
    ("admin.notice", "大厅公告", "Lobby notice"),
    ("admin.hall", "大厅设置", "Hall settings"),
)


def me() -> Actor:
    """The signed-in manager or admin (the blueprint checked who it is)."""
    return current_actor()


def page(template: str, *, hall_id: int | None = None, status: int = 200, **context: Any) -> Any:
    """Render a console page with the navigation of the current hall."""
    actor = me()
    tree = admin.hall_tree(deps(), actor)
    hall = next((h for h in tree if h["id"] == hall_id), None)
    return (
        render_template(
            template,
            me=actor,
            halls=tree,
            hall=hall,
            sections=SECTIONS,
            csrf=csrf_token(),
            calendar_warning=admin.calendar_warning(deps()),
            **context,
        ),
        status,
    )


def done(zh: str, en: str, target: str) -> Any:
    """After a change: say so on the next page (post/redirect/get)."""
    flash(f"{zh}|{en}")
    return redirect(target)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin"):
        return None
    return target


# =============================================================================================
# Sign-in


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """管理员登录: staff number and password; attempts are rate-limited."""
    error: tuple[str, str] | None = None
    status = 200
    target = _safe_next(request.values.get("next"))
    if request.args.get("expired"):
        error = ("登录已过期，请重新登录", "Your session expired; please sign in again")
    if request.method == "POST":
        check_csrf()
        try:
            result = ratelimit.guarded_login(
                deps(),
                request.form.get("staff_no", ""),
                request.form.get("password", ""),
                request.remote_addr,
            )
        except auth.PasswordChangeRequired as reset:
            return _password_page(
                request.form.get("staff_no", ""), (reset.message, reset.message_en)
            )
        except QueueError as refused:
            error, status = (refused.message, refused.message_en), STATUS.get(refused.code, 400)
        else:
            if result["clerk"]["role"] not in ("manager", "admin"):
                auth.logout(deps(), result["token"])
                error, status = (
                    (
                        "管理后台仅限中心管理员和系统管理员使用",
                        "The console is for managers and admins",
                    ),
                    403,
                )
            else:
                start_session(result)
                return redirect(target or url_for("admin.overview"))
    return (
        render_template("admin/login.html", error=error, csrf=csrf_token(), next=target or ""),
        status,
    )


def _password_page(
    staff_no: str,
    notice: tuple[str, str] | None = None,
    *,
    error: tuple[str, str] | None = None,
    status: int = 200,
) -> Any:
    signed_in = session_actor()
    return (
        render_template(
            "admin/password.html",
            me=signed_in,
            staff_no=staff_no,
            notice=notice,
            error=error,
            min_length=auth.MIN_PASSWORD,
            csrf=csrf_token(),
        ),
        status,
    )


@bp.route("/password", methods=["GET", "POST"])
def password() -> Any:
    """修改密码: one's own password; also the first step after an admin's reset (not signed in,
    the staff number and the password the admin gave prove who it is)."""
    signed_in = session_actor()
    staff_no = request.values.get("staff_no", "")[:32]
    if signed_in is not None:
        staff_no = auth.staff_number(deps(), signed_in.id)
    if request.method == "GET":
        return _password_page(staff_no)
    check_csrf()
    if request.form.get("new_password") != request.form.get("repeat_password"):
        mismatch = ("两次输入的新密码不一致", "The two new passwords differ")
        return _password_page(staff_no, error=mismatch, status=422)
    try:
        result = ratelimit.guarded_change_password(
            deps(),
            staff_no,
            request.form.get("password", ""),
            request.form.get("new_password", ""),
            request.remote_addr,
        )
    except QueueError as refused:
        problem = (refused.message, refused.message_en)
        return _password_page(staff_no, error=problem, status=STATUS.get(refused.code, 400))
    start_session(result)
    if result["clerk"]["role"] in ("manager", "admin"):
        return done("密码已修改", "Password changed", url_for("admin.overview"))
    return _password_page(
        staff_no, ("密码已修改，请回到柜台登录", "Password changed; sign in at your counter")
    )


@bp.post("/logout")
def logout() -> Any:
    """Sign out of the console (the cookie's sign-in ends on every process)."""
    end_session()
    return redirect(url_for("admin.login"))


# =============================================================================================
# Overview and halls


@bp.get("/")
def overview() -> Any:
    """Every hall in reach with today's figures."""
    return page("admin/overview.html", overview=admin.overview(deps(), me()))


@bp.get("/switch")
def switch() -> Any:
    """The hall switcher: the same section of another hall."""
    hall = request.args.get("hall", "")
    section = request.args.get("section", "admin.monitor")
    if not hall.isdigit() or section not in {s[0] for s in SECTIONS}:
        return redirect(url_for("admin.overview"))
    return redirect(url_for(section, hall=int(hall)))


def _hall_form(values: dict[str, Any] | None = None, *, parents: list[dict[str, Any]]) -> Form:
    return Form(
        admin.HALL_FIELDS,
        values=values or {"kind": "village", "timezone": "Asia/Shanghai"},
        options={
            "parent_id": [Option(h["id"], "　" * h["depth"] + h["name"]) for h in parents],
        },
    )


@bp.route("/halls/<int:hall>", methods=["GET", "POST"])
def hall(hall: int) -> Any:
    """大厅设置: name, level, parent, time zone, the service day's start, flexible windows and
    the queue rules."""
    actor = me()
    detail = admin.hall_detail(deps(), actor, hall)
    tree = admin.hall_tree(deps(), actor)
    form = _hall_form(forms.values_of(detail, admin.HALL_FIELDS), parents=tree)
    day_form = Form(
        admin.SERVICE_DAY_FIELDS, values={"day_starts_at_minute": detail["day_starts_at_minute"]}
    )
    flexible_form = Form(admin.FLEXIBLE_FIELDS, values=dict(detail["flexible"]))
    queue_form = Form(admin.QUEUE_RULE_FIELDS, values=dict(detail["queue"]))
    status = 200
    if request.method == "POST":
        savers: dict[str, tuple[Form, Callable[..., Any]]] = {
            "hall": (form, admin.update_hall),
            "day": (day_form, admin.set_service_day_start),
            "flexible": (flexible_form, admin.set_flexible_rule),
            "queue": (queue_form, admin.set_queue_rules),
        }
        target = savers.get(request.form.get("form", "hall"))
        if target is None:
            abort(400)
        shown, save = target
        try:
            data = forms.parse(shown.specs, request.form)
            shown.values.update(data)
            save(deps(), actor, hall, data)
        except FieldErrors as problem:
            keys = {spec.key for spec in shown.specs}
            shown.values.update({k: v for k, v in request.form.items() if k in keys})
            shown.fail(problem)
            status = 422
        else:
            return done("已保存", "Saved", url_for("admin.hall", hall=hall))
    children = [h for h in tree if h["parent_id"] == hall]
    return page(
        "admin/hall.html",
        hall_id=hall,
        status=status,
        form=form,
        day_form=day_form,
        flexible_form=flexible_form,
        queue_form=queue_form,
        detail=detail,
        children=children,
    )


@bp.route("/halls/new", methods=["GET", "POST"])
def hall_new() -> Any:
    """新增下级大厅 (a village station under a town, …)."""
    actor = me()
    tree = admin.hall_tree(deps(), actor)
    parent = request.values.get("parent_id", "")
    if parent.isdigit():
        admin.hall_detail(deps(), actor, int(parent))  # only under a hall the actor manages
    form = _hall_form(
        {
            "kind": "village",
            "timezone": "Asia/Shanghai",
            "parent_id": int(parent) if parent.isdigit() else None,
        },
        parents=tree,
    )
    return _form_view(
        form,
        lambda data: admin.create_hall(deps(), actor, data),
        lambda created: done(
            "大厅已创建", "Hall created", url_for("admin.hall", hall=created["id"])
        ),
        title=("新增大厅", "New hall"),
        hall_id=lambda: form.values.get("parent_id"),
        keep_typed=False,
    )


@bp.route("/halls/<int:hall>/notice", methods=["GET", "POST"])
def notice(hall: int) -> Any:
    """大厅公告: the lobby notice (政务公开) of the lobby display and kiosk."""
    actor = me()
    detail = admin.hall_detail(deps(), actor, hall)
    return _form_view(
        Form(admin.NOTICE_FIELDS, values={"notice": detail["notice"]}),
        lambda data: admin.set_notice(deps(), actor, hall, data),
        lambda _: done("公告已发布", "Notice published", url_for("admin.notice", hall=hall)),
        title=("大厅公告", "Lobby notice"),
        hall_id=hall,
        keep_typed=False,
    )


HOURS_OVERRIDE_FIELDS = (
    admin.FieldSpec("day", "日期", "Date", "date", required=True),
    admin.FieldSpec("closed", "全天休息", "Closed all day", "bool"),
    admin.FieldSpec(
        "sessions",
        "当天时段",
        "That day's sessions",
        max_len=120,
        help_zh="不休息时填写，如 09:00-12:00 13:30-17:00",
        help_en="When open: e.g. 09:00-12:00 13:30-17:00",
    ),
    admin.FieldSpec("reason", "原因", "Reason", max_len=40),
)


def _sessions_of(text: str) -> list[dict[str, str]]:
    sessions = []
    for part in text.replace("，", " ").replace(",", " ").split():
        start, _, end = part.replace("–", "-").replace("～", "-").partition("-")
        if not end:
            raise FieldErrors(
                {"sessions": ("时段须写成 09:00-12:00", "Write sessions like 09:00-12:00")}
            )
        sessions.append({"start": start, "end": end})
    return sessions


@bp.route("/halls/<int:hall>/hours", methods=["GET", "POST"])
def hours(hall: int) -> Any:
    """营业时间与节假日: the coming days as the calendar and the hall's hours read them, a date's
    override, and the weekly hours — saved through the appointments module's use cases."""
    from ..services import schedule

    actor = me()
    with deps().db.reading() as s:
        found = access.require_hall(s, actor, hall, "hall.hours")
        stored = dict(found.hours or {})
    override = Form(HOURS_OVERRIDE_FIELDS, values={"closed": True})
    weekly = Form(weekly_hours.specs(), values=weekly_hours.form_values(stored))
    status = 200
    if request.method == "POST":
        which = request.form.get("form", "")
        shown = override if which == "override" else weekly
        try:
            if which == "override":
                data = forms.parse(HOURS_OVERRIDE_FIELDS, request.form)
                override.values.update(data)
                day = data.get("day")
                if not day:
                    raise FieldErrors({"day": ("请填写日期", "Date is required")})
                body: dict[str, Any] = {"reason": data.get("reason", "")}
                if data.get("closed"):
                    body["closed"] = True
                else:
                    body["sessions"] = _sessions_of(data.get("sessions", ""))
                schedule.set_override(deps(), actor, hall, day, body)
            elif which == "remove":
                schedule.remove_override(deps(), actor, hall, request.form.get("day", ""))
            elif which == "weekly":
                weekly.values.update({k: request.form.get(k, "") for k in weekly.values})
                schedule.set_hours(deps(), actor, hall, weekly_hours.hours_from_form(request.form))
            else:
                abort(400)
        except FieldErrors as problem:
            shown.fail(problem)
            status = 422
        except InvalidInput as problem:
            shown.message = (problem.message, problem.message_en)
            status = 422
        else:
            return done("营业时间已保存", "Hours saved", url_for("admin.hours", hall=hall))
    view = schedule.hours_view(deps(), hall)
    overrides = (view.get("hours") or {}).get("overrides") or []
    return page(
        "admin/hours.html",
        hall_id=hall,
        status=status,
        view=view,
        overrides=overrides,
        override=override,
        weekly=weekly,
        weekly_sections=weekly_hours.SECTIONS,
        weekdays=weekly_hours.WEEKDAYS,
    )


# =============================================================================================
# Categories


def _category_form(values: dict[str, Any] | None = None) -> Form:
    return Form(
        admin.CATEGORY_FIELDS,
        values=values
        or {
            "daily_cap": 999,
            "target_wait_minutes": 20,
            "default_service_minutes": 6,
            "sort_order": 0,
            "active": True,
        },
    )


@bp.get("/halls/<int:hall>/categories")
def categories(hall: int) -> Any:
    """业务类别: prefixes, names, daily caps, target waits; and the service day's start."""
    actor = me()
    detail = admin.hall_detail(deps(), actor, hall)
    return page(
        "admin/categories.html",
        hall_id=hall,
        rows=admin.list_categories(deps(), actor, hall),
        day_start=forms.minute_text(detail["day_starts_at_minute"]),
    )


def _form_view(
    form: Form,
    save: Callable[[dict[str, Any]], Any],
    then: Callable[[Any], Any],
    *,
    hall_id: int | None | Callable[[], int | None],
    title: tuple[str, str] | None = None,
    template: str = "admin/form.html",
    keep_typed: bool = True,
    skip: tuple[str, ...] = (),
    extra: Callable[[], dict[str, Any]] | None = None,
    **context: Any,
) -> Any:
    """A form page: the form on GET; on POST, run the use case with the form's values and answer
    `then(result)`, or show the form again with its errors (422).

    `keep_typed` also shows, in fields that could not be read, what was typed into them.
    """
    status = 200
    if request.method == "POST":
        try:
            data = forms.parse(form.specs, request.form, skip=skip)
            if extra is not None:
                data.update(extra())
            form.values.update(data)
            result = save(data)
        except FieldErrors as problem:
            if keep_typed:
                for key in request.form:
                    if key not in form.values or form.values[key] is None:
                        form.values[key] = request.form.get(key)
            form.fail(problem)
            status = 422
        else:
            return then(result)
    if title is not None:
        context["title"] = title
    shown_hall = hall_id() if callable(hall_id) else hall_id
    return page(template, form=form, hall_id=shown_hall, status=status, **context)


def _removed(
    object_id: int,
    get: Callable[[Any, Actor, int], dict[str, Any]],
    remove: Callable[[Any, Actor, int], None],
    zh: str,
    en: str,
    section: str,
) -> Any:
    """Remove a window or device, then go back to the hall's list of them."""
    actor = me()
    found = get(deps(), actor, object_id)
    remove(deps(), actor, object_id)
    return done(zh, en, url_for(section, hall=found["hall_id"]))


@bp.route("/halls/<int:hall>/categories/new", methods=["GET", "POST"])
def category_new(hall: int) -> Any:
    """新增业务类别."""
    actor = me()
    admin.hall_detail(deps(), actor, hall)
    return _form_view(
        _category_form(),
        lambda data: admin.save_category(deps(), actor, hall, None, data),
        lambda _: done("业务类别已添加", "Category added", url_for("admin.categories", hall=hall)),
        title=("新增业务类别", "New category"),
        hall_id=hall,
    )


@bp.route("/categories/<int:category>", methods=["GET", "POST"])
def category_edit(category: int) -> Any:
    """修改业务类别."""
    actor = me()
    found = admin.get_category(deps(), actor, category)
    hall = found["hall_id"]
    return _form_view(
        _category_form(forms.values_of(found, admin.CATEGORY_FIELDS)),
        lambda data: admin.save_category(deps(), actor, None, category, data),
        lambda _: done("业务类别已保存", "Category saved", url_for("admin.categories", hall=hall)),
        title=(f"业务类别 {found['prefix']}", f"Category {found['prefix']}"),
        hall_id=hall,
    )


# =============================================================================================
# Windows


def _window_form(
    hall: int, values: dict[str, Any] | None = None
) -> tuple[Form, list[dict[str, Any]]]:
    actor = me()
    cats = admin.list_categories(deps(), actor, hall)
    staff = [c for c in admin.list_clerks(deps(), actor, hall) if c["active"]]
    devices = [
        d for d in admin.list_devices(deps(), actor, hall) if d["kind"] in admin.WINDOW_DEVICE_KINDS
    ]
    people = [Option(c["id"], f"{c['name']}（{c['staff_no']}）", c["role_name_en"]) for c in staff]
    form = Form(
        admin.WINDOW_FIELDS,
        values=values or {"type": "comprehensive", "category_ids": [], "device_ids": []},
        options={
            "post_a": people,
            "post_b": people,
            "device_ids": [
                Option(d["id"], f"{d['kind_name']} · {d['name']}", d["kind_name_en"])
                for d in devices
            ],
        },
    )
    return form, cats


def _window_categories(cats: list[dict[str, Any]]) -> dict[str, Any]:
    return {"category_ids": forms.ordered_ids(request.form, "order_", [c["id"] for c in cats])}


@bp.get("/halls/<int:hall>/windows")
def windows(hall: int) -> Any:
    """窗口: number, type, categories in order, A and B posts, bound devices."""
    actor = me()
    rows = admin.list_windows(deps(), actor, hall)
    cats = {c["id"]: c for c in admin.list_categories(deps(), actor, hall)}
    people = {c["id"]: c for c in admin.list_clerks(deps(), actor, hall)}
    return page("admin/windows.html", hall_id=hall, rows=rows, cats=cats, people=people)


@bp.route("/halls/<int:hall>/windows/new", methods=["GET", "POST"])
def window_new(hall: int) -> Any:
    """新增窗口."""
    actor = me()
    form, cats = _window_form(hall)
    return _form_view(
        form,
        lambda data: admin.save_window(deps(), actor, hall, None, data),
        lambda saved: done(
            "窗口已添加", "Window added", url_for("admin.window_edit", window=saved["id"])
        ),
        title=("新增窗口", "New window"),
        hall_id=hall,
        skip=("category_ids",),
        extra=lambda: _window_categories(cats),
        template="admin/window_form.html",
        cats=cats,
    )


@bp.route("/windows/<int:window>", methods=["GET", "POST"])
def window_edit(window: int) -> Any:
    """修改窗口: kiosks, window displays and LED boards follow at once."""
    actor = me()
    found = admin.get_window(deps(), actor, window)
    hall = found["hall_id"]
    form, cats = _window_form(hall, forms.values_of(found, admin.WINDOW_FIELDS))
    return _form_view(
        form,
        lambda data: admin.save_window(deps(), actor, None, window, data),
        lambda _: done(
            "窗口已保存，显示屏和取号机已同步",
            "Window saved; displays and kiosks updated",
            url_for("admin.window_edit", window=window),
        ),
        title=(f"{found['number']} 号窗口", f"Window {found['number']}"),
        hall_id=hall,
        skip=("category_ids",),
        extra=lambda: _window_categories(cats),
        template="admin/window_form.html",
        cats=cats,
        window=found,
    )


@bp.post("/windows/<int:window>/delete")
def window_delete(window: int) -> Any:
    """删除从未办理过业务的窗口."""
    return _removed(
        window,
        admin.get_window,
        admin.delete_window,
        "窗口已删除",
        "Window removed",
        "admin.windows",
    )


# =============================================================================================
# Service items


def _item_form(hall: int, values: dict[str, Any] | None = None) -> Form:
    cats = admin.list_categories(deps(), me(), hall)
    return Form(
        admin.ITEM_FIELDS,
        values=values
        or {
            "time_limit_days": 0,
            "fee": "不收费",
            "item_type": "公共服务",
            "active": True,
            "steps": [],
            "materials": [],
        },
        options={
            "category_id": [
                Option(c["id"], f"{c['prefix']} {c['name']}", c["name_en"]) for c in cats
            ]
        },
    )


@bp.get("/halls/<int:hall>/items")
def items(hall: int) -> Any:
    """事项清单: the catalogue, with CSV and JSON import and export."""
    actor = me()
    cats = {c["id"]: c for c in admin.list_categories(deps(), actor, hall)}
    return page(
        "admin/items.html", hall_id=hall, rows=admin.list_items(deps(), actor, hall), cats=cats
    )


@bp.route("/halls/<int:hall>/items/new", methods=["GET", "POST"])
def item_new(hall: int) -> Any:
    """新增事项."""
    actor = me()
    return _form_view(
        _item_form(hall),
        lambda data: admin.save_item(deps(), actor, hall, None, data),
        lambda _: done("事项已添加", "Service item added", url_for("admin.items", hall=hall)),
        title=("新增事项", "New service item"),
        hall_id=hall,
    )


@bp.route("/items/<int:item>", methods=["GET", "POST"])
def item_edit(item: int) -> Any:
    """修改事项."""
    actor = me()
    found = admin.get_item(deps(), actor, item)
    hall = found["hall_id"]
    return _form_view(
        _item_form(hall, forms.values_of(found, admin.ITEM_FIELDS)),
        lambda data: admin.save_item(deps(), actor, None, item, data),
        lambda _: done("事项已保存", "Service item saved", url_for("admin.items", hall=hall)),
        title=(f"事项 {found['code']}", f"Item {found['code']}"),
        hall_id=hall,
    )


def _download(text: str, filename: str, mimetype: str) -> Response:
    response = Response(text.encode("utf-8"), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/halls/<int:hall>/items.csv")
def items_csv(hall: int) -> Any:
    """Export the catalogue as CSV."""
    rows = admin.export_items(deps(), me(), hall)
    return _download(admin.items_csv(rows), f"items-hall{hall}.csv", "text/csv; charset=utf-8")


@bp.get("/halls/<int:hall>/items.json")
def items_json(hall: int) -> Any:
    """Export the catalogue as JSON."""
    rows = admin.export_items(deps(), me(), hall)
    return _download(
        json.dumps({"items": rows}, ensure_ascii=False, indent=2),
        f"items-hall{hall}.json",
        "application/json; charset=utf-8",
    )


@bp.post("/halls/<int:hall>/items/import")
def items_import(hall: int) -> Any:
    """Import a CSV or JSON file of items (added or updated by code, all or nothing)."""
    actor = me()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidInput("请选择要导入的文件", "Choose a file to import")
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("文件须为 UTF-8 编码", "The file must be UTF-8 text") from None
        if upload.filename.lower().endswith(".json"):
            try:
                loaded = json.loads(text)
            except ValueError:
                raise InvalidInput("JSON 格式不正确", "The file is not valid JSON") from None
            rows = loaded.get("items") if isinstance(loaded, dict) else loaded
            if not isinstance(rows, list):
                raise InvalidInput("JSON 须为事项列表", "The JSON must be a list of items")
        else:
            rows = admin.parse_items_csv(text)
        result = admin.import_items(deps(), actor, hall, rows)
    except InvalidInput as problem:
        flash(f"导入失败：{problem.message}|Import failed: {problem.message_en}", "error")
        return redirect(url_for("admin.items", hall=hall))
    return done(
        f"导入完成：新增 {result['created']} 项，更新 {result['updated']} 项",
        f"Imported: {result['created']} added, {result['updated']} updated",
        url_for("admin.items", hall=hall),
    )


# =============================================================================================
# Staff


def _clerk_form(values: dict[str, Any] | None = None, *, creating: bool) -> Form:
    actor = me()
    tree = admin.hall_tree(deps(), actor)
    return Form(
        admin.CLERK_FIELDS if creating else forms.without(admin.CLERK_FIELDS, "password"),
        values=values or {"role": "clerk", "active": True},
        options={
            "hall_id": [Option(h["id"], "　" * h["depth"] + h["name"]) for h in tree],
            "role": [Option(r.value, *admin.ROLE_NAMES[r]) for r in access.grantable_roles(actor)],
        },
    )


@bp.get("/halls/<int:hall>/staff")
def staff(hall: int) -> Any:
    """工作人员: staff of the hall with their role, department and photo."""
    return page("admin/staff.html", hall_id=hall, rows=admin.list_clerks(deps(), me(), hall))


@bp.route("/halls/<int:hall>/staff/new", methods=["GET", "POST"])
def clerk_new(hall: int) -> Any:
    """新增工作人员: the first password is shown once."""
    actor = me()
    admin.hall_detail(deps(), actor, hall)
    return _form_view(
        _clerk_form({"role": "clerk", "active": True, "hall_id": hall}, creating=True),
        lambda data: admin.save_clerk(deps(), actor, None, data),
        lambda created: page(
            "admin/secret.html",
            hall_id=hall,
            title=("工作人员已添加", "Staff added"),
            what=f"{created['name']}（{created['staff_no']}）",
            label=("初始密码", "First password"),
            secret=created["password"],
            back=url_for("admin.staff", hall=hall),
        ),
        title=("新增工作人员", "New member of staff"),
        hall_id=hall,
        keep_typed=False,
    )


@bp.route("/staff/<int:clerk>", methods=["GET", "POST"])
def clerk_edit(clerk: int) -> Any:
    """修改工作人员: role, hall, department, photo, active; reset the password."""
    actor = me()
    found = admin.get_clerk(deps(), actor, clerk)
    return _form_view(
        _clerk_form(forms.values_of(found, admin.CLERK_FIELDS), creating=False),
        lambda data: admin.save_clerk(deps(), actor, clerk, data),
        lambda _: done("已保存", "Saved", url_for("admin.clerk_edit", clerk=clerk)),
        title=(f"工作人员 {found['name']}", f"Staff {found['staff_no']}"),
        hall_id=found["hall_id"],
        template="admin/clerk_form.html",
        clerk=found,
    )


@bp.post("/staff/<int:clerk>/password")
def clerk_password(clerk: int) -> Any:
    """重置密码: a new random password, shown once; the person is signed out everywhere."""
    actor = me()
    found = admin.get_clerk(deps(), actor, clerk)
    password = admin.reset_password(deps(), actor, clerk)
    return page(
        "admin/secret.html",
        hall_id=found["hall_id"],
        title=("密码已重置", "Password reset"),
        what=f"{found['name']}（{found['staff_no']}）",
        label=("新密码", "New password"),
        secret=password,
        back=url_for("admin.clerk_edit", clerk=clerk),
    )


PHOTO_TYPES = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
MAX_PHOTO_BYTES = 200 * 1024


def photo_dir() -> Path:
    """Where photos uploaded before they were kept in the database lie (the instance folder)."""
    return Path(current_app.config.get("INSTANCE") or current_app.instance_path) / "photos"


PHOTO_CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


@bp.post("/staff/<int:clerk>/photo")
def clerk_photo(clerk: int) -> Any:
    """Upload a staff photo (PNG, JPEG or WebP up to 200 KB) for the window display."""
    from PIL import Image, UnidentifiedImageError

    actor = me()
    found = admin.get_clerk(deps(), actor, clerk)
    upload = request.files.get("photo")
    data = upload.read(MAX_PHOTO_BYTES + 1) if upload else b""
    try:
        if not data:
            raise InvalidInput("请选择照片文件", "Choose a photo file")
        if len(data) > MAX_PHOTO_BYTES:
            raise InvalidInput("照片不能超过 200 KB", "The photo must be at most 200 KB")
        try:
            with Image.open(io.BytesIO(data)) as image:
                kind = PHOTO_TYPES.get(image.format or "")
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError):
            kind = None
        if kind is None:
            raise InvalidInput(
                "照片须为 PNG、JPEG 或 WebP 图片", "The photo must be a PNG, JPEG or WebP image"
            )
    except InvalidInput as problem:
        flash(f"{problem.message}|{problem.message_en}", "error")
        return redirect(url_for("admin.clerk_edit", clerk=clerk))
    name = f"{clerk}-{hashlib.sha256(data).hexdigest()[:16]}.{kind}"
    admin.store_clerk_photo(deps(), actor, clerk, name, PHOTO_CONTENT_TYPES[kind], data)
    admin.set_clerk_photo(deps(), actor, clerk, url_for("admin.photo", name=name))
    return done("照片已更新", "Photo updated", url_for("admin.clerk_edit", clerk=found["id"]))


@bp.get("/photos/<string:name>")
def photo(name: str) -> Any:
    """A staff photo: public, as the window display (工作人员座牌) shows it to everyone."""
    if "/" in name or name.startswith(".") or len(name) > 80:
        abort(404)
    stored = admin.clerk_photo(deps(), name)
    if stored is not None:
        content_type, data = stored
        # The name holds a digest of the picture: it is its own entity tag.
        response = send_file(io.BytesIO(data), mimetype=content_type, max_age=86400, etag=name)
    else:
        path = photo_dir() / name
        if not path.is_file():
            abort(404)
        response = send_file(path, max_age=86400)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


# =============================================================================================
# Devices


def _device_form(hall: int, values: dict[str, Any] | None = None, *, creating: bool) -> Form:
    windows_ = admin.list_windows(deps(), me(), hall)
    return Form(
        admin.DEVICE_FIELDS if creating else forms.without(admin.DEVICE_FIELDS, "kind"),
        values=values or {"kind": "screen"},
        options={"window_id": [Option(w["id"], f"{w['number']} 号 {w['name']}") for w in windows_]},
    )


@bp.get("/halls/<int:hall>/devices")
def devices(hall: int) -> Any:
    """设备: kiosks, printers, LED boards, keypads and screens with their health."""
    actor = me()
    rows = admin.list_devices(deps(), actor, hall)
    numbers = {w["id"]: w["number"] for w in admin.list_windows(deps(), actor, hall)}
    return page("admin/devices.html", hall_id=hall, rows=rows, numbers=numbers)


def _token_page(hall: int, device: dict[str, Any], token: str, title: tuple[str, str]) -> Any:
    return page(
        "admin/secret.html",
        hall_id=hall,
        title=title,
        what=f"{device['kind_name']} · {device['name']}",
        label=("设备令牌", "Device token"),
        secret=token,
        back=url_for("admin.devices", hall=hall),
        hint=(
            f"自助取号机首次打开 /kiosk/{hall}?token=令牌 ；其他设备在其设置中填写此令牌。",
            f"Open /kiosk/{hall}?token=<token> on a kiosk once; other devices take it in their settings.",
        ),
    )


@bp.route("/halls/<int:hall>/devices/new", methods=["GET", "POST"])
def device_new(hall: int) -> Any:
    """新增设备: its token is shown once."""
    actor = me()
    admin.hall_detail(deps(), actor, hall)
    return _form_view(
        _device_form(hall, creating=True),
        lambda data: admin.save_device(deps(), actor, hall, None, data),
        lambda created: _token_page(
            hall, created, created["token"], ("设备已添加", "Device added")
        ),
        title=("新增设备", "New device"),
        hall_id=hall,
        keep_typed=False,
    )


@bp.route("/devices/<int:device>", methods=["GET", "POST"])
def device_edit(device: int) -> Any:
    """修改设备: name, window, link."""
    actor = me()
    found = admin.get_device(deps(), actor, device)
    hall = found["hall_id"]
    return _form_view(
        _device_form(hall, forms.values_of(found, admin.DEVICE_FIELDS), creating=False),
        lambda data: admin.save_device(deps(), actor, None, device, data),
        lambda _: done("设备已保存", "Device saved", url_for("admin.devices", hall=hall)),
        title=(f"设备 {found['name']}", f"Device {found['name']}"),
        hall_id=hall,
        template="admin/device_form.html",
        device=found,
        printer=_printer_form(device) if found["kind"] == "kiosk" else None,
    )


PRINTER_FIELDS = (
    admin.FieldSpec(
        "printer",
        "小票打印机地址",
        "Ticket printer URL",
        max_len=300,
        help_zh="usb://VID:PID、serial:///dev/ttyUSB0?baudrate=9600、tcp://IP地址:9100"
        "（须为系统管理员允许的设备、串口或网段）；留空则不打印",
        help_en="usb://VID:PID, serial:///dev/ttyUSB0?baudrate=9600, tcp://IP:9100 (a device, "
        "port or network the administrator allows); empty: no printing",
    ),
    admin.FieldSpec(
        "paper_mm",
        "纸宽",
        "Paper width",
        "choice",
        choices=(("80", "80 毫米", "80 mm"), ("58", "58 毫米", "58 mm")),
    ),  # fmt: skip
    admin.FieldSpec(
        "mode",
        "打印方式",
        "Printing",
        "choice",
        choices=(("text", "中文字库", "Printer's Chinese font"), ("image", "图片", "Raster image")),
    ),  # fmt: skip
    admin.FieldSpec(
        "encoding",
        "编码",
        "Encoding",
        "choice",
        choices=(("gb18030", "GB18030", ""), ("gbk", "GBK", "")),
    ),  # fmt: skip
    admin.FieldSpec("check_status", "打印前检查纸张和状态", "Check paper and status first", "bool"),
)


def _printer_form(device_id: int) -> Form:
    with deps().db.reading() as s:
        config = dict(
            s.scalar(select(tables.devices.c.config).where(tables.devices.c.id == device_id)) or {}
        )
    return Form(
        PRINTER_FIELDS,
        values={
            "printer": config.get("printer", ""),
            "paper_mm": str(config.get("paper_mm", 80)),
            "mode": config.get("mode", "text"),
            "encoding": config.get("encoding", "gb18030"),
            "check_status": config.get("check_status", True),
        },
    )


@bp.post("/devices/<int:device>/printer")
def device_printer(device: int) -> Any:
    """A kiosk's ticket printer, saved by the kiosk module's own use case."""
    from ..services import printing

    actor = me()
    found = admin.get_device(deps(), actor, device)
    form = _printer_form(device)
    try:
        data = forms.parse(PRINTER_FIELDS, request.form)
        form.values.update(data)
        data["paper_mm"] = int(data.get("paper_mm") or 80)
        printing.set_printer(deps(), actor, device, data)
    except FieldErrors as problem:
        form.fail(problem)
    except InvalidInput as problem:
        form.message = (problem.message, problem.message_en)
    else:
        return done("打印机已设置", "Printer saved", url_for("admin.device_edit", device=device))
    edit = _device_form(
        found["hall_id"], forms.values_of(found, admin.DEVICE_FIELDS), creating=False
    )
    return page(
        "admin/device_form.html",
        form=edit,
        title=(f"设备 {found['name']}", f"Device {found['name']}"),
        hall_id=found["hall_id"],
        device=found,
        printer=form,
        status=422,
    )


@bp.post("/devices/<int:device>/token")
def device_token(device: int) -> Any:
    """更换令牌: the old token stops working at once."""
    actor = me()
    found = admin.get_device(deps(), actor, device)
    token = admin.rotate_device_token(deps(), actor, device)
    return _token_page(found["hall_id"], found, token, ("令牌已更换", "Token rotated"))


@bp.post("/devices/<int:device>/delete")
def device_delete(device: int) -> Any:
    """删除设备."""
    return _removed(
        device,
        admin.get_device,
        admin.delete_device,
        "设备已删除",
        "Device removed",
        "admin.devices",
    )


# =============================================================================================
# Live monitor


@bp.get("/halls/<int:hall>/monitor")
def monitor(hall: int) -> Any:
    """实时监控: every window of the hall, live."""
    snapshot = _with_health(admin.monitor_snapshot(deps(), me(), hall))
    return page("admin/monitor.html", hall_id=hall, snapshot=snapshot, types=WINDOW_TYPE_NAMES)


@bp.get("/halls/<int:hall>/monitor/live")
def monitor_live(hall: int) -> Any:
    """The monitor's live part, redrawn by the page on every event of the hall's room."""
    snapshot = _with_health(admin.monitor_snapshot(deps(), me(), hall))
    return render_template("admin/_monitor_live.html", snapshot=snapshot)


def _with_health(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The monitor also says when the database or the message queue does not answer."""
    from ..services import health

    found = health.problems(deps(), current_app.config.get("MESSAGE_QUEUE"))
    return {**snapshot, "health": [p.as_dict() for p in found]}


# =============================================================================================
# Reports and the performance sheet


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"日期格式不正确：{raw[:20]}", f"Not a date: {raw[:20]}") from None


def _period(hall: int) -> rp.Period:
    kind = request.args.get("period", "day")
    return reports.resolve_period(
        deps(), me(), hall, kind, _date_arg("date"), _date_arg("start"), _date_arg("end")
    )


def _report_charts(report: reports.Report) -> list[Any]:
    labels = [
        row.label[-5:] if report.series_by == "day" else row.label[:5] for row in report.series
    ]
    made = [
        charts.bar_chart(
            "chart-volume",
            "取号与办结" + ("（按日）" if report.series_by == "day" else "（按时段）"),
            "Tickets issued and served",
            labels,
            [
                charts.Series(
                    "取号", "Issued", [r.figures.issued for r in report.series], "issued"
                ),
                charts.Series(
                    "办结", "Served", [r.figures.served for r in report.series], "served"
                ),
            ],
        )
    ]
    rows = [r for r in report.rows if r.figures.issued or r.figures.services]
    if rows:
        made.append(
            charts.hbar_chart(
                "chart-wait",
                "平均等候时间",
                "Average wait",
                [r.label for r in rows],
                [
                    None
                    if r.figures.wait_avg_minutes is None
                    else round(r.figures.wait_avg_minutes, 1)
                    for r in rows
                ],
                unit=" 分",
            )
        )
    return made


@bp.get("/halls/<int:hall>/reports")
def report(hall: int) -> Any:
    """统计报表: by day, week, month or range; by hall, category, item, window, clerk."""
    by = request.args.get("by", "hall")
    period = _period(hall)
    result = reports.build_report(deps(), me(), hall, period, by)
    return page(
        "admin/reports.html",
        hall_id=hall,
        report=result,
        charts=_report_charts(result),
        columns=rp.FIGURE_NAMES,
        dimensions=reports.DIMENSION_NAMES,
        periods=reports.PERIOD_NAMES,
        args=request.args,
    )


@bp.get("/halls/<int:hall>/reports.csv")
def report_csv(hall: int) -> Any:
    """The report as CSV."""
    period = _period(hall)
    result = reports.build_report(deps(), me(), hall, period, request.args.get("by", "hall"))
    name = f"report-hall{hall}-{period.start.isoformat()}-{period.end.isoformat()}-{result.by}.csv"
    return _download(reports.report_csv(result), name, "text/csv; charset=utf-8")


@bp.get("/halls/<int:hall>/performance")
def performance(hall: int) -> Any:
    """效能考评: every clerk of the hall for a period."""
    period = _period(hall)
    sheet = reports.performance_sheet(deps(), me(), hall, period)
    return page(
        "admin/performance.html",
        hall_id=hall,
        sheet=sheet,
        columns=reports.PERFORMANCE_COLUMNS,
        periods=reports.PERIOD_NAMES,
        args=request.args,
    )


@bp.get("/halls/<int:hall>/performance.csv")
def performance_csv(hall: int) -> Any:
    """The performance sheet as CSV."""
    period = _period(hall)
    sheet = reports.performance_sheet(deps(), me(), hall, period)
    name = f"performance-hall{hall}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return _download(reports.performance_csv(sheet), name, "text/csv; charset=utf-8")


@bp.get("/halls/<int:hall>/performance/<int:clerk>")
def performance_clerk(hall: int, clerk: int) -> Any:
    """One clerk's 效能考评 sheet: figures, days, 差评 and complaints (printable)."""
    period = _period(hall)
    sheet = reports.performance_sheet(deps(), me(), hall, period, clerk)
    chart = charts.bar_chart(
        "chart-clerk",
        "每日办结",
        "Served per day",
        [r.label[-5:] for r in sheet.series],
        [charts.Series("办结", "Served", [r.figures.served for r in sheet.series], "served")],
    )
    return page(
        "admin/performance_clerk.html",
        hall_id=hall,
        sheet=sheet,
        chart=chart,
        columns=reports.PERFORMANCE_COLUMNS,
        periods=reports.PERIOD_NAMES,
        args=request.args,
    )


# =============================================================================================
# 差评 follow-ups


STATES = {
    "open": ("未办结", "Open"),
    "overdue": ("已逾期", "Overdue"),
    "closed": ("已办结", "Closed"),
    "all": ("全部", "All"),
}


@bp.get("/halls/<int:hall>/follow-ups")
def follow_ups(hall: int) -> Any:
    """差评整改: each 差评's follow-up, due within 15 working days."""
    state = request.args.get("state", "open")
    if state not in STATES:
        state = "open"
    rows = complaints.list_follow_ups(deps(), me(), hall, state)
    return page("admin/follow_ups.html", hall_id=hall, rows=rows, state=state, states=STATES)


@bp.route("/follow-ups/<int:follow_up>", methods=["GET", "POST"])
def follow_up(follow_up: int) -> Any:
    """One follow-up: verify, rectify, call back, close."""
    actor = me()
    found = complaints.get_follow_up(deps(), actor, follow_up)
    return _form_view(
        Form(complaints.STEP_FIELDS, values={"stage": found["stage"]}),
        lambda data: complaints.advance_follow_up(deps(), actor, follow_up, data),
        lambda _: done("已记录", "Recorded", url_for("admin.follow_up", follow_up=follow_up)),
        hall_id=found["hall_id"],
        template="admin/follow_up.html",
        keep_typed=False,
        item=found,
        stages=complaints.STAGE_NAMES,
    )


# =============================================================================================
# Complaints


def _people(hall: int) -> list[Option]:
    return [
        Option(c["id"], f"{c['name']}（{c['staff_no']}）")
        for c in complaints.staff_choices(deps(), me(), hall)
    ]


@bp.get("/halls/<int:hall>/complaints")
def complaints_list(hall: int) -> Any:
    """投诉处理: complaints of the hall and the halls below it."""
    state = request.args.get("state", "open")
    if state not in ("open", "overdue", "resolved", "all"):
        state = "open"
    rows = complaints.list_complaints(deps(), me(), hall, state)
    states = {
        **{k: v for k, v in STATES.items() if k != "closed"},
        "resolved": ("已办结", "Resolved"),
    }
    return page("admin/complaints.html", hall_id=hall, rows=rows, state=state, states=states)


@bp.route("/halls/<int:hall>/complaints/new", methods=["GET", "POST"])
def complaint_new(hall: int) -> Any:
    """登记投诉."""
    actor = me()
    windows_ = admin.list_windows(deps(), actor, hall)
    people = [
        Option(c["id"], f"{c['name']}（{c['staff_no']}）")
        for c in admin.list_clerks(deps(), actor, hall)
    ]
    form = Form(
        complaints.COMPLAINT_FIELDS,
        values={"channel": "walk_in"},
        options={
            "window_id": [Option(w["id"], f"{w['number']} 号 {w['name']}") for w in windows_],
            "clerk_id": people,
            "assignee_id": _people(hall),
        },
    )
    return _form_view(
        form,
        lambda data: complaints.register_complaint(deps(), actor, hall, data),
        lambda saved: done(
            "投诉已登记", "Complaint registered", url_for("admin.complaint", complaint=saved["id"])
        ),
        title=("登记投诉", "Register a complaint"),
        hall_id=hall,
    )


def _complaint_page(
    found: dict[str, Any],
    *,
    assign: Form | None = None,
    resolve: Form | None = None,
    status: int = 200,
) -> Any:
    hall = found["hall_id"]
    assign = assign or Form(
        complaints.ASSIGN_FIELDS,
        values={"assignee_id": found["assignee_id"], "due_on": found["due_on"]},
        options={"assignee_id": _people(hall)},
    )
    resolve = resolve or Form(complaints.RESOLVE_FIELDS, values={"upheld": False})
    return page(
        "admin/complaint.html",
        hall_id=hall,
        item=found,
        assign=assign,
        resolve=resolve,
        status=status,
    )


@bp.get("/complaints/<int:complaint>")
def complaint(complaint: int) -> Any:
    """One complaint: assign it with a deadline, resolve it."""
    return _complaint_page(complaints.get_complaint(deps(), me(), complaint))


@bp.post("/complaints/<int:complaint>/assign")
def complaint_assign(complaint: int) -> Any:
    """分派投诉."""
    return _complaint_step(complaint, "assign", ("已分派", "Assigned"))


def _complaint_step(complaint: int, step: str, saved: tuple[str, str]) -> Any:
    """Assign or resolve a complaint; a refused form is shown on the complaint's page (422)."""
    actor = me()
    found = complaints.get_complaint(deps(), actor, complaint)
    if step == "assign":
        run = complaints.assign_complaint
        form = Form(complaints.ASSIGN_FIELDS, options={"assignee_id": _people(found["hall_id"])})
    else:
        run = complaints.resolve_complaint
        form = Form(complaints.RESOLVE_FIELDS)
    try:
        data = forms.parse(form.specs, request.form)
        form.values.update(data)
        run(deps(), actor, complaint, data)
    except FieldErrors as problem:
        return _complaint_page(found, status=422, **{step: form.fail(problem)})
    return done(*saved, url_for("admin.complaint", complaint=complaint))


@bp.post("/complaints/<int:complaint>/resolve")
def complaint_resolve(complaint: int) -> Any:
    """办结投诉."""
    return _complaint_step(complaint, "resolve", ("投诉已办结", "Complaint resolved"))


# =============================================================================================
# Audit log


@bp.get("/audit")
def audit_log() -> Any:
    """审计日志: who changed what, when, from what to what."""
    hall = request.args.get("hall", "")
    action = request.args.get("action", "")[:40]
    page_no = request.args.get("page", "1")
    day = _date_arg("day")
    result = admin.audit_entries(
        deps(),
        me(),
        int(hall) if hall.isdigit() else None,
        action,
        int(page_no) if page_no.isdigit() else 1,
        day,
    )
    return page(
        "admin/audit.html",
        hall_id=int(hall) if hall.isdigit() else None,
        result=result,
        args=request.args,
    )


# =============================================================================================
# 节假日安排: the holiday schedule of years the chinesecalendar package does not cover


@bp.get("/calendar")
def calendar() -> Any:
    """节假日安排: which years are known (package or entered), and what to do when one is not."""
    asked = request.args.get("year", "")
    if asked.isascii() and asked.isdigit() and len(asked) == 4:
        return redirect(url_for("admin.calendar_year", year=int(asked)))
    return page("admin/calendar.html", view=admin.calendar_overview(deps(), me()))


@bp.route("/calendar/<int:year>", methods=["GET", "POST"])
def calendar_year(year: int) -> Any:
    """One year's holidays and swapped working days; admins enter, replace or delete it."""
    actor = me()
    typed: tuple[str, str] | None = None
    error: tuple[str, str] | None = None
    status = 200
    if request.method == "POST":
        access.require_anywhere(actor, "deployment.configure")
        if request.form.get("action") == "delete":
            admin.delete_year(deps(), actor, year)
            return done(
                f"已删除 {year} 年的节假日安排", f"The {year} schedule was deleted",
                url_for("admin.calendar"),
            )  # fmt: skip
        typed = (request.form.get("holidays", "")[:5000], request.form.get("swapped", "")[:2000])
        try:
            from ..web.booking_api import notifier

            admin.save_year(deps(), actor, year, admin.parse_lines(*typed), notifier())
        except InvalidInput as refused:
            error, status = (refused.message, refused.message_en), 422
        else:
            return done(
                f"已保存 {year} 年的节假日安排，各大厅的预约和办理时限立即按此计算",
                f"The {year} schedule is saved; every hall's bookings and deadlines use it now",
                url_for("admin.calendar_year", year=year),
            )
    view = admin.calendar_year(deps(), actor, year)
    holidays, swapped = typed if typed is not None else admin.as_lines(view)
    overview = admin.calendar_overview(deps(), actor)
    return page(
        "admin/calendar_year.html", view=view, overview=overview, holidays=holidays,
        swapped=swapped, error=error, status=status,
    )  # fmt: skip
