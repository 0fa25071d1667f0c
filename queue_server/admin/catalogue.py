"""The hall's catalogue: categories (业务类别), windows (窗口) and service items (事项清单, with
CSV and JSON import and export)."""

from __future__ import annotations

import json
from typing import Any

from flask import flash, redirect, request, url_for

from ..domain.errors import InvalidInput
from ..http import deps
from ..services import admin
from . import forms
from .blueprint import bp
from .crud import FormPage, Resource
from .forms import Form, Option
from .pages import done, download, me, page


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


@bp.get("/halls/<int:hall>/items.csv")
def items_csv(hall: int) -> Any:
    """Export the catalogue as CSV."""
    rows = admin.export_items(deps(), me(), hall)
    return download(admin.items_csv(rows), f"items-hall{hall}.csv", "text/csv; charset=utf-8")


@bp.get("/halls/<int:hall>/items.json")
def items_json(hall: int) -> Any:
    """Export the catalogue as JSON."""
    rows = admin.export_items(deps(), me(), hall)
    return download(
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


def _category_page(hall: int, found: dict[str, Any] | None) -> FormPage:
    values = forms.values_of(found, admin.CATEGORY_FIELDS) if found else None
    return FormPage(_category_form(values))


Resource(
    one="category",
    many="categories",
    get=admin.get_category,
    save=admin.save_category,
    form=_category_page,
    new_title=("新增业务类别", "New category"),
    title=lambda found: (f"业务类别 {found['prefix']}", f"Category {found['prefix']}"),
    added=("业务类别已添加", "Category added"),
    saved=("业务类别已保存", "Category saved"),
    check_hall=True,
).register(bp)


def _window_page(hall: int, found: dict[str, Any] | None) -> FormPage:
    values = forms.values_of(found, admin.WINDOW_FIELDS) if found else None
    form, cats = _window_form(hall, values)
    return FormPage(
        form,
        template="admin/window_form.html",
        skip=("category_ids",),
        extra=lambda: _window_categories(cats),
        context={"cats": cats, "window": found} if found else {"cats": cats},
    )


Resource(
    one="window",
    many="windows",
    get=admin.get_window,
    save=admin.save_window,
    form=_window_page,
    new_title=("新增窗口", "New window"),
    title=lambda found: (f"{found['number']} 号窗口", f"Window {found['number']}"),
    added=("窗口已添加", "Window added"),
    # Kiosks, window displays and LED boards follow a changed window at once.
    saved=("窗口已保存，显示屏和取号机已同步", "Window saved; displays and kiosks updated"),
    back_to_record=True,
    remove=admin.delete_window,  # one that never served anyone
    removed=("窗口已删除", "Window removed"),
).register(bp)


def _item_page(hall: int, found: dict[str, Any] | None) -> FormPage:
    values = forms.values_of(found, admin.ITEM_FIELDS) if found else None
    return FormPage(_item_form(hall, values))


Resource(
    one="item",
    many="items",
    get=admin.get_item,
    save=admin.save_item,
    form=_item_page,
    new_title=("新增事项", "New service item"),
    title=lambda found: (f"事项 {found['code']}", f"Item {found['code']}"),
    added=("事项已添加", "Service item added"),
    saved=("事项已保存", "Service item saved"),
).register(bp)
