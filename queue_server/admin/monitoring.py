"""Watching a hall: the live monitor, reports (统计报表) and the performance sheets (效能考评)."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request

from ..domain import reports as rp
from ..domain.model import WINDOW_TYPE_NAMES
from ..http import deps
from ..services import admin, reports
from . import charts
from .blueprint import bp
from .pages import date_arg, download, me, page


@bp.get("/halls/<int:hall>/monitor")
def monitor(hall: int) -> Any:
    """实时监控: every window of the hall, live."""
    snapshot = _with_health(admin.monitor_snapshot(deps(), me(), hall))
    return page("admin/monitor.html", hall_id=hall, snapshot=snapshot, types=WINDOW_TYPE_NAMES)


@bp.get("/halls/<int:hall>/monitor/live")
def monitor_live(hall: int) -> Any:
    """The monitor's live part, redrawn by the page on every event of the hall's room."""
    snapshot = _with_health(admin.monitor_snapshot(deps(), me(), hall))
    return render_template("admin/_monitor_live.html", snapshot=snapshot)


def _with_health(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The monitor also says when the database or the message queue does not answer."""
    from ..services import health

    found = health.problems(deps(), current_app.config.get("MESSAGE_QUEUE"))
    return {**snapshot, "health": [p.as_dict() for p in found]}


def _period(hall: int) -> rp.Period:
    kind = request.args.get("period", "day")
    return reports.resolve_period(
        deps(), me(), hall, kind, date_arg("date"), date_arg("start"), date_arg("end")
    )


def _period_page(template: str, hall: int, **context: Any) -> Any:
    """A page of figures for a period, with the period chooser."""
    return page(template, hall_id=hall, periods=reports.PERIOD_NAMES, args=request.args, **context)


def _report_charts(report: reports.Report) -> list[Any]:
    labels = [
        row.label[-5:] if report.series_by == "day" else row.label[:5] for row in report.series
    ]
    made = [
        charts.bar_chart(
            "chart-volume",
            "取号与办结" + ("（按日）" if report.series_by == "day" else "（按时段）"),
            "Tickets issued and served",
            labels,
            [
                charts.Series(
                    "取号", "Issued", [r.figures.issued for r in report.series], "issued"
                ),
                charts.Series(
                    "办结", "Served", [r.figures.served for r in report.series], "served"
                ),
            ],
        )
    ]
    rows = [r for r in report.rows if r.figures.issued or r.figures.services]
    if rows:
        made.append(
            charts.hbar_chart(
                "chart-wait",
                "平均等候时间",
                "Average wait",
                [r.label for r in rows],
                [
                    None
                    if r.figures.wait_avg_minutes is None
                    else round(r.figures.wait_avg_minutes, 1)
                    for r in rows
                ],
                unit=" 分",
            )
        )
    return made


@bp.get("/halls/<int:hall>/reports")
def report(hall: int) -> Any:
    """统计报表: by day, week, month or range; by hall, category, item, window, clerk."""
    by = request.args.get("by", "hall")
    period = _period(hall)
    result = reports.build_report(deps(), me(), hall, period, by)
    return _period_page(
        "admin/reports.html",
        hall,
        report=result,
        charts=_report_charts(result),
        columns=rp.FIGURE_NAMES,
        dimensions=reports.DIMENSION_NAMES,
    )


@bp.get("/halls/<int:hall>/reports.csv")
def report_csv(hall: int) -> Any:
    """The report as CSV."""
    period = _period(hall)
    result = reports.build_report(deps(), me(), hall, period, request.args.get("by", "hall"))
    name = f"report-hall{hall}-{period.start.isoformat()}-{period.end.isoformat()}-{result.by}.csv"
    return download(reports.report_csv(result), name, "text/csv; charset=utf-8")


@bp.get("/halls/<int:hall>/performance")
def performance(hall: int) -> Any:
    """效能考评: every clerk of the hall for a period."""
    period = _period(hall)
    sheet = reports.performance_sheet(deps(), me(), hall, period)
    return _period_page(
        "admin/performance.html", hall, sheet=sheet, columns=reports.PERFORMANCE_COLUMNS
    )


@bp.get("/halls/<int:hall>/performance.csv")
def performance_csv(hall: int) -> Any:
    """The performance sheet as CSV."""
    period = _period(hall)
    sheet = reports.performance_sheet(deps(), me(), hall, period)
    name = f"performance-hall{hall}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return download(reports.performance_csv(sheet), name, "text/csv; charset=utf-8")


@bp.get("/halls/<int:hall>/performance/<int:clerk>")
def performance_clerk(hall: int, clerk: int) -> Any:
    """One clerk's 效能考评 sheet: figures, days, 差评 and complaints (printable)."""
    period = _period(hall)
    sheet = reports.performance_sheet(deps(), me(), hall, period, clerk)
    chart = charts.bar_chart(
        "chart-clerk",
        "每日办结",
        "Served per day",
        [r.label[-5:] for r in sheet.series],
        [charts.Series("办结", "Served", [r.figures.served for r in sheet.series], "served")],
    )
    return _period_page(
        "admin/performance_clerk.html",
        hall,
        sheet=sheet,
        chart=chart,
        columns=reports.PERFORMANCE_COLUMNS,
    )
