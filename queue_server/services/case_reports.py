"""The console's case reports (办件统计): cases per state, the overdue list, 按时办结率 and average
working days per item, department or hall (rolled up village → town → county), the cases each
clerk received (效能考评), CSV; and the hall alarm of overdue cases.

The database does the filtering: a hall's scope, the period, and — for the overdue list —
only undecided cases whose item's time limit in calendar days has passed (a promised day is
never earlier than that, working days being fewer than calendar days); the domain then decides
on the official calendar (`domain/case_reports.py`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, and_, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from ..domain import case_reports as cr
from ..domain import reports as rp
from ..domain.cases import CaseState, Light
from ..domain.errors import InvalidInput
from ..domain.model import Hall, ServiceItem
from ..store import case_tables, tables
from . import access, views
from .cases import _to_case, staff_view
from .context import Actor, Deps
from .hours import official_calendar

C = case_tables.cases
UNDECIDED = (CaseState.RECEIVED.value, CaseState.IN_REVIEW.value, CaseState.CORRECTION.value)
OVERDUE_LIMIT = 500
DIMENSION_NAMES = {
    "hall": ("大厅", "Hall"),
    "item": ("事项", "Service item"),
    "department": ("审批部门", "Department"),
}


class days_after(FunctionElement[date]):  # noqa: N801 (an SQL function's name)
    """`day` + `days` calendar days, in the database's own date arithmetic."""

    type = Date()
    name = "days_after"
    inherit_cache = True


@compiles(days_after)
def _days_after_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"date({compiler.process(day, **kw)}, '+' || {compiler.process(days, **kw)} || ' days')"


@compiles(days_after, "postgresql")
def _days_after_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"({compiler.process(day, **kw)} + {compiler.process(days, **kw)})"


# -- scope ------------------------------------------------------------------------------------


def _scope(
    session: Session, actor: Actor, hall_id: int
) -> tuple[Hall, dict[int, int | None], set[int]]:
    hall = access.require_hall(session, actor, hall_id, "report.read")
    parents = access.hall_parents(session)
    return hall, parents, rp.subtree(parents, hall_id)


def _in(halls: set[int]) -> ColumnElement[bool]:
    """A case of these halls: received there, or at one of their village stations (代办)."""
    return or_(C.c.hall_id.in_(halls), C.c.station_id.in_(halls))


def _todays(session: Session, now: datetime) -> dict[int, date]:
    """Each hall's current service day (the tree is small: one row per hall)."""
    return {hall.id or 0: views.today(hall, now) for hall in session.scalars(select(Hall))}


def _overdue_rows(
    session: Session, where: ColumnElement[bool], todays: dict[int, date]
) -> list[Any]:
    """Undecided cases that may be past their promised day: past their time limit in calendar
    days (every promised day is at least that late), oldest first."""
    latest = max(todays.values(), default=date.min)
    query = (
        select(C)
        .where(
            where,
            C.c.state.in_(UNDECIDED),
            days_after(C.c.received_on, C.c.time_limit_days) < latest,
        )
        .order_by(C.c.received_on, C.c.id)
    )
    return list(session.execute(query).all())


# -- cases per state and the overdue list ----------------------------------------------------


def state_counts(deps: Deps, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
    """How many cases of the hall and the halls below it stand in each state."""
    with deps.db.reading() as session:
        _, _, below = _scope(session, actor, hall_id)
        counted: dict[Any, int] = dict(
            session.execute(
                select(C.c.state, func.count()).where(_in(below)).group_by(C.c.state)
            ).all()
        )
    return [
        {"state": s.value, "name": s.label, "name_en": s.label_en, "count": int(counted.get(s, 0))}
        for s in CaseState
    ]


def overdue_cases(deps: Deps, actor: Actor, hall_id: int) -> list[dict[str, Any]]:
    """The undecided cases of the hall and below past their promised day, the oldest promise
    first, each with the name of the hall (or station) that received it."""
    now = deps.clock.now()
    with deps.db.reading() as session:
        _, _, below = _scope(session, actor, hall_id)
        todays = _todays(session, now)
        calendar = official_calendar(session)
        names = {
            h.id: h.name for h in session.scalars(select(Hall).where(tables.halls.c.id.in_(below)))
        }
        found = []
        for row in _overdue_rows(session, _in(below), todays)[:OVERDUE_LIMIT]:
            case = _to_case(row)
            view = staff_view(session, row, case, calendar, todays[case.hall_id])
            if view["light"] != Light.RED.value:
                continue
            view["hall_name"] = names.get(case.station_id or case.hall_id, "")
            found.append(view)
    found.sort(key=lambda v: (v["deadline"], v["id"]))
    return found


def overdue_by_hall(deps: Deps) -> dict[int, list[str]]:
    """Every hall's overdue cases by number (the hall whose back office has them)."""
    now = deps.clock.now()
    with deps.db.reading() as session:
        todays = _todays(session, now)
        calendar = official_calendar(session)
        result: dict[int, list[str]] = {}
        for row in _overdue_rows(session, C.c.id.is_not(None), todays):
            case = _to_case(row)
            fact = cr.case_fact(case, calendar, todays[case.hall_id])
            if fact.overdue:
                result.setdefault(case.hall_id, []).append(case.number)
    return result


# -- 按时办结率 ---------------------------------------------------------------------------------


@dataclass
class CaseRow:
    """One line of the case report."""

    key: Any
    label: str
    figures: cr.CaseFigures
    depth: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "depth": self.depth,
            **self.figures.as_dict(),
        }


@dataclass
class CaseReport:
    """A hall's case figures for a period, along one dimension."""

    hall: dict[str, Any]
    period: rp.Period
    by: str
    rows: list[CaseRow]
    total: cr.CaseFigures


def _facts(
    session: Session, below: set[int], period: rp.Period, now: datetime
) -> list[cr.CaseFact]:
    """The cases a period's figures need: received in it, decided in it, or still open."""
    todays = _todays(session, now)
    calendar = official_calendar(session)
    query = select(C).where(
        _in(below),
        C.c.received_on <= period.end,
        or_(
            C.c.received_on >= period.start,
            and_(C.c.decided_on >= period.start, C.c.decided_on <= period.end),
            C.c.state.in_(UNDECIDED),
        ),
    )
    return [
        cr.case_fact(_to_case(row), calendar, todays[row.hall_id], clerk_id=row.clerk_id)
        for row in session.execute(query)
    ]


def case_report(deps: Deps, actor: Actor, hall_id: int, period: rp.Period, by: str) -> CaseReport:
    """按时办结率 and average working days of a hall and the halls below it, per hall (rolled
    up), item or department."""
    if by not in DIMENSION_NAMES:
        raise InvalidInput(
            "统计维度须为 大厅、事项 或 审批部门", f"Unknown case report dimension: {by}"
        )
    with deps.db.reading() as session:
        hall, parents, below = _scope(session, actor, hall_id)
        facts = _facts(session, below, period, deps.clock.now())
        if by == "hall":
            names = {
                h.id: h.name
                for h in session.scalars(select(Hall).where(tables.halls.c.id.in_(below)))
            }
            rolled = cr.rollup_cases(facts, parents, below, period)
            rows = [
                CaseRow(h, names.get(h, str(h)), rolled[h], depth)
                for h, depth in rp.tree_order(parents, below)
            ]
        else:
            grouped = cr.group_cases(facts, by, period)
            labels: dict[Any, str] = {}
            if by == "item":
                labels = {
                    i.id: i.name
                    for i in session.scalars(
                        select(ServiceItem).where(tables.service_items.c.id.in_(list(grouped)))
                    )
                }
            rows = [
                CaseRow(key, labels.get(key, str(key) or "（未指定）"), figures)
                for key, figures in sorted(
                    grouped.items(), key=lambda kv: labels.get(kv[0], str(kv[0]))
                )
            ]
        hall_view = views.hall_view(hall)
    return CaseReport(hall_view, period, by, rows, cr.case_figures(facts, period))


def case_report_csv(report: CaseReport) -> str:
    """The report as CSV: one line per group and a total (UTF-8 with BOM for spreadsheets)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    zh, en = DIMENSION_NAMES[report.by]
    writer.writerow([f"{report.hall['name']} 办件统计 {report.period.label}"])
    writer.writerow([f"{zh} {en}", *(f"{z} {e}" for _, z, e in cr.CASE_FIGURE_NAMES)])
    for row in [*report.rows, CaseRow(None, "合计 Total", report.total)]:
        values = row.figures.as_dict()
        writer.writerow(
            [
                ("　" * row.depth) + row.label,
                *("" if values[k] is None else values[k] for k, _, _ in cr.CASE_FIGURE_NAMES),
            ]
        )
    return "\ufeff" + out.getvalue()


# -- 效能考评 ---------------------------------------------------------------------------------


def received_by_clerk(
    session: Session, halls: set[int] | list[int], period: rp.Period
) -> dict[int, int]:
    """How many cases each clerk (受理人) of these halls received in the period."""
    rows = session.execute(
        select(C.c.clerk_id, func.count())
        .join(tables.clerks, tables.clerks.c.id == C.c.clerk_id)
        .where(
            tables.clerks.c.hall_id.in_(list(halls)),
            C.c.received_on >= period.start,
            C.c.received_on <= period.end,
        )
        .group_by(C.c.clerk_id)
    ).all()
    return {int(clerk): int(count) for clerk, count in rows}
