"""API routes the counter panel needs beyond the window actions: the signed-in clerk's windows,
what a transfer or finish can choose from, and today's figures of a window."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from sqlalchemy import select

from ..api import WINDOW, api
from ..api import models as m
from ..api.spec import documented
from ..domain.errors import NotFound
from ..domain.model import OUTCOME_NAMES, Category, Clerk, Role, ServiceItem, Window, WindowPost
from ..http import current_actor, deps
from ..services import access, evaluation, views
from ..services.context import Actor
from ..store import tables
from . import evaluate  # noqa: F401  (its API routes join the blueprint here, before it mounts)

# The reasons the pause dialog offers; "other" lets the clerk type one.
PAUSE_REASONS = [("休息", "Break"), ("会议", "Meeting"), ("外出", "Out of office")]


def _signed_in() -> Actor:
    actor = current_actor()
    access.require_anywhere(actor, "account.self")
    return actor


@documented(
    api, "GET", "/me/windows", "The windows where the signed-in clerk holds the A or B post",
    auth="clerk",
    returns=m.MyWindows,
)  # fmt: skip
def my_windows() -> Any:
    actor = _signed_in()
    with deps().db.reading() as session:
        me = session.get(Clerk, actor.id)
        posts = session.execute(
            select(WindowPost, Window)
            .join(Window, tables.windows.c.id == tables.window_posts.c.window_id)
            .where(tables.window_posts.c.clerk_id == actor.id)
            .order_by(tables.windows.c.hall_id, tables.windows.c.number)
        ).all()
        result = []
        for post, window in posts:
            partner = session.scalars(
                select(Clerk)
                .join(WindowPost, tables.window_posts.c.clerk_id == tables.clerks.c.id)
                .where(
                    tables.window_posts.c.window_id == window.id,
                    tables.window_posts.c.clerk_id != actor.id,
                )
            ).first()
            view = views.window_view(session, window)
            result.append(
                {
                    **view,
                    "post": post.post.value,
                    "partner": views.clerk_public_view(partner),
                    "staffed_by_me": window.active_clerk_id == actor.id,
                }
            )
        return jsonify(
            {
                "me": {
                    "id": actor.id,
                    "name": actor.name,
                    "staff_no": me.staff_no if me else "",
                    "department": me.department if me else "",
                    "role": actor.role.value if isinstance(actor.role, Role) else actor.role,
                    "hall_id": actor.hall_id,
                },
                "windows": result,
            }
        )


def _posted_window(session: Any, actor: Actor, window_id: int) -> Window:
    window = session.get(Window, window_id)
    if window is None:
        raise NotFound("找不到该窗口", "No such window")
    access.require(session, actor, window.hall_id, "window.operate", window=window)
    return window  # type: ignore[no-any-return]


@documented(
    api,
    "GET",
    f"/windows/{WINDOW}/options",
    "What the counter panel chooses from: categories, windows and clerks to transfer to, "
    "service items, outcomes and pause reasons",
    auth="clerk",
    errors=(404,),
    returns=m.CounterOptions,
)
def counter_options(window: int) -> Any:
    actor = _signed_in()
    with deps().db.reading() as session:
        win = _posted_window(session, actor, window)
        hall = views.get_hall(session, win.hall_id)
        categories = session.scalars(
            select(Category)
            .where(tables.categories.c.hall_id == hall.id, tables.categories.c.active.is_(True))
            .order_by(tables.categories.c.sort_order, tables.categories.c.prefix)
        ).all()
        windows = session.scalars(
            select(Window)
            .where(tables.windows.c.hall_id == hall.id)
            .order_by(tables.windows.c.number)
        ).all()
        clerks = session.scalars(
            select(Clerk)
            .where(
                tables.clerks.c.hall_id == hall.id,
                tables.clerks.c.active.is_(True),
                tables.clerks.c.role == Role.CLERK,
            )
            .order_by(tables.clerks.c.staff_no)
        ).all()
        items = session.scalars(
            select(ServiceItem)
            .where(
                tables.service_items.c.hall_id == hall.id, tables.service_items.c.active.is_(True)
            )
            .order_by(tables.service_items.c.code)
        ).all()
        return jsonify(
            {
                "categories": [views.category_view(c) for c in categories],
                "windows": [
                    {"id": w.id, "number": w.number, "name": w.name}
                    for w in windows
                    if w.id != win.id
                ],
                "clerks": [
                    {"id": c.id, "staff_no": c.staff_no, "name": c.name, "department": c.department}
                    for c in clerks
                    if c.id != actor.id
                ],
                "service_items": [
                    {"id": i.id, "code": i.code, "name": i.name, "category_id": i.category_id}
                    for i in items
                ],
                "outcomes": [
                    {
                        "code": code.value,
                        "name": OUTCOME_NAMES[code][0],
                        "name_en": OUTCOME_NAMES[code][1],
                    }
                    for code in OUTCOME_NAMES
                    if code.value in ("completed", "needs_correction", "back_office")
                ],
                "pause_reasons": [{"name": zh, "name_en": en} for zh, en in PAUSE_REASONS],
                "allow_call_out_of_order": hall.rules.allow_call_out_of_order,
            }
        )


@documented(
    api,
    "GET",
    f"/windows/{WINDOW}/stats",
    "Today's figures of a window (served, no-shows, ratings), the service items of open tickets, and the server's time",
    auth="clerk",
    errors=(404,),
    returns=m.WindowStats,
)
def window_stats(window: int) -> Any:
    actor = _signed_in()
    now = deps().clock.now()
    with deps().db.reading() as session:
        win = _posted_window(session, actor, window)
        stats = evaluation.window_day_stats(session, win, now)
        hall = views.get_hall(session, win.hall_id)
        T, S = tables.tickets, tables.service_items
        rows = session.execute(
            select(T.c.id, S.c.id, S.c.code, S.c.name)
            .join(S, S.c.id == T.c.service_item_id)
            .where(
                T.c.hall_id == win.hall_id,
                T.c.service_day == views.today(hall, now),
                T.c.state.in_(["waiting", "called", "serving", "held"]),
            )
            .limit(500)
        ).all()
    return jsonify(
        {
            "window_id": window,
            "today": stats,
            # The service item each open ticket was taken for (the panel shows it).
            "ticket_items": {
                str(ticket_id): {"id": item_id, "code": code, "name": name}
                for ticket_id, item_id, code, name in rows
            },
            "server_time": views.iso(now),
        }
    )
