"""Devices: kiosks, printers, LED boards, keypads and screens, with their health."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from devices.addresses import DevicePolicy
from devices.errors import DeviceConfigError

from ...domain.errors import NotFound
from ...domain.model import Window
from ...store import tables
from .. import access, auth, views
from ..context import Actor, Deps
from .change import changing
from .fields import FieldSpec, clean, field_error

D = tables.devices


DEVICE_KINDS = (
    ("kiosk", "自助取号机", "Kiosk"),
    ("printer", "打印机", "Printer"),
    ("board", "窗口条屏", "LED board"),
    ("evaluator", "评价器", "Evaluator keypad"),
    ("screen", "显示屏", "Screen"),
)
# The devices a window carries: its LCD screen, its LED board and its evaluator keypad.
WINDOW_DEVICE_KINDS = ("screen", "board", "evaluator")
SERIAL_KINDS = ("board", "evaluator")

DEVICE_FIELDS = (
    FieldSpec("kind", "设备类型", "Device kind", "choice", required=True, choices=DEVICE_KINDS),
    FieldSpec("name", "设备名称", "Device name", required=True, max_len=60),
    FieldSpec("window_id", "所属窗口", "Window", "ref"),
    FieldSpec(
        "url",
        "连接地址",
        "Link URL",
        max_len=300,
        help_zh="条屏和评价器：serial:///dev/ttyUSB0?baudrate=9600&address=1",
        help_en="LED boards and keypads: serial:///dev/ttyUSB0?baudrate=9600&address=1",
    ),
)

DEVICE_STALE = timedelta(minutes=10)


def device_admin_view(
    row: Any, device_alarms: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    """A device with its link, window, last sign of life and health (never its token)."""
    config = dict(row.config or {})
    names = {kind: (zh, en) for kind, zh, en in DEVICE_KINDS}
    zh, en = names.get(row.kind, (row.kind, row.kind))
    if device_alarms:
        health, health_zh, health_en = "alarm", "告警", "Alarm"
    elif row.last_seen_at is not None and now - row.last_seen_at > DEVICE_STALE:
        health, health_zh, health_en = "stale", "长时间未上线", "Not seen lately"
    elif row.last_seen_at is None and not row.health:
        health, health_zh, health_en = "unknown", "未上报", "No report yet"
    else:
        health, health_zh, health_en = "ok", "正常", "OK"
    return {
        "id": row.id,
        "hall_id": row.hall_id,
        "kind": row.kind,
        "kind_name": zh,
        "kind_name_en": en,
        "name": row.name,
        "window_id": row.window_id,
        "url": config.get("url") or config.get("printer") or "",
        "last_seen_at": views.iso(row.last_seen_at),
        "health": health,
        "health_name": health_zh,
        "health_name_en": health_en,
        "alarms": device_alarms,
    }


def device_views(session: Session, hall_id: int, now: datetime) -> list[dict[str, Any]]:
    open_alarms = session.execute(
        select(tables.alarms).where(
            tables.alarms.c.hall_id == hall_id, tables.alarms.c.cleared_at.is_(None)
        )
    ).all()
    by_device: dict[int, list[dict[str, Any]]] = {}
    for alarm in open_alarms:
        if alarm.device_id is not None:
            by_device.setdefault(alarm.device_id, []).append(
                {"kind": alarm.kind, "message": alarm.message, "message_en": alarm.message_en}
            )
    rows = session.execute(select(D).where(D.c.hall_id == hall_id).order_by(D.c.kind, D.c.id)).all()
    return [device_admin_view(row, by_device.get(row.id, []), now) for row in rows]


def list_devices(deps: Deps, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
    """The hall's devices with their health."""
    with deps.db.reading() as session:
        access.require_hall(session, actor, hall_id, "device.manage")
        return device_views(session, hall_id, deps.clock.now())


def _device_row(session: Session, device_id: int) -> Any:
    row = session.execute(select(D).where(D.c.id == device_id)).first()
    if row is None:
        raise NotFound("找不到该设备", "No such device")
    return row


def get_device(deps: Deps, actor: Actor, device_id: int) -> dict[str, Any]:
    """One device with its health."""
    with deps.db.reading() as session:
        row = _device_row(session, device_id)
        access.require_hall(session, actor, row.hall_id, "device.manage")
        return next(
            d for d in device_views(session, row.hall_id, deps.clock.now()) if d["id"] == device_id
        )


def _device_config(
    policy: DevicePolicy, kind: str, url: str, config: dict[str, Any]
) -> dict[str, Any]:
    config = dict(config)
    if kind in SERIAL_KINDS or kind == "printer":
        if url:
            try:
                policy.check(url, "printer" if kind == "printer" else "serial")
            except DeviceConfigError as problem:
                raise field_error("url", problem.message, problem.message_en) from None
            config["url"] = url
        else:
            config.pop("url", None)
    elif url:
        raise field_error(
            "url",
            "该类设备无需连接地址",
            "This kind of device has no link URL (kiosk printers: see the kiosk)",
        )
    return config


def save_device(
    deps: Deps, actor: Actor, hall_id: int | None, device_id: int | None, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Add a device (its token is returned once) or change its name, window or link."""
    values = clean(DEVICE_FIELDS, data, partial=device_id is not None)
    token = ""
    with changing(deps, actor, "device.manage") as change:
        s = change.session
        if device_id is None:
            assert hall_id is not None
            change.hall(hall_id)
            kind, name, window_id, config = (
                values["kind"],
                values["name"],
                values.get("window_id"),
                {},
            )
            before = None
        else:
            row = _device_row(s, device_id)
            change.hall(row.hall_id)
            hall_id = row.hall_id
            if "kind" in values and values["kind"] != row.kind:
                raise field_error("kind", "设备类型不能修改", "A device's kind cannot change")
            kind, name = row.kind, values.get("name", row.name)
            window_id = values.get("window_id", row.window_id)
            config = dict(row.config or {})
            before = {"name": row.name, "window_id": row.window_id, "config": row.config}
        if window_id is not None:
            window = s.get(Window, window_id)
            if window is None or window.hall_id != hall_id:
                raise field_error(
                    "window_id", "所选窗口不属于本大厅", "The window is not of this hall"
                )
        if "url" in values:
            config = _device_config(deps.devices, kind, values["url"], config)
        if device_id is None:
            token = auth.new_secret()
            device_id = s.execute(
                insert(D)
                .values(
                    hall_id=hall_id,
                    kind=kind,
                    name=name,
                    token_hash=auth.token_digest(token),
                    config=config,
                    window_id=window_id,
                    health={},
                )
                .returning(D.c.id)
            ).scalar_one()
        else:
            s.execute(
                update(D)
                .where(D.c.id == device_id)
                .values(name=name, window_id=window_id, config=config)
            )
        after = {"name": name, "window_id": window_id, "config": config}
        change.record(
            "device.create" if before is None else "device.update",
            hall_id,
            f"device {device_id} {name}",
            before,
            after,
        )
        change.devices.add(hall_id)
        if before is not None and before["window_id"] is not None:
            change.windows.add(int(before["window_id"]))
        if window_id is not None:
            change.windows.add(int(window_id))
        result = next(d for d in device_views(s, hall_id, change.now) if d["id"] == device_id)
    if token:
        result["token"] = token
    return result


def rotate_device_token(deps: Deps, actor: Actor, device_id: int) -> str:
    """A new token for a device (shown once); the old one stops working at once."""
    token = auth.new_secret()
    with changing(deps, actor, "device.manage") as change:
        row = _device_row(change.session, device_id)
        change.hall(row.hall_id)
        change.session.execute(
            update(D).where(D.c.id == device_id).values(token_hash=auth.token_digest(token))
        )
        change.record(
            "device.rotate_token", row.hall_id, f"device {device_id} {row.name}", None, None
        )
    return token


def delete_device(deps: Deps, actor: Actor, device_id: int) -> None:
    """Remove a device: its token stops working and its alarms are cleared."""
    with changing(deps, actor, "device.manage") as change:
        s = change.session
        row = _device_row(s, device_id)
        change.hall(row.hall_id)
        s.execute(
            update(tables.alarms)
            .where(tables.alarms.c.device_id == device_id, tables.alarms.c.cleared_at.is_(None))
            .values(cleared_at=change.now)
        )
        s.execute(delete(D).where(D.c.id == device_id))
        change.record(
            "device.delete",
            row.hall_id,
            f"device {device_id} {row.name}",
            {"kind": row.kind, "name": row.name, "window_id": row.window_id, "config": row.config},
            None,
        )
        change.devices.add(row.hall_id)
