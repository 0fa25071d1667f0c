"""The counter's API routes: the signed-in clerk's windows, what a transfer or finish can choose
from, today's figures of a window, and the window's actions (open, call next, finish…)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from sqlalchemy import select

from ...api import EMPTY, WINDOW, api, body
from ...api import models as m
from ...api import request_models as rm
from ...api.openapi import Model
from ...api.spec import IDEMPOTENCY_KEY, documented
from ...domain.errors import NotFound
from ...domain.model import OUTCOME_NAMES, Category, Clerk, Role, ServiceItem, Window, WindowPost
from ...http import current_actor, deps
from ...services import access, evaluation, views
from ...services import queue as q
from ...services.context import Actor
from ...store import tables

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
    return window


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


# -- the window's actions -----------------------------------------------------------------


@documented(
    api,
    "GET",
    f"/windows/{WINDOW}",
    "The counter panel's view of a window (posted clerk)",
    auth="clerk",
    errors=(404,),
    returns=m.WindowPanel,
)
def window_panel(window: int) -> Any:
    return jsonify(q.window_panel(deps(), current_actor(), window))


def _window_action(name: str, summary: str, schema: Model | None, run: Any) -> None:
    def view(window: int) -> Any:
        return jsonify(run(current_actor(), window, body()))

    view.__name__ = f"window_{name.replace('-', '_')}"
    documented(
        api,
        "POST",
        f"/windows/{WINDOW}/{name}",
        summary,
        body=schema or EMPTY,
        auth="clerk",
        errors=(404, 409),
        returns=m.WindowReply if name in WINDOW_CHANGES else m.TicketReply,
        headers=(IDEMPOTENCY_KEY,) if name == "call-next" else (),
    )(view)


WINDOW_CHANGES = ("open", "close", "pause", "resume")


_window_action("open", "Open the window (or take it over as the B post)", None,
               lambda a, w, b: q.open_window(deps(), a, w))  # fmt: skip
_window_action("close", "Close the window", None, lambda a, w, b: q.close_window(deps(), a, w))
_window_action(
    "call-next",
    "Finish the current ticket, if any, and call the next one ({ticket: null} when none waits); "
    "a retry that sends the same Idempotency-Key header gets the same ticket, and without a key "
    "a ticket called moments ago (queue rule call_next_guard_seconds, 10) is not finished: 409",
    None,
    lambda a, w, b: q.call_next(deps(), a, w, request.headers.get("Idempotency-Key")),
)
_window_action(
    "call",
    "Call a chosen ticket out of order (where the hall allows it; audited)",
    rm.TicketChoice,
    lambda a, w, b: q.call_ticket(deps(), a, w, b.get("ticket")),
)
_window_action("recall", "Call the current ticket again (重呼)", None,
               lambda a, w, b: q.recall(deps(), a, w))  # fmt: skip
_window_action("start", "The citizen arrived: start serving", None,
               lambda a, w, b: q.start(deps(), a, w))  # fmt: skip
_window_action(
    "finish",
    "Finish the current service with the items done and an outcome (default 办结)",
    rm.Finish,
    lambda a, w, b: q.finish(deps(), a, w, b.get("items"), b.get("outcome")),
)
_window_action("no-show", "Mark the called ticket as a no-show (过号)", None,
               lambda a, w, b: q.no_show(deps(), a, w))  # fmt: skip
_window_action("hold", "Park the current ticket (暂离)", None, lambda a, w, b: q.hold(deps(), a, w))
_window_action(
    "resume-held",
    "Continue serving a held ticket",
    rm.HeldTicketChoice,
    lambda a, w, b: q.resume_ticket(deps(), a, w, b.get("ticket")),
)
_window_action(
    "return",
    "A no-show citizen came back: the ticket re-enters near the front",
    rm.TicketChoice,
    lambda a, w, b: q.return_ticket(deps(), a, w, b.get("ticket")),
)
_window_action(
    "transfer",
    "Transfer the current ticket to a category, window or named clerk (转移)",
    rm.Transfer,
    lambda a, w, b: q.transfer(
        deps(),
        a,
        w,
        category=b.get("category"),
        to_window=b.get("window"),
        clerk=b.get("clerk"),
        note=b.get("note", ""),
    ),
)
_window_action(
    "pause",
    "Pause the window with a reason (暂停服务)",
    rm.Pause,
    lambda a, w, b: q.pause_window(deps(), a, w, b.get("reason")),
)
_window_action("resume", "Resume the window after a pause", None,
               lambda a, w, b: q.resume_window(deps(), a, w))  # fmt: skip
