"""Reports and the 效能考评 sheet: load one fact per ticket, visit, rating, complaint and
follow-up of a hall and the halls below it for a period, then count them in domain/reports.py."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, select
from sqlalchemy.orm import Session

from ..domain import reports as rp
from ..domain.errors import InvalidInput
from ..domain.model import Category, Clerk, Hall, Role, ServiceItem, Window
from ..store import admin_tables, tables
from . import access, case_reports, complaints, views
from .context import Actor, Deps

T = tables.tickets
SR = tables.service_records
E = tables.evaluations
CP = admin_tables.complaints
F = admin_tables.follow_ups

DIMENSION_NAMES = {
    "hall": ("大厅", "Hall"),
    "category": ("业务类别", "Category"),
    "item": ("办理事项", "Service item"),
    "window": ("窗口", "Window"),
    "clerk": ("工作人员", "Clerk"),
    "day": ("日期", "Day"),
    "hour": ("时段", "Hour"),
}
PERIOD_NAMES = {
    "day": ("日报", "Day"),
    "week": ("周报", "Week"),
    "month": ("月报", "Month"),
    "range": ("自定义", "Custom range"),
}
NONE_LABELS = {
    "window": ("（未叫号）", "(not called)"),
    "clerk": ("（未叫号）", "(not called)"),
    "item": ("（未选事项）", "(no item chosen)"),
    "category": ("（无类别）", "(no category)"),
}


def _local(at: datetime, zone: ZoneInfo) -> datetime:
    return at.astimezone(zone)


def load_facts(
    session: Session, halls: dict[int, Hall], period: rp.Period, now: datetime
) -> rp.Facts:
    """Every fact of these halls in the period (tickets by service day, the rest by date)."""
    ids = list(halls)
    zones = {hall_id: ZoneInfo(hall.timezone) for hall_id, hall in halls.items()}
    targets = {
        int(cid): minutes * 60
        for cid, minutes in session.execute(
            select(tables.categories.c.id, tables.categories.c.target_wait_minutes).where(
                tables.categories.c.hall_id.in_(ids)
            )
        )
    }
    in_period = (
        T.c.hall_id.in_(ids),
        T.c.service_day >= period.start,
        T.c.service_day <= period.end,
    )
    tickets = session.execute(
        select(
            T.c.id,
            T.c.hall_id,
            T.c.category_id,
            T.c.service_item_id,
            T.c.window_id,
            T.c.clerk_id,
            T.c.service_day,
            T.c.issued_at,
            T.c.appointment_due_at,
            T.c.state,
        ).where(*in_period)
    ).all()
    visits = session.execute(
        select(
            SR.c.ticket_id,
            SR.c.hall_id,
            SR.c.category_id,
            SR.c.window_id,
            SR.c.clerk_id,
            SR.c.called_at,
            SR.c.started_at,
            SR.c.ended_at,
            T.c.service_item_id,
            T.c.service_day,
        )
        .join(T, T.c.id == SR.c.ticket_id)
        .where(*in_period)
        .order_by(SR.c.called_at, SR.c.id)
    ).all()
    first_visit: dict[int, Any] = {}
    services: list[rp.ServiceFact] = []
    for visit in visits:
        first_visit.setdefault(visit.ticket_id, visit)
        if visit.started_at is not None and visit.ended_at is not None:
            services.append(
                rp.ServiceFact(
                    hall_id=visit.hall_id,
                    category_id=visit.category_id,
                    item_id=visit.service_item_id,
                    window_id=visit.window_id,
                    clerk_id=visit.clerk_id,
                    day=visit.service_day,
                    hour=_local(visit.started_at, zones[visit.hall_id]).hour,
                    seconds=(visit.ended_at - visit.started_at).total_seconds(),
                )
            )
    ticket_facts = []
    for t in tickets:
        first = first_visit.get(t.id)
        category = first.category_id if first is not None else t.category_id
        ticket_facts.append(
            rp.TicketFact(
                hall_id=t.hall_id,
                category_id=t.category_id,
                item_id=t.service_item_id,
                window_id=t.window_id,
                clerk_id=t.clerk_id,
                day=t.service_day,
                hour=_local(t.issued_at, zones[t.hall_id]).hour,
                state=str(t.state.value if hasattr(t.state, "value") else t.state),
                wait_seconds=rp.wait_seconds(
                    t.issued_at.timestamp(),
                    first.called_at.timestamp() if first is not None else None,
                    t.appointment_due_at.timestamp() if t.appointment_due_at else None,
                ),
                target_wait_seconds=targets.get(category),
            )
        )
    ratings = [
        rp.RatingFact(
            hall_id=r.hall_id,
            category_id=r.category_id,
            item_id=r.service_item_id,
            window_id=r.window_id,
            clerk_id=r.clerk_id,
            day=r.service_day,
            hour=_local(r.created_at, zones[r.hall_id]).hour,
            level=r.level,
        )
        for r in session.execute(
            select(
                E.c.hall_id,
                E.c.window_id,
                E.c.clerk_id,
                E.c.level,
                E.c.created_at,
                T.c.category_id,
                T.c.service_item_id,
                T.c.service_day,
            )
            .join(T, T.c.id == E.c.ticket_id)
            .where(*in_period)
        )
    ]
    today = {hall_id: complaints.hall_today(hall, now) for hall_id, hall in halls.items()}
    cases = partial(_case_facts, session, ids, period, zones, today)
    complaint_facts = [
        rp.ComplaintFact(**shared, resolved=c.status == "resolved", upheld=bool(c.upheld))
        for c, shared in cases(CP.c.registered_on, CP.c.created_at, CP.c.resolved_at, outer=True)
    ]
    follow_facts = [
        rp.FollowUpFact(**shared, closed=f.stage == "closed")
        for f, shared in cases(F.c.opened_on, F.c.opened_at, F.c.closed_at, outer=False)
    ]
    return rp.Facts(
        tuple(ticket_facts),
        tuple(services),
        tuple(ratings),
        tuple(complaint_facts),
        tuple(follow_facts),
    )


def _case_facts(
    session: Session,
    ids: list[int],
    period: rp.Period,
    zones: dict[int, ZoneInfo],
    today: dict[int, date],
    day: Column[Any],
    at: Column[Any],
    finished_at: Column[Any],
    *,
    outer: bool,
) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Each complaint or follow-up whose `day` is in the period, with the fields both kinds of
    fact share: where and when it came, and whether it was (or still is) past its due day."""
    table = day.table
    for row in session.execute(
        select(table, T.c.category_id, T.c.service_item_id)
        .join(T, T.c.id == table.c.ticket_id, isouter=outer)
        .where(table.c.hall_id.in_(ids), day >= period.start, day <= period.end)
    ):
        zone = zones[row.hall_id]
        finished = getattr(row, finished_at.name)
        finished_on = _local(finished, zone).date() if finished else None
        yield (
            row,
            {
                "hall_id": row.hall_id,
                "category_id": row.category_id,
                "item_id": row.service_item_id,
                "window_id": row.window_id,
                "clerk_id": row.clerk_id,
                "day": getattr(row, day.name),
                "hour": _local(getattr(row, at.name), zone).hour,
                "overdue": (finished_on or today[row.hall_id]) > row.due_on,
            },
        )


@dataclass
class Row:
    """One line of a report: its group, label, depth in the hall tree, and figures."""

    key: Any
    label: str
    figures: rp.Figures
    depth: int = 0
    label_en: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON."""
        return {
            "key": _key(self.key),
            "label": self.label,
            "depth": self.depth,
            **self.figures.as_dict(),
        }


def _key(key: Any) -> Any:
    return key.isoformat() if isinstance(key, date) else key


@dataclass
class Report:
    """A hall's report for a period, along one dimension."""

    hall: dict[str, Any]
    period: rp.Period
    by: str
    rows: list[Row]
    total: rp.Figures
    series: list[Row] = field(default_factory=list)
    series_by: str = "day"

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON for the API."""
        return {
            "hall": self.hall,
            "period": {
                "kind": self.period.kind,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "by": self.by,
            "rows": [r.as_dict() for r in self.rows],
            "total": self.total.as_dict(),
            "series_by": self.series_by,
            "series": [r.as_dict() for r in self.series],
        }


@dataclass
class Labels:
    """Names of the things a report groups by."""

    halls: dict[int, Hall]
    categories: dict[int, Category]
    items: dict[int, ServiceItem]
    windows: dict[int, Window]
    clerks: dict[int, Clerk]

    def label(self, dimension: str, key: Any) -> str:
        """How a group is named in a table."""
        if key is None:
            return NONE_LABELS.get(dimension, ("（无）", "(none)"))[0]
        if dimension == "hall":
            return self.halls[key].name if key in self.halls else str(key)
        if dimension == "category":
            c = self.categories.get(key)
            return f"{c.prefix} {c.name}" + self._hall_suffix(c.hall_id) if c else str(key)
        if dimension == "item":
            i = self.items.get(key)
            return f"{i.code} {i.name}" if i else str(key)
        if dimension == "window":
            w = self.windows.get(key)
            return f"{w.number} 号 {w.name}" + self._hall_suffix(w.hall_id) if w else str(key)
        if dimension == "clerk":
            k = self.clerks.get(key)
            return f"{k.name}（{k.staff_no}）" if k else str(key)
        if dimension == "hour":
            return f"{key:02d}:00–{key:02d}:59"
        return key.isoformat() if isinstance(key, date) else str(key)

    def _hall_suffix(self, hall_id: int) -> str:
        return (
            f" · {self.halls[hall_id].name}"
            if len(self.halls) > 1 and hall_id in self.halls
            else ""
        )

    def order(self, dimension: str, key: Any) -> tuple[Any, ...]:
        """Sort key of a group (the unnamed group last)."""
        if key is None:
            return (1,)
        if dimension == "category" and key in self.categories:
            c = self.categories[key]
            return (0, c.hall_id, c.sort_order, c.prefix)
        if dimension == "window" and key in self.windows:
            w = self.windows[key]
            return (0, w.hall_id, w.number)
        if dimension == "clerk" and key in self.clerks:
            return (0, self.clerks[key].staff_no)
        if dimension == "item" and key in self.items:
            return (0, self.items[key].code)
        return (0, key)


def _labels(session: Session, halls: dict[int, Hall]) -> Labels:
    ids = list(halls)
    return Labels(
        halls,
        {
            c.id or 0: c
            for c in session.scalars(select(Category).where(tables.categories.c.hall_id.in_(ids)))
        },
        {
            i.id or 0: i
            for i in session.scalars(
                select(ServiceItem).where(tables.service_items.c.hall_id.in_(ids))
            )
        },
        {
            w.id or 0: w
            for w in session.scalars(select(Window).where(tables.windows.c.hall_id.in_(ids)))
        },
        {
            k.id or 0: k
            for k in session.scalars(select(Clerk).where(tables.clerks.c.hall_id.in_(ids)))
        },
    )


def resolve_period(
    deps: Deps,
    actor: Actor,
    hall_id: int,
    kind: str,
    anchor: date | None,
    start: date | None,
    end: date | None,
) -> rp.Period:
    """The period asked for; the anchor defaults to the hall's current service day."""
    with deps.db.reading() as session:
        hall = access.require_hall(session, actor, hall_id, "report.read")
        today = views.today(hall, deps.clock.now())
    return rp.period_of(kind, anchor or today, start, end)


def _scope(
    session: Session, actor: Actor, hall_id: int
) -> tuple[Hall, dict[int, int | None], dict[int, Hall]]:
    hall = access.require_hall(session, actor, hall_id, "report.read")
    parents = access.hall_parents(session)
    below = rp.subtree(parents, hall_id)
    halls = {
        h.id or 0: h for h in session.scalars(select(Hall).where(tables.halls.c.id.in_(below)))
    }
    return hall, parents, halls


def build_report(
    deps: Deps, actor: Actor, hall_id: int, period: rp.Period, by: str = "hall"
) -> Report:
    """A hall's report (with the halls below it) for a period, grouped along one dimension."""
    if by not in rp.DIMENSIONS:
        raise InvalidInput(
            "报表维度须为 大厅、类别、事项、窗口、人员、日期 或 时段",
            f"Unknown report dimension: {by}",
        )
    now = deps.clock.now()
    with deps.db.reading() as session:
        hall, parents, halls = _scope(session, actor, hall_id)
        facts = load_facts(session, halls, period, now)
        labels = _labels(session, halls)
        session.expunge_all()  # the names stay readable once the read is over
    if by == "hall":
        rolled = rp.rollup(facts, parents, halls)
        rows = [
            Row(h, labels.label("hall", h), rolled[h], depth)
            for h, depth in rp.tree_order(parents, halls)
        ]
    else:
        grouped = rp.group(facts, by)
        # Name every configured category and window, even on a quiet day.
        known: dict[int, Any] = {}
        if by == "category":
            known = dict(labels.categories)
        elif by == "window":
            known = dict(labels.windows)
        for key in known:
            grouped.setdefault(key, rp.Figures())
        rows = [
            Row(key, labels.label(by, key), figures)
            for key, figures in sorted(grouped.items(), key=lambda kv: labels.order(by, kv[0]))
        ]
    series_by = "hour" if period.start == period.end else "day"
    by_series = rp.group(facts, series_by)
    keys: Sequence[Any] = (
        period.days if series_by == "day" else sorted(k for k in by_series if k is not None)
    )
    series = [Row(k, labels.label(series_by, k), by_series.get(k, rp.Figures())) for k in keys]
    return Report(
        hall=views.hall_view(hall),
        period=period,
        by=by,
        rows=rows,
        total=rp.figures(facts),
        series=series,
        series_by=series_by,
    )


def report_csv(report: Report) -> str:
    """The report as CSV: one line per group and a total (UTF-8 with BOM for spreadsheets)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    zh, en = DIMENSION_NAMES[report.by]
    writer.writerow([f"{report.hall['name']} {report.period.label}"])
    writer.writerow([f"{zh} {en}", *(f"{z} {e}" for _, z, e in rp.FIGURE_NAMES)])
    for row in [*report.rows, Row(None, "合计 Total", report.total)]:
        values = row.figures.as_dict()
        label = ("　" * row.depth) + row.label
        writer.writerow(
            [label, *("" if values[k] is None else values[k] for k, _, _ in rp.FIGURE_NAMES)]
        )
    return "\ufeff" + out.getvalue()


# =============================================================================================
# 效能考评: the performance sheet of the hall's staff


@dataclass
class PerformanceSheet:
    """Per clerk: work done, times, satisfaction, 差评 follow-ups and complaints in a period."""

    hall: dict[str, Any]
    period: rp.Period
    rows: list[Row]
    clerk: dict[str, Any] | None = None
    series: list[Row] = field(default_factory=list)
    bad_reviews: list[dict[str, Any]] = field(default_factory=list)
    complaints: list[dict[str, Any]] = field(default_factory=list)
    cases_received: dict[int, int] = field(default_factory=dict)  # 受理办件 by clerk

    def values(self, row: Row) -> dict[str, Any]:
        """A clerk's line of the sheet: their figures and the cases they received."""
        return {**row.figures.as_dict(), "cases_received": self.cases_received.get(row.key, 0)}

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON for the API."""
        return {
            "hall": self.hall,
            "period": {
                "kind": self.period.kind,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "rows": [
                {**r.as_dict(), "cases_received": self.cases_received.get(r.key, 0)}
                for r in self.rows
            ],
            "clerk": self.clerk,
            "series": [r.as_dict() for r in self.series],
            "bad_reviews": self.bad_reviews,
            "complaints": self.complaints,
        }


def performance_sheet(
    deps: Deps, actor: Actor, hall_id: int, period: rp.Period, clerk_id: int | None = None
) -> PerformanceSheet:
    """The 效能考评 sheet of the staff of a hall and the halls below it (or of one clerk)."""
    now = deps.clock.now()
    with deps.db.reading() as session:
        hall, _parents, halls = _scope(session, actor, hall_id)
        facts = load_facts(session, halls, period, now)
        labels = _labels(session, halls)
        received = case_reports.received_by_clerk(session, set(halls), period)
        session.expunge_all()  # the names stay readable once the read is over
    clerk_info = None
    if clerk_id is not None:
        clerk = labels.clerks.get(clerk_id)
        if clerk is None:
            from ..domain.errors import NotFound

            raise NotFound("本大厅及下属站点没有该工作人员", "No such clerk in this hall or below")
        facts = facts.where(lambda f: f.clerk_id == clerk_id)
        clerk_info = {
            "id": clerk.id,
            "name": clerk.name,
            "staff_no": clerk.staff_no,
            "department": clerk.department,
            "hall": labels.halls[clerk.hall_id].name,
        }
    grouped = rp.group(facts, "clerk")
    grouped.pop(None, None)
    staff = [
        k
        for k in labels.clerks.values()
        if (clerk_id is None or k.id == clerk_id)
        and (k.id in grouped or (k.active and k.role in (Role.CLERK, Role.AGENT)))
    ]
    rows = [
        Row(k.id, labels.label("clerk", k.id), grouped.get(k.id or 0, rp.Figures()))
        for k in sorted(staff, key=lambda k: k.staff_no)
    ]
    sheet = PerformanceSheet(
        views.hall_view(hall), period, rows, clerk_info, cases_received=received
    )
    if clerk_id is not None:
        by_day = rp.group(facts, "day")
        sheet.series = [Row(d, d.isoformat(), by_day.get(d, rp.Figures())) for d in period.days]
        sheet.bad_reviews = [
            f
            for f in complaints.list_follow_ups(deps, actor, hall_id, "all")
            if f["clerk_id"] == clerk_id
            and period.start.isoformat() <= f["opened_on"] <= period.end.isoformat()
        ]
        sheet.complaints = [
            c
            for c in complaints.list_complaints(deps, actor, hall_id, "all")
            if c["clerk_id"] == clerk_id
            and period.start.isoformat() <= c["registered_on"] <= period.end.isoformat()
        ]
    return sheet


PERFORMANCE_COLUMNS = (
    ("served", "办结", "Served"),
    ("cases_received", "受理办件", "Cases received"),
    ("no_show", "过号", "No-show"),
    ("service_avg_minutes", "平均办理(分)", "Avg service (min)"),
    ("service_p90_minutes", "90%办理(分)", "P90 service (min)"),
    ("wait_avg_minutes", "所叫号平均等候(分)", "Avg wait of own calls (min)"),
    ("within_target_percent", "等候达标率(%)", "Within target wait (%)"),
    ("rated", "评价数", "Ratings"),
    ("satisfaction", "满意度", "Satisfaction"),
    ("bad_reviews", "差评", "Bad reviews"),
    ("follow_ups_overdue", "整改逾期", "Follow-ups overdue"),
    ("complaints", "投诉", "Complaints"),
    ("complaints_upheld", "投诉属实", "Upheld"),
)


def performance_csv(sheet: PerformanceSheet) -> str:
    """The sheet as CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f"{sheet.hall['name']} 效能考评 {sheet.period.label}"])
    writer.writerow(["工作人员 Clerk", *(f"{z} {e}" for _, z, e in PERFORMANCE_COLUMNS)])
    for row in sheet.rows:
        values = sheet.values(row)
        writer.writerow(
            [
                row.label,
                *("" if values[k] is None else values[k] for k, _, _ in PERFORMANCE_COLUMNS),
            ]
        )
    return "\ufeff" + out.getvalue()
