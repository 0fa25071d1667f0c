"""API routes where staff meet a case: the counter's case of the ticket served, the printed
受理回执 and 一次性告知, and the back office's workbench (审批工作台)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify

from ...api import WINDOW, api, body
from ...api import case_models as cm
from ...api.models import NoFields
from ...api.spec import Param, documented, query
from ...http import current_actor, deps
from ...services import case_desk, case_receipts


def _printing() -> Any:
    return current_app.extensions.get("hallq_printing")


@documented(
    api,
    "GET",
    f"/windows/{WINDOW}/case",
    "The case of the ticket served at the window: registered for it, or picked up with it "
    '(a 出件 ticket); {"ticket", "case", "pickup"} (posted clerk)',
    auth="clerk",
    errors=(404,),
    returns=cm.WindowCase,
)
def window_case(window: int) -> Any:
    return jsonify(case_desk.window_case(deps(), current_actor(), window))


@documented(
    api,
    "POST",
    "/cases/<int:case>/receipt",
    "Print the case's 受理回执 on the window's printer, else the hall's kiosk printer",
    body=NoFields,
    auth="clerk",
    errors=(404, 409),
    returns=cm.Printed,
)
def print_case_receipt(case: int) -> Any:
    return jsonify(case_receipts.print_receipt(deps(), current_actor(), case, _printing()))


@documented(
    api,
    "POST",
    f"/windows/{WINDOW}/missing-notice",
    "材料不全: print the 一次性告知 slip of every missing material of the item (posted clerk)",
    body=cm.MissingNotice,
    auth="clerk",
    errors=(404, 409),
    returns=cm.Printed,
)
def print_missing_notice(window: int) -> Any:
    return jsonify(
        case_receipts.print_missing_notice(deps(), current_actor(), window, body(), _printing())
    )


HALL_PARAM = Param(
    "hall",
    {"type": "integer", "minimum": 1},
    "大厅（默认本人所在大厅）",
    "The hall (by default the approver's own)",
)


@documented(
    api,
    "GET",
    "/backoffice/cases",
    "审批工作台: the cases of the approver's department, the least time left first, each "
    "parallel step with who signed it",
    auth="clerk",
    errors=(404,),
    query=(HALL_PARAM,),
    returns=cm.Workbench,
)
def backoffice_cases() -> Any:
    hall = query()["hall"] or None
    return jsonify(case_desk.workbench(deps(), current_actor(), hall))
