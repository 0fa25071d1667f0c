"""差评 follow-ups (差评整改) and complaints (投诉处理)."""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from ..http import deps
from ..services import admin, complaints
from ..services.admin import FieldErrors
from . import forms
from .blueprint import bp
from .forms import Form, Option
from .pages import done, form_view, me, page

STATES = {
    "open": ("未办结", "Open"),
    "overdue": ("已逾期", "Overdue"),
    "closed": ("已办结", "Closed"),
    "all": ("全部", "All"),
}


@bp.get("/halls/<int:hall>/follow-ups")
def follow_ups(hall: int) -> Any:
    """差评整改: each 差评's follow-up, due within 15 working days."""
    state = request.args.get("state", "open")
    if state not in STATES:
        state = "open"
    rows = complaints.list_follow_ups(deps(), me(), hall, state)
    return page("admin/follow_ups.html", hall_id=hall, rows=rows, state=state, states=STATES)


@bp.route("/follow-ups/<int:follow_up>", methods=["GET", "POST"])
def follow_up(follow_up: int) -> Any:
    """One follow-up: verify, rectify, call back, close."""
    actor = me()
    found = complaints.get_follow_up(deps(), actor, follow_up)
    return form_view(
        Form(complaints.STEP_FIELDS, values={"stage": found["stage"]}),
        lambda data: complaints.advance_follow_up(deps(), actor, follow_up, data),
        lambda _: done("已记录", "Recorded", url_for("admin.follow_up", follow_up=follow_up)),
        hall_id=found["hall_id"],
        template="admin/follow_up.html",
        keep_typed=False,
        item=found,
        stages=complaints.STAGE_NAMES,
    )


def _people(hall: int) -> list[Option]:
    return [
        Option(c["id"], f"{c['name']}（{c['staff_no']}）")
        for c in complaints.staff_choices(deps(), me(), hall)
    ]


@bp.get("/halls/<int:hall>/complaints")
def complaints_list(hall: int) -> Any:
    """投诉处理: complaints of the hall and the halls below it."""
    state = request.args.get("state", "open")
    if state not in ("open", "overdue", "resolved", "all"):
        state = "open"
    rows = complaints.list_complaints(deps(), me(), hall, state)
    states = {
        **{k: v for k, v in STATES.items() if k != "closed"},
        "resolved": ("已办结", "Resolved"),
    }
    return page("admin/complaints.html", hall_id=hall, rows=rows, state=state, states=states)


@bp.route("/halls/<int:hall>/complaints/new", methods=["GET", "POST"])
def complaint_new(hall: int) -> Any:
    """登记投诉."""
    actor = me()
    windows_ = admin.list_windows(deps(), actor, hall)
    people = [
        Option(c["id"], f"{c['name']}（{c['staff_no']}）")
        for c in admin.list_clerks(deps(), actor, hall)
    ]
    form = Form(
        complaints.COMPLAINT_FIELDS,
        values={"channel": "walk_in"},
        options={
            "window_id": [Option(w["id"], f"{w['number']} 号 {w['name']}") for w in windows_],
            "clerk_id": people,
            "assignee_id": _people(hall),
        },
    )
    return form_view(
        form,
        lambda data: complaints.register_complaint(deps(), actor, hall, data),
        lambda saved: done(
            "投诉已登记", "Complaint registered", url_for("admin.complaint", complaint=saved["id"])
        ),
        title=("登记投诉", "Register a complaint"),
        hall_id=hall,
    )


def _complaint_page(
    found: dict[str, Any],
    *,
    assign: Form | None = None,
    resolve: Form | None = None,
    status: int = 200,
) -> Any:
    hall = found["hall_id"]
    assign = assign or Form(
        complaints.ASSIGN_FIELDS,
        values={"assignee_id": found["assignee_id"], "due_on": found["due_on"]},
        options={"assignee_id": _people(hall)},
    )
    resolve = resolve or Form(complaints.RESOLVE_FIELDS, values={"upheld": False})
    return page(
        "admin/complaint.html",
        hall_id=hall,
        item=found,
        assign=assign,
        resolve=resolve,
        status=status,
    )


@bp.get("/complaints/<int:complaint>")
def complaint(complaint: int) -> Any:
    """One complaint: assign it with a deadline, resolve it."""
    return _complaint_page(complaints.get_complaint(deps(), me(), complaint))


@bp.post("/complaints/<int:complaint>/assign")
def complaint_assign(complaint: int) -> Any:
    """分派投诉."""
    return _complaint_step(complaint, "assign", ("已分派", "Assigned"))


def _complaint_step(complaint: int, step: str, saved: tuple[str, str]) -> Any:
    """Assign or resolve a complaint; a refused form is shown on the complaint's page (422)."""
    actor = me()
    found = complaints.get_complaint(deps(), actor, complaint)
    if step == "assign":
        run = complaints.assign_complaint
        form = Form(complaints.ASSIGN_FIELDS, options={"assignee_id": _people(found["hall_id"])})
    else:
        run = complaints.resolve_complaint
        form = Form(complaints.RESOLVE_FIELDS)
    try:
        data = forms.parse(form.specs, request.form)
        form.values.update(data)
        run(deps(), actor, complaint, data)
    except FieldErrors as problem:
        return _complaint_page(found, status=422, **{step: form.fail(problem)})
    return done(*saved, url_for("admin.complaint", complaint=complaint))


@bp.post("/complaints/<int:complaint>/resolve")
def complaint_resolve(complaint: int) -> Any:
    """办结投诉."""
    return _complaint_step(complaint, "resolve", ("投诉已办结", "Complaint resolved"))
