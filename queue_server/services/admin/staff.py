"""Staff: accounts, roles, photos and passwords."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select

from ...domain.errors import InvalidInput
from ...domain.model import Clerk, Role
from ...store import admin_tables, tables
from .. import access, auth
from ..context import Actor, Deps
from ..unit_of_work import unit_of_work
from .change import changing, existing, read_one, refuse_taken, snapshot
from .fields import FieldSpec, clean, enum_choices, field_error

W = tables.windows
PHOTOS = admin_tables.staff_photos
K = tables.clerks


ROLE_NAMES = {
    Role.CLERK: ("窗口工作人员", "Clerk"),
    Role.AGENT: ("代办员", "Village agent"),
    Role.MANAGER: ("中心管理员", "Manager"),
    Role.ADMIN: ("系统管理员", "Admin"),
}

CLERK_FIELDS = (
    FieldSpec("staff_no", "工号", "Staff number", required=True, max_len=32),
    FieldSpec("name", "姓名", "Name", required=True, max_len=60),
    FieldSpec("role", "角色", "Role", "choice", required=True, choices=enum_choices(ROLE_NAMES)),
    FieldSpec("hall_id", "所属大厅", "Hall", "ref", required=True),
    FieldSpec("department", "所属部门", "Department", max_len=120),
    FieldSpec("photo_url", "照片地址", "Photo URL", max_len=300),
    FieldSpec("active", "在岗", "Active", "bool"),
    FieldSpec(
        "password",
        "初始密码",
        "First password",
        "password",
        max_len=128,
        help_zh="不填则自动生成，只显示一次",
        help_en="Leave empty to generate one (shown once)",
    ),
)

MIN_PASSWORD = auth.MIN_PASSWORD
STAFF_NO = re.compile(r"[A-Za-z0-9_-]{1,32}")

CLERK_AUDIT = ("staff_no", "name", "role", "hall_id", "department", "photo_url", "active")
NO_CLERK = ("找不到该工作人员", "No such member of staff")


def clerk_admin_view(clerk: Clerk) -> dict[str, Any]:
    """A member of staff as the console shows them (never the password hash)."""
    zh, en = ROLE_NAMES[clerk.role]
    return {"id": clerk.id, **snapshot(clerk, CLERK_AUDIT), "role_name": zh, "role_name_en": en}


def list_clerks(deps: Deps, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
    """The staff of a hall (not of the halls below it), by staff number."""
    with deps.db.reading() as session:
        access.require_hall(session, actor, hall_id, "staff.manage")
        return [
            clerk_admin_view(c)
            for c in session.scalars(
                select(Clerk).where(K.c.hall_id == hall_id).order_by(K.c.staff_no)
            )
        ]


def get_clerk(deps: Deps, actor: Actor, clerk_id: int) -> dict[str, Any]:
    """One member of staff."""
    return read_one(
        deps, actor, Clerk, clerk_id, NO_CLERK, lambda _, c: clerk_admin_view(c), "staff.manage"
    )


def _check_photo(url: str) -> None:
    if (
        url
        and not (url.startswith(("https://", "http://", "/")))
        or any(c in url for c in "\"'<> ")
    ):
        raise field_error(
            "photo_url",
            "照片地址须以 http(s):// 或 / 开头",
            "The photo URL must start with http(s):// or /",
        )


def new_password() -> str:
    """A random password for a new or reset account (shown once)."""
    return auth.new_secret()[:12]


def save_clerk(
    deps: Deps, actor: Actor, clerk_id: int | None, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Add a member of staff (returns their first password once) or change one."""
    values = clean(CLERK_FIELDS, data, partial=clerk_id is not None)
    if "staff_no" in values and not STAFF_NO.fullmatch(values["staff_no"]):
        raise field_error(
            "staff_no",
            "工号只能包含字母、数字、- 和 _",
            "A staff number has letters, digits, - and _ only",
        )
    password = values.pop("password", "") if clerk_id is None else values.pop("password", None)
    if clerk_id is not None and password:
        raise field_error(
            "password", "请用“重置密码”修改密码", "Use the password reset to change a password"
        )
    if password:
        try:
            auth.check_password_rules(values.get("staff_no", ""), password)
        except InvalidInput as weak:
            raise field_error("password", weak.message, weak.message_en) from weak
    if "role" in values and Role(values["role"]) not in access.grantable_roles(actor):
        raise field_error("role", "您不能授予系统管理员角色", "You cannot make someone an admin")
    with changing(deps, actor, "staff.manage") as change:
        s = change.session
        if clerk_id is None:
            change.hall(values["hall_id"])
            clerk = Clerk(
                hall_id=values["hall_id"],
                staff_no=values["staff_no"],
                name=values["name"],
                role=Role(values["role"]),
            )
            shown_password = password or new_password()
            clerk.password_hash = auth.hash_password(shown_password)
            before = None
            s.add(clerk)
        else:
            clerk = existing(s, Clerk, clerk_id, NO_CLERK)
            change.hall(clerk.hall_id)
            if clerk.role == Role.ADMIN:  # only an admin changes another admin
                access.require(s, actor, clerk.hall_id, "deployment.configure")
            if clerk.id == actor.id and (
                values.get("role", clerk.role) != clerk.role or values.get("active") is False
            ):
                raise field_error(
                    "role",
                    "不能更改自己的角色或停用自己",
                    "You cannot change your own role or deactivate yourself",
                )
            if "hall_id" in values:
                change.hall(values["hall_id"])
            shown_password = ""
            before = snapshot(clerk, CLERK_AUDIT)
        for key in ("staff_no", "name", "hall_id", "department", "photo_url", "active"):
            if key in values:
                setattr(clerk, key, values[key])
        if "role" in values:
            clerk.role = Role(values["role"])
        _check_photo(clerk.photo_url)
        refuse_taken(
            s,
            K,
            clerk.id,
            "staff_no",
            f"工号 {clerk.staff_no} 已被使用",
            f"Staff number {clerk.staff_no} is taken",
            staff_no=clerk.staff_no,
        )
        s.flush()
        if before is not None and not clerk.active:
            auth.revoke_sign_ins(s, clerk.id or 0)
        change.record(
            "clerk.create" if before is None else "clerk.update",
            clerk.hall_id,
            clerk.staff_no,
            before,
            snapshot(clerk, CLERK_AUDIT),
        )
        # Window displays show the clerk on duty: name, number, department, photo.
        for window_id in s.scalars(select(W.c.id).where(W.c.active_clerk_id == clerk.id)):
            change.windows.add(int(window_id))
        result = clerk_admin_view(clerk)
        if shown_password:
            result["password"] = shown_password
    return result


def reset_password(deps: Deps, actor: Actor, clerk_id: int) -> str:
    """A new random password (shown once); the person's sign-ins end at once, and their next
    sign-in must choose a password of their own first."""
    password = new_password()
    with changing(deps, actor, "staff.manage") as change:
        s = change.session
        clerk = existing(s, Clerk, clerk_id, NO_CLERK)
        change.hall(clerk.hall_id)
        if clerk.role == Role.ADMIN:
            access.require(s, actor, clerk.hall_id, "deployment.configure")
        clerk.password_hash = auth.hash_password(password)
        clerk.must_change_password = True
        auth.revoke_sign_ins(s, clerk_id)
        change.record("clerk.reset_password", clerk.hall_id, clerk.staff_no, None, None)
    return password


def set_clerk_photo(deps: Deps, actor: Actor, clerk_id: int, url: str) -> dict[str, Any]:
    """Point a clerk's photo at an uploaded file (the upload itself is the web layer's)."""
    return save_clerk(deps, actor, clerk_id, {"photo_url": url})


def store_clerk_photo(
    deps: Deps, actor: Actor, clerk_id: int, name: str, content_type: str, data: bytes
) -> None:
    """Keep an uploaded photo in the database: every process of a deployment serves it, and
    `hallq backup` has it."""
    get_clerk(deps, actor, clerk_id)  # the clerk exists and is the actor's to change
    with unit_of_work(deps) as uow:
        session = uow.session
        found = session.scalar(select(PHOTOS.c.name).where(PHOTOS.c.name == name))
        if found is None:
            session.execute(
                insert(PHOTOS).values(
                    name=name,
                    clerk_id=clerk_id,
                    content_type=content_type,
                    data=data,
                    created_at=deps.clock.now(),
                )
            )


def clerk_photo(deps: Deps, name: str) -> tuple[str, bytes] | None:
    """An uploaded photo's content type and bytes, if there is one of that name."""
    with deps.db.reading() as session:
        row = session.execute(
            select(PHOTOS.c.content_type, PHOTOS.c.data).where(PHOTOS.c.name == name)
        ).first()
    return (str(row.content_type), bytes(row.data)) if row is not None else None
