"""The console's case pages (办件): cases per state and the overdue list, and the case report —
按时办结率 and average working days per hall (rolled up village → town → county), item or
department — with its CSV."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ..domain import case_reports as cr
from ..http import deps
from ..services import case_reports, reports
from .blueprint import bp
from .monitoring import _period
from .pages import me, page


@bp.get("/halls/<int:hall>/cases")
def cases(hall: int) -> Any:
    """办件: how many cases stand in each state, and those past their promised day."""
    return page(
        "admin/cases.html",
        hall_id=hall,
        counts=case_reports.state_counts(deps(), me(), hall),
        overdue=case_reports.overdue_cases(deps(), me(), hall),
    )


def _report(hall: int) -> case_reports.CaseReport:
    return case_reports.case_report(
        deps(), me(), hall, _period(hall), request.args.get("by", "hall")
    )


@bp.get("/halls/<int:hall>/cases/report")
def case_report(hall: int) -> Any:
    """办件统计: 按时办结率 and average working days for a period."""
    return page(
        "admin/case_report.html",
        hall_id=hall,
        report=_report(hall),
        columns=cr.CASE_FIGURE_NAMES,
        dimensions=case_reports.DIMENSION_NAMES,
        periods=reports.PERIOD_NAMES,
        args=request.args,
    )


@bp.get("/halls/<int:hall>/cases/report.csv")
def case_report_csv(hall: int) -> Any:
    """The case report as CSV."""
    result = _report(hall)
    name = (
        f"cases-hall{hall}-{result.period.start.isoformat()}-{result.period.end.isoformat()}"
        f"-{result.by}.csv"
    )
    # content_type is sent as given (a mimetype would get a second "; charset=utf-8").
    response = Response(
        case_reports.case_report_csv(result).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
