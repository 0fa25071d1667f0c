"""What the counter panel and the evaluation pads send: request bodies of the queue API, with
the field descriptions of models.py (FIELDS) wherever a field means the same thing."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..domain.evaluation import EVALUATION_LEVELS, EVALUATION_REASONS
from .models import Resource, omissible, text

# A ticket by its id or its number (A003); a clerk by id or staff number; a window by id or its
# number; a category by id or its prefix letter.
TicketRef = int | Annotated[str, Field(max_length=12)]
ClerkRef = int | Annotated[str, Field(max_length=32)]


class TicketChoice(Resource):
    """The ticket a window acts on: by its id or its number."""

    ticket: TicketRef = text("号：编号或号码，如 A003", "Ticket: its id or number, e.g. A003")


class HeldTicketChoice(TicketChoice):
    """A held ticket to serve again; left out, the one held last."""

    ticket: TicketRef = omissible(
        "号：编号或号码；不填则为最近暂离的号",
        "Ticket: its id or number; left out, the one held last",
    )


class Finish(Resource):
    """Finish the current service: the items done and an outcome (default 办结)."""

    items: Annotated[list[int], Field(max_length=50)] = omissible(
        "办结的办事事项编号", "Ids of the service items done"
    )
    outcome: Literal["completed", "needs_correction", "back_office", "办结", "需补正", "转后台"] = (
        omissible("办理结果（默认办结）", "Outcome (completed by default)")
    )


class Transfer(Resource):
    """转移: to a category, a window or a named clerk."""

    category: int | Annotated[str, Field(max_length=12)] = omissible(
        "业务类别：编号或前缀字母", "Category: its id or prefix letter"
    )
    window: int | Annotated[str, Field(max_length=12)] = omissible(
        "窗口：编号或窗口号", "Window: its id or number"
    )
    clerk: ClerkRef = omissible("工作人员：编号或工号", "Clerk: their id or staff number")
    note: Annotated[str, Field(max_length=200)] = omissible("备注", "Note")


class Pause(Resource):
    """暂停服务, with a reason."""

    reason: Annotated[str, Field(min_length=1, max_length=40)] = text("暂停原因", "Why paused")


class Rating(Resource):
    """A citizen's rating of a finished visit (一次一评)."""

    level: str = text(
        "评价等级",
        "Rating level",
        json_schema_extra={"enum": [level.code for level in EVALUATION_LEVELS]},
    )
    reason: str | None = text(
        "不满意的原因（差评时必选）",
        "Why dissatisfied (needed for a low rating)",
        default=None,
        json_schema_extra={"enum": [reason.code for reason in EVALUATION_REASONS]},
    )
    comment: Annotated[str, Field(max_length=200)] | None = text("意见", "Comment", default=None)


class PadRating(Rating):
    """A rating on the window's evaluation pad, optionally naming the ticket."""

    number: Annotated[str, Field(max_length=8)] | None = text(
        "所评的号码；不填则为该窗口最近办结的号",
        "The ticket's number; left out, the window's last finished one",
        default=None,
    )


class PrinterChange(Resource):
    """A kiosk's ticket printer: where it is, its paper, how tickets are drawn."""

    printer: Annotated[str, Field(max_length=300)] | None = text(
        "打印机地址，如 usb://VID:PID、tcp://IP:9100；null 为不用打印机",
        "The printer's address, e.g. usb://VID:PID, tcp://IP:9100; null for none",
        default=None,
    )
    paper_mm: Literal[58, 80] = omissible()
    mode: Literal["text", "image"] = omissible()
    encoding: Literal["gb18030", "gbk"] = omissible()
    check_status: bool = omissible("打印前查询打印机状态", "Ask the printer's status first")
