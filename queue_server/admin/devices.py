"""Devices (设备): adding and changing them, their tokens, and a kiosk's ticket printer."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from sqlalchemy import select

from ..domain.errors import InvalidInput
from ..http import deps
from ..services import admin
from ..services.admin import FieldErrors
from ..store import tables
from . import forms
from .blueprint import bp
from .crud import FormPage, Resource
from .forms import Form, Option
from .pages import done, me, page


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


def printer_form(device_id: int) -> Form:
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
    form = printer_form(device)
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


def _device_page(hall: int, found: dict[str, Any] | None) -> FormPage:
    if found is None:
        return FormPage(_device_form(hall, creating=True))
    form = _device_form(hall, forms.values_of(found, admin.DEVICE_FIELDS), creating=False)
    return FormPage(
        form,
        template="admin/device_form.html",
        context={
            "device": found,
            "printer": printer_form(found["id"]) if found["kind"] == "kiosk" else None,
        },
    )


Resource(
    one="device",
    many="devices",
    get=admin.get_device,
    save=admin.save_device,
    form=_device_page,
    new_title=("新增设备", "New device"),
    title=lambda found: (f"设备 {found['name']}", f"Device {found['name']}"),
    added=("设备已添加", "Device added"),
    saved=("设备已保存", "Device saved"),
    check_hall=True,
    keep_typed_new=False,
    after_new=lambda hall, created, added: _token_page(hall, created, created["token"], added),
    remove=admin.delete_device,
    removed=("设备已删除", "Device removed"),
).register(bp)
