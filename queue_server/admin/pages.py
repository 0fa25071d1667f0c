"""What every console page shares: the signed-in manager, the page frame with the hall's
navigation, the message after a change, and the form page that runs a use case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Response, flash, redirect, render_template, request

from ..domain.errors import InvalidInput
from ..http import csrf_token, current_actor, deps
from ..services import admin
from ..services.admin import FieldErrors
from ..services.context import Actor
from . import forms
from .forms import Form

# The sections of a hall, in the order of the navigation.
SECTIONS = (
    ("admin.monitor", "实时监控", "Live monitor"),
    ("admin.report", "统计报表", "Reports"),
    ("admin.performance", "效能考评", "Performance"),
    ("admin.cases", "办件", "Cases"),
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


def form_view(
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


def download(text: str, filename: str, mimetype: str) -> Response:
    response = Response(text.encode("utf-8"), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def date_arg(name: str) -> date | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"日期格式不正确：{raw[:20]}", f"Not a date: {raw[:20]}") from None
