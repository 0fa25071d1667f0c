"""The halls: the overview of every hall in reach, the hall switcher, a hall's settings, a new
hall below one, and the lobby notice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, redirect, request, url_for

from ..http import deps
from ..services import admin
from ..services.admin import FieldErrors
from . import forms
from .blueprint import bp
from .forms import Form, Option
from .pages import SECTIONS, done, form_view, me, page


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
    """大厅设置: name, level, parent, time zone, the service day's start, flexible windows, the
    queue rules and the 办件 settings (the phone on the case papers, pickup tickets' priority)."""
    actor = me()
    detail = admin.hall_detail(deps(), actor, hall)
    tree = admin.hall_tree(deps(), actor)
    form = _hall_form(forms.values_of(detail, admin.HALL_FIELDS), parents=tree)
    day_form = Form(
        admin.SERVICE_DAY_FIELDS, values={"day_starts_at_minute": detail["day_starts_at_minute"]}
    )
    flexible_form = Form(admin.FLEXIBLE_FIELDS, values=dict(detail["flexible"]))
    queue_form = Form(admin.QUEUE_RULE_FIELDS, values=dict(detail["queue"]))
    case_form = Form(admin.CASE_FIELDS, values=dict(detail["cases"]))
    status = 200
    if request.method == "POST":
        savers: dict[str, tuple[Form, Callable[..., Any]]] = {
            "hall": (form, admin.update_hall),
            "day": (day_form, admin.set_service_day_start),
            "flexible": (flexible_form, admin.set_flexible_rule),
            "queue": (queue_form, admin.set_queue_rules),
            "cases": (case_form, admin.set_case_settings),
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
        case_form=case_form,
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
    return form_view(
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
    return form_view(
        Form(admin.NOTICE_FIELDS, values={"notice": detail["notice"]}),
        lambda data: admin.set_notice(deps(), actor, hall, data),
        lambda _: done("公告已发布", "Notice published", url_for("admin.notice", hall=hall)),
        title=("大厅公告", "Lobby notice"),
        hall_id=hall,
        keep_typed=False,
    )
