"""Windows: type, categories in calling order, A and B posts, bound devices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from ...domain.errors import Conflict
from ...domain.model import WINDOW_TYPE_NAMES, Clerk, Post, Window, WindowStatus, WindowType
from ...store import tables
from .. import access
from ..context import Actor, Deps
from .change import Change, changing, existing, read_one, refuse_taken
from .devices import WINDOW_DEVICE_KINDS
from .fields import FieldSpec, clean, enum_choices, field_error

D = tables.devices
W = tables.windows
WP = tables.window_posts
C = tables.categories


WINDOW_FIELDS = (
    FieldSpec("number", "窗口号", "Window number", "int", required=True, low=1, high=999),
    FieldSpec("name", "窗口名称", "Window name", required=True, max_len=60),
    FieldSpec(
        "type",
        "窗口类型",
        "Window type",
        "choice",
        required=True,
        choices=enum_choices(WINDOW_TYPE_NAMES),
    ),  # fmt: skip
    FieldSpec(
        "category_ids",
        "办理业务（按叫号顺序）",
        "Categories served, in calling order",
        "ids",
        help_zh="综合窗口不选则办理全部业务；固定窗口和机动窗口至少选一类",
        help_en="A comprehensive window with none serves every category",
    ),
    FieldSpec("post_a", "A岗", "A post", "ref"),
    FieldSpec("post_b", "B岗", "B post", "ref"),
    FieldSpec(
        "device_ids", "绑定的显示屏、条屏和评价器", "Bound screens, LED boards, keypads", "ids"
    ),
)

WINDOW_AUDIT = ("number", "name", "type", "category_ids")
NO_WINDOW = ("找不到该窗口", "No such window")


def window_posts(session: Session, window_id: int) -> dict[str, int]:
    return {
        str(post.value if isinstance(post, Post) else post): int(clerk)
        for post, clerk in session.execute(
            select(WP.c.post, WP.c.clerk_id).where(WP.c.window_id == window_id)
        )
    }


def _bound_devices(session: Session, window_id: int) -> list[int]:
    return [
        int(d)
        for d in session.scalars(
            select(D.c.id)
            .where(D.c.window_id == window_id, D.c.kind.in_(WINDOW_DEVICE_KINDS))
            .order_by(D.c.id)
        )
    ]


def window_type_view(window: Window) -> dict[str, Any]:
    """A window's type with its Chinese and English names."""
    zh, en = WINDOW_TYPE_NAMES[window.type]
    return {"type": window.type.value, "type_name": zh, "type_name_en": en}


def window_admin_view(session: Session, window: Window) -> dict[str, Any]:
    """A window's configuration: type, categories in order, A/B posts, bound devices."""
    posts = window_posts(session, window.id or 0)
    return {
        "id": window.id,
        "hall_id": window.hall_id,
        "number": window.number,
        "name": window.name,
        **window_type_view(window),
        "status": window.status.value,
        "category_ids": list(window.category_ids),
        "post_a": posts.get("A"),
        "post_b": posts.get("B"),
        "device_ids": _bound_devices(session, window.id or 0),
    }


def _window_audit(session: Session, window: Window) -> dict[str, Any]:
    view = window_admin_view(session, window)
    return {k: view[k] for k in (*WINDOW_AUDIT, "post_a", "post_b", "device_ids")}


def list_windows(deps: Deps, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
    """The hall's windows by number with their configuration."""
    with deps.db.reading() as session:
        access.require_hall(session, actor, hall_id, "hall.configure")
        return [
            window_admin_view(session, w)
            for w in session.scalars(
                select(Window).where(W.c.hall_id == hall_id).order_by(W.c.number)
            )
        ]


def get_window(deps: Deps, actor: Actor, window_id: int) -> dict[str, Any]:
    """One window's configuration."""
    return read_one(deps, actor, Window, window_id, NO_WINDOW, window_admin_view, "hall.configure")


def _check_window_categories(
    session: Session, hall_id: int, wtype: WindowType, ids: list[int]
) -> None:
    if ids:
        found = set(session.scalars(select(C.c.id).where(C.c.hall_id == hall_id, C.c.id.in_(ids))))
        if found != set(ids):
            raise field_error(
                "category_ids", "所选业务不属于本大厅", "A chosen category is not of this hall"
            )
    elif wtype != WindowType.COMPREHENSIVE:
        raise field_error(
            "category_ids",
            "固定窗口和机动窗口须至少办理一类业务",
            "A fixed or flexible window must serve at least one category",
        )


def _check_post(session: Session, hall_id: int, key: str, clerk_id: int | None) -> None:
    if clerk_id is None:
        return
    clerk = session.get(Clerk, clerk_id)
    if clerk is None or clerk.hall_id != hall_id or not clerk.active:
        raise field_error(
            key, "岗位人员须为本大厅在岗人员", "A post must be held by active staff of this hall"
        )


def _set_post(session: Session, window_id: int, post: Post, clerk_id: int | None) -> None:
    session.execute(delete(WP).where(WP.c.window_id == window_id, WP.c.post == post.value))
    if clerk_id is not None:
        session.execute(insert(WP).values(window_id=window_id, post=post.value, clerk_id=clerk_id))


def _bind_devices(change: Change, hall_id: int, window_id: int, device_ids: list[int]) -> None:
    s = change.session
    rows = s.execute(select(D.c.id, D.c.hall_id, D.c.kind).where(D.c.id.in_(device_ids))).all()
    if len(rows) != len(device_ids) or any(
        r.hall_id != hall_id or r.kind not in WINDOW_DEVICE_KINDS for r in rows
    ):
        raise field_error(
            "device_ids",
            "只能绑定本大厅的显示屏、条屏和评价器",
            "Only screens, LED boards and keypads of this hall can be bound",
        )
    current = set(_bound_devices(s, window_id))
    if current == set(device_ids):
        return
    s.execute(
        update(D)
        .where(
            D.c.window_id == window_id, D.c.kind.in_(WINDOW_DEVICE_KINDS), D.c.id.not_in(device_ids)
        )
        .values(window_id=None)
    )
    if device_ids:
        s.execute(update(D).where(D.c.id.in_(device_ids)).values(window_id=window_id))
    change.devices.add(hall_id)


def save_window(
    deps: Deps,
    actor: Actor,
    hall_id: int | None,
    window_id: int | None,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """Add a window to a hall (window_id None) or change one: kiosks and displays follow."""
    values = clean(WINDOW_FIELDS, data, partial=window_id is not None)
    with changing(deps, actor, "hall.configure") as change:
        s = change.session
        window, _ = change.add_or_load(
            Window,
            window_id,
            hall_id,
            NO_WINDOW,
            lambda new_hall: Window(
                hall_id=new_hall,
                number=values["number"],
                name=values["name"],
                type=WindowType(values["type"]),
                status=WindowStatus.CLOSED,
            ),
        )
        before = None if window_id is None else _window_audit(s, window)
        for key in ("number", "name"):
            if key in values:
                setattr(window, key, values[key])
        if "type" in values:
            window.type = WindowType(values["type"])
        if "category_ids" in values:
            window.category_ids = list(values["category_ids"])
        _check_window_categories(s, window.hall_id, window.type, list(window.category_ids))
        refuse_taken(
            s,
            W,
            window.id,
            "number",
            f"本大厅已有 {window.number} 号窗口",
            f"Window {window.number} already exists",
            hall_id=window.hall_id,
            number=window.number,
        )
        s.flush()
        posts = window_posts(s, window.id or 0)
        post_a = values.get("post_a", posts.get("A"))
        post_b = values.get("post_b", posts.get("B"))
        _check_post(s, window.hall_id, "post_a", post_a)
        _check_post(s, window.hall_id, "post_b", post_b)
        if post_a is not None and post_a == post_b:
            raise field_error("post_b", "A岗和B岗不能是同一人", "The A and B posts need two people")
        if "post_a" in values:
            _set_post(s, window.id or 0, Post.A, post_a)
        if "post_b" in values:
            _set_post(s, window.id or 0, Post.B, post_b)
        if "device_ids" in values:
            _bind_devices(change, window.hall_id, window.id or 0, values["device_ids"])
        s.flush()
        after = _window_audit(s, window)
        change.record(
            "window.create" if before is None else "window.update",
            window.hall_id,
            f"window {window.number}",
            before,
            after,
        )
        change.windows.add(window.id or 0)
        change.queues.add(window.hall_id)
        result = window_admin_view(s, window)
    return result


def delete_window(deps: Deps, actor: Actor, window_id: int) -> None:
    """Remove a closed window that never served anyone (others are kept for the reports)."""
    with changing(deps, actor, "hall.configure") as change:
        s = change.session
        window = existing(s, Window, window_id, NO_WINDOW)
        change.hall(window.hall_id)
        if window.status != WindowStatus.CLOSED:
            raise Conflict("请先关闭该窗口再删除", "Close the window before removing it")
        used = s.scalar(
            select(func.count()).where(
                or_(
                    tables.tickets.c.window_id == window_id,
                    tables.tickets.c.target_window_id == window_id,
                )
            )
        ) or s.scalar(select(func.count()).where(tables.service_records.c.window_id == window_id))
        if used:
            raise Conflict(
                "该窗口已有办理记录，不能删除，可保持关闭",
                "This window has served tickets; it is kept for the reports (leave it closed)",
            )
        before = _window_audit(s, window)
        s.execute(delete(WP).where(WP.c.window_id == window_id))
        s.execute(update(D).where(D.c.window_id == window_id).values(window_id=None))
        hall_id = window.hall_id
        s.delete(window)
        change.record("window.delete", hall_id, f"window {before['number']}", before, None)
        change.removed_windows.append((hall_id, window_id))
        change.queues.add(hall_id)
        change.devices.add(hall_id)
