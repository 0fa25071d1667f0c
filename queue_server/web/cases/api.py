"""API routes of cases (办件, 受审分离): register at a window, the back office's actions, the
citizen's page by token, a hall's list, and the kiosk's pickup ticket (统一出件)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ...api import HALL, WINDOW, api, body
from ...api import case_models as cm
from ...api.models import NoFields
from ...api.openapi import Model
from ...api.spec import Param, documented, query
from ...http import current_actor, deps
from ...services import case_desk, cases

CASE = "<int:case>"


@documented(
    api,
    "POST",
    f"/windows/{WINDOW}/cases",
    "受理: register a case for the ticket served at this window (posted clerk). 201 "
    '{"id", "number", "token", "state", "deadline", "light"}; 422 `materials_missing` with '
    '"missing" when a required material is missing and `accept_with_missing` (容缺受理) is not set',
    body=cm.CaseRegistration,
    auth="clerk",
    status=201,
    errors=(404, 409),
    returns=cm.RegisteredCase,
)
def register_case(window: int) -> Any:
    return jsonify(cases.register_at_window(deps(), current_actor(), window, body())), 201


@documented(
    api,
    "GET",
    "/cases/<string:token>",
    "A case by its token (the receipt's QR, the citizen's page): state, promised day, what is "
    "missing, where to pick it up; personal data masked",
    errors=(404,),
    returns=cm.PublicCase,
)
def case_by_token(token: str) -> Any:
    return jsonify(cases.find_by_token(deps(), token))


STATE = Param(
    "state",
    {"type": "string", "enum": ["", *[s.value for s in cases.CaseState]], "default": ""},
    "办件状态",
    "The cases' state",
)
DEPARTMENT = Param(
    "department",
    {"type": "string", "maxLength": 120, "default": ""},
    "审批部门",
    "A back-office department that reviews the cases",
)
OVERDUE = Param(
    "overdue",
    {"type": "string", "enum": ["true", "false", "1", "0"], "default": "false"},
    "只看超期办件",
    "Only the cases past their promised day",
)


@documented(
    api,
    "GET",
    f"/halls/{HALL}/cases",
    "A hall's cases, the least time left first (staff of the hall or above)",
    auth="clerk",
    errors=(404,),
    query=(STATE, DEPARTMENT, OVERDUE),
    returns=cm.CaseList,
)
def hall_cases(hall: int) -> Any:
    asked = query()
    return jsonify(
        cases.list_cases(
            deps(),
            current_actor(),
            hall,
            state=asked["state"],
            department=asked["department"],
            overdue=asked["overdue"] in ("true", "1"),
        )
    )


def _case_action(name: str, summary: str, schema: Model | None, run: Any) -> None:
    def view(case: int) -> Any:
        return jsonify(run(current_actor(), case, body()))

    view.__name__ = f"case_{name}"
    documented(
        api,
        "POST",
        f"/cases/{CASE}/{name}",
        summary,
        body=schema or NoFields,
        auth="clerk",
        errors=(404, 409),
        returns=cm.Case,
    )(view)


_case_action(
    "claim",
    "认领: an approver takes their department's step of the case (one approver wins)",
    None,
    lambda a, c, b: cases.claim(deps(), a, c),
)
_case_action(
    "approve",
    "审批通过: the approver's department signs off; the case is approved once all have",
    None,
    lambda a, c, b: cases.approve(deps(), a, c),
)
_case_action(
    "return",
    "退回补正: the applicant must bring the missing materials; the deadline's clock stops",
    cm.CorrectionRequest,
    lambda a, c, b: cases.return_for_correction(deps(), a, c, b),
)
_case_action(
    "resubmit",
    "补正: the missing materials arrived; the case is back in review and the clock runs again",
    None,
    lambda a, c, b: cases.resubmit(deps(), a, c),
)
_case_action(
    "refuse",
    "不予许可: the approver's department refuses the case, with the reason",
    cm.Refusal,
    lambda a, c, b: cases.refuse(deps(), a, c, b),
)
_case_action(
    "extend",
    "延期: more working days, with the reason (an approver of the case or a manager)",
    cm.ExtensionRequest,
    lambda a, c, b: cases.extend(deps(), a, c, b),
)
_case_action(
    "deliver",
    "出件: hand out the decision at a window, by post (with the tracking number) or at the "
    "village station",
    cm.Delivery,
    lambda a, c, b: cases.deliver(deps(), a, c, b),
)


@documented(
    api,
    "POST",
    f"/halls/{HALL}/pickup-tickets",
    "统一出件: a ticket of the hall's 出件 category for a ready case, by its number, the "
    "token of the receipt's QR or its whole address (kiosk device token)",
    body=cm.PickupRequest,
    auth="kiosk",
    status=201,
    errors=(404, 409),
    returns=cm.PickupTicket,
)
def pickup_ticket(hall: int) -> Any:
    made = case_desk.pickup_ticket_for_case(deps(), current_actor(), hall, body().get("case"))
    return jsonify(made), 201
