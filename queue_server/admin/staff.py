"""Staff (工作人员): adding and changing them, resetting a password, their photos."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, request, send_file, url_for

from ..domain.errors import InvalidInput
from ..http import deps
from ..services import access, admin
from . import forms
from .blueprint import bp
from .crud import FormPage, Resource
from .forms import Form, Option
from .pages import done, me, page


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


def _clerk_page(hall: int, found: dict[str, Any] | None) -> FormPage:
    if found is None:
        return FormPage(
            _clerk_form({"role": "clerk", "active": True, "hall_id": hall}, creating=True)
        )
    return FormPage(
        _clerk_form(forms.values_of(found, admin.CLERK_FIELDS), creating=False),
        template="admin/clerk_form.html",
        context={"clerk": found},
    )


def _first_password(hall: int, created: dict[str, Any], added: tuple[str, str]) -> Any:
    """A new member of staff's first password, shown once."""
    return page(
        "admin/secret.html",
        hall_id=hall,
        title=added,
        what=f"{created['name']}（{created['staff_no']}）",
        label=("初始密码", "First password"),
        secret=created["password"],
        back=url_for("admin.staff", hall=hall),
    )


Resource(
    one="clerk",
    many="staff",
    get=admin.get_clerk,
    save=lambda deps, actor, _hall, clerk, data: admin.save_clerk(deps, actor, clerk, data),
    form=_clerk_page,
    new_title=("新增工作人员", "New member of staff"),
    title=lambda found: (f"工作人员 {found['name']}", f"Staff {found['staff_no']}"),
    added=("工作人员已添加", "Staff added"),
    saved=("已保存", "Saved"),
    back_to_record=True,
    check_hall=True,
    keep_typed_new=False,
    after_new=_first_password,
).register(bp)
