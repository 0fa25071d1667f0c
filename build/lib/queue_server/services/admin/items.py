"""Service items (事项清单), their import and export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ...domain.errors import InvalidInput
from ...domain.model import Category, ServiceItem
from ...store import admin_tables, tables
from .. import access
from ..context import Actor, Deps
from .categories import hall_categories
from .change import Change, changing, read_one, refuse_taken, snapshot
from .fields import FieldErrors, FieldSpec, clean, field_error

SI = tables.service_items
ST = admin_tables.service_targets


ITEM_FIELDS = (
    FieldSpec("code", "事项编码", "Unified code", required=True, max_len=40),
    FieldSpec("name", "事项名称", "Item name", required=True, max_len=120),
    FieldSpec("name_en", "英文名称", "English name", max_len=240),
    FieldSpec("category_id", "业务类别", "Category", "ref"),
    FieldSpec("item_type", "事项类型", "Item type", max_len=40),
    FieldSpec("legal_basis", "设定依据", "Legal basis", "textarea", max_len=2000),
    FieldSpec(
        "time_limit_days",
        "办理时限（工作日，0 为即办）",
        "Time limit (working days, 0 = on the spot)",
        "int",
        low=0,
        high=365,
    ),  # fmt: skip
    FieldSpec("conditions", "办理条件", "Conditions", "textarea", max_len=2000),
    FieldSpec("steps", "办理流程（每行一步）", "Steps (one per line)", "lines", max_len=200),
    FieldSpec(
        "materials", "所需材料（每行一项）", "Materials (one per line)", "lines", max_len=200
    ),
    FieldSpec("fee", "收费标准", "Fee", max_len=120),
    FieldSpec("department", "实施部门", "Department", max_len=120),
    FieldSpec(
        "conditions_en",
        "英文办理条件",
        "Conditions in English",
        "textarea",
        max_len=2000,
        help_zh="自助机英文界面显示；不填的项显示中文",
        help_en="Shown in the kiosk's English mode; an empty field shows the Chinese one",
    ),
    FieldSpec(
        "steps_en",
        "英文办理流程（每行一步）",
        "Steps in English (one per line)",
        "lines",
        max_len=200,
    ),
    FieldSpec(
        "materials_en",
        "英文所需材料（每行一项）",
        "Materials in English (one per line)",
        "lines",
        max_len=200,
    ),
    FieldSpec("fee_en", "英文收费标准", "Fee in English", max_len=240),
    FieldSpec("department_en", "英文实施部门", "Department in English", max_len=240),
    FieldSpec(
        "review_departments",
        "后台审批部门（每行一个，多个为并联办理）",
        "Back-office departments (one per line; several sign off in parallel)",
        "lines",
        max_len=120,
        help_zh="不填则由实施部门审批",
        help_en="Empty: the item's department reviews its cases",
    ),
    FieldSpec("village_proxy", "村级可代办", "Village agents may take it in", "bool"),
    FieldSpec("online", "可网上办理", "Can be done online", "bool"),
    FieldSpec("active", "启用", "Active", "bool"),
    FieldSpec(
        "target_service_minutes",
        "目标办理时长（分钟）",
        "Target service time (min)",
        "int",
        nullable=True,
        low=1,
        high=240,
        help_zh="实时监控中超过此时长的办理标红；不填则按类别预估",
        help_en="The live monitor flags longer services; empty uses the category's estimate",
    ),
)

ITEM_AUDIT = tuple(spec.key for spec in ITEM_FIELDS if spec.key != "target_service_minutes")
NO_ITEM = ("找不到该事项", "No such service item")
EXPORT_COLUMNS = (
    "code",
    "name",
    "name_en",
    "category",
    "item_type",
    "legal_basis",
    "time_limit_days",
    "conditions",
    "steps",
    "materials",
    "fee",
    "department",
    "village_proxy",
    "online",
    "active",
    "target_service_minutes",
    "conditions_en",
    "steps_en",
    "materials_en",
    "fee_en",
    "department_en",
)


def service_targets(session: Session, item_ids: list[int]) -> dict[int, int]:
    if not item_ids:
        return {}
    return {
        int(item): int(minutes)
        for item, minutes in session.execute(
            select(ST.c.service_item_id, ST.c.minutes).where(ST.c.service_item_id.in_(item_ids))
        )
    }


def item_admin_view(item: ServiceItem, target: int | None) -> dict[str, Any]:
    """A service item with every catalogue field."""
    return {
        "id": item.id,
        "hall_id": item.hall_id,
        **snapshot(item, ITEM_AUDIT),
        "target_service_minutes": target,
    }


def list_items(deps: Deps, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
    """The hall's catalogue by code."""
    with deps.db.reading() as session:
        access.require_hall(session, actor, hall_id, "hall.configure")
        items = list(
            session.scalars(select(ServiceItem).where(SI.c.hall_id == hall_id).order_by(SI.c.code))
        )
        targets = service_targets(session, [i.id or 0 for i in items])
        return [item_admin_view(i, targets.get(i.id or 0)) for i in items]


def get_item(deps: Deps, actor: Actor, item_id: int) -> dict[str, Any]:
    """One service item."""
    return read_one(deps, actor, ServiceItem, item_id, NO_ITEM, _item_admin_view, "hall.configure")


def _item_admin_view(session: Session, item: ServiceItem) -> dict[str, Any]:
    return item_admin_view(item, _item_audit(session, item)["target_service_minutes"])


def _item_audit(session: Session, item: ServiceItem) -> dict[str, Any]:
    target = service_targets(session, [item.id or 0]).get(item.id or 0)
    return {**snapshot(item, ITEM_AUDIT), "target_service_minutes": target}


def _apply_item(change: Change, item: ServiceItem, values: Mapping[str, Any]) -> None:
    s = change.session
    if "category_id" in values and values["category_id"] is not None:
        category = s.get(Category, values["category_id"])
        if category is None or category.hall_id != item.hall_id:
            raise field_error(
                "category_id", "所选类别不属于本大厅", "The category is not of this hall"
            )
    for key in ITEM_AUDIT:
        if key in values:
            setattr(item, key, list(values[key]) if isinstance(values[key], list) else values[key])
    refuse_taken(
        s,
        SI,
        item.id,
        "code",
        f"本大厅已有编码为 {item.code} 的事项",
        f"Item code {item.code} exists already",
        hall_id=item.hall_id,
        code=item.code,
    )
    s.flush()
    if "target_service_minutes" in values:
        s.execute(delete(ST).where(ST.c.service_item_id == item.id))
        if values["target_service_minutes"] is not None:
            s.execute(
                insert(ST).values(service_item_id=item.id, minutes=values["target_service_minutes"])
            )


def save_item(
    deps: Deps, actor: Actor, hall_id: int | None, item_id: int | None, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Add a service item to the hall's catalogue (item_id None) or change one."""
    values = clean(ITEM_FIELDS, data, partial=item_id is not None)
    with changing(deps, actor, "hall.configure") as change:
        s = change.session
        item, _ = change.add_or_load(
            ServiceItem,
            item_id,
            hall_id,
            NO_ITEM,
            lambda new_hall: ServiceItem(
                hall_id=new_hall, code=values["code"], name=values["name"]
            ),
        )
        before = None if item_id is None else _item_audit(s, item)
        _apply_item(change, item, values)
        after = _item_audit(s, item)
        change.record(
            "item.create" if before is None else "item.update",
            item.hall_id,
            f"{item.code} {item.name}",
            before,
            after,
        )
        change.halls.add(item.hall_id)
        result = item_admin_view(item, after["target_service_minutes"])
    return result


def export_items(deps: Deps, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
    """The catalogue as rows for CSV or JSON (categories by prefix, so another hall can import)."""
    with deps.db.reading() as session:
        access.require_hall(session, actor, hall_id, "hall.configure")
        prefixes = {c.id: c.prefix for c in hall_categories(session, hall_id)}
        items = list(
            session.scalars(select(ServiceItem).where(SI.c.hall_id == hall_id).order_by(SI.c.code))
        )
        targets = service_targets(session, [i.id or 0 for i in items])
        rows = []
        for item in items:
            row = snapshot(item, ITEM_AUDIT)
            row.pop("category_id")
            row["category"] = prefixes.get(item.category_id, "") if item.category_id else ""
            row["target_service_minutes"] = targets.get(item.id or 0)
            rows.append({key: row[key] for key in EXPORT_COLUMNS})
        return rows


def items_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as CSV (UTF-8 with a BOM so spreadsheet programs read the Chinese correctly)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        cells = []
        for key in EXPORT_COLUMNS:
            value = row.get(key)
            if isinstance(value, list):
                value = "\n".join(value)
            elif isinstance(value, bool):
                value = "1" if value else "0"
            elif value is None:
                value = ""
            cells.append(str(value))
        writer.writerow(cells)
    return "\ufeff" + out.getvalue()


_LIST_SPLIT = re.compile(r"\r?\n|；|;|\|")
_TRUE = {"1", "true", "yes", "y", "是", "t"}
_FALSE = {"0", "false", "no", "n", "否", "f", ""}


def parse_items_csv(text: str) -> list[dict[str, Any]]:
    """CSV rows (header row of column names) as typed dicts, ready for `import_items`."""
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if "code" not in header or "name" not in header:
        raise InvalidInput(
            "CSV 首行须为列名，至少包括 code 和 name",
            "The first CSV row must name the columns, with at least code and name",
        )
    unknown = [h for h in header if h not in EXPORT_COLUMNS]
    if unknown:
        raise InvalidInput(f"CSV 有未知的列：{unknown}", f"Unknown CSV columns: {unknown}")
    rows: list[dict[str, Any]] = []
    for number, raw in enumerate(reader, start=2):
        row: dict[str, Any] = {}
        for key, value in raw.items():
            if key is None:
                raise InvalidInput(f"第 {number} 行列数过多", f"Row {number} has too many cells")
            value = (value or "").strip()
            if key in ("steps", "materials", "steps_en", "materials_en"):
                row[key] = [part.strip() for part in _LIST_SPLIT.split(value) if part.strip()]
            elif key in ("village_proxy", "online", "active"):
                if value.lower() not in _TRUE | _FALSE:
                    raise InvalidInput(
                        f"第 {number} 行 {key} 须为 1 或 0", f"Row {number}: {key} must be 1 or 0"
                    )
                row[key] = value.lower() in _TRUE
            elif key in ("time_limit_days", "target_service_minutes"):
                if value == "":
                    row[key] = None if key == "target_service_minutes" else 0
                elif value.isdigit():
                    row[key] = int(value)
                else:
                    raise InvalidInput(
                        f"第 {number} 行 {key} 须为整数", f"Row {number}: {key} must be a number"
                    )
            else:
                row[key] = value
        rows.append(row)
    return rows


def import_items(
    deps: Deps, actor: Actor, hall_id: int, rows: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    """Add or update items by code, all or nothing; a bad row names its number."""
    if not isinstance(rows, Sequence) or len(rows) > 2000:
        raise InvalidInput(
            "导入内容须为事项列表（最多 2000 项）", "Import a list of at most 2000 items"
        )
    created = updated = 0
    with changing(deps, actor, "hall.configure") as change:
        s = change.session
        hall = change.hall(hall_id)
        prefixes = {c.prefix: c.id for c in hall_categories(s, hall_id)}
        existing = {
            i.code: i for i in s.scalars(select(ServiceItem).where(SI.c.hall_id == hall_id))
        }
        seen: set[str] = set()
        for number, raw in enumerate(rows, start=1):
            if not isinstance(raw, Mapping):
                raise InvalidInput(f"第 {number} 项须为对象", f"Entry {number} must be an object")
            data = {k: v for k, v in raw.items() if k != "category"}
            prefix = raw.get("category")
            if prefix not in (None, ""):
                if prefix not in prefixes:
                    raise InvalidInput(
                        f"第 {number} 项：本大厅没有前缀为 {prefix} 的类别",
                        f"Entry {number}: this hall has no category {prefix}",
                    )
                data["category_id"] = prefixes[prefix]
            elif "category" in raw:
                data["category_id"] = None
            try:
                values = clean(ITEM_FIELDS, data, partial=False)
            except FieldErrors as problem:
                raise InvalidInput(
                    f"第 {number} 项：{problem.message}", f"Entry {number}: {problem.message_en}"
                ) from None
            if values["code"] in seen:
                raise InvalidInput(
                    f"第 {number} 项：编码 {values['code']} 重复",
                    f"Entry {number}: code {values['code']} appears twice",
                )
            seen.add(values["code"])
            item = existing.get(values["code"])
            if item is None:
                item = ServiceItem(hall_id=hall.id or 0, code=values["code"], name=values["name"])
                s.add(item)
                created += 1
            else:
                updated += 1
            try:
                _apply_item(change, item, values)
            except FieldErrors as problem:
                raise InvalidInput(
                    f"第 {number} 项：{problem.message}", f"Entry {number}: {problem.message_en}"
                ) from None
        change.record(
            "item.import",
            hall_id,
            f"{len(rows)} items",
            None,
            {"codes": sorted(seen)},
            created=created,
            updated=updated,
        )
        change.halls.add(hall_id)
    return {"created": created, "updated": updated}
