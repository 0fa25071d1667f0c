"""Opening hours (营业时间) of a hall with its date overrides, and the holiday schedule
(节假日安排) of years the chinesecalendar package does not cover."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, url_for

from ..domain.errors import InvalidInput
from ..http import deps
from ..services import access, admin
from ..services.admin import FieldErrors
from . import forms, weekly_hours
from .blueprint import bp
from .forms import Form
from .pages import done, me, page

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
            from ..web.booking.api import notifier

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
