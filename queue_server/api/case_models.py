"""What the case API (办件) answers: a case as staff and as its applicant see it, a registered
case, the kiosk's pickup ticket. See models.py for how the fields are described."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .booking_models import Citizen
from .models import FIELDS, Day, IssuedTicket, Resource, omissible
from .models import text as text_field

FIELDS.update(
    {
        "applicant": ("申请人（已脱敏）", "Applicant (masked)"),
        "received_on": ("受理日", "Received on"),
        "deadline_provisional": (
            "承诺办结日按法定节日暂定",
            "The promised day stands on the statutory holidays only",
        ),
        "light": ("红黄绿灯：green、yellow、red；日历缺失时为 null", "Light; null when unknown"),
        "deadline_unknown": ("承诺办结日未知的原因", "Why the promised day is unknown"),
        "missing": ("缺少的材料（一次性告知）", "Materials missing (told all at once)"),
        "refusal_reason": ("不予受理或不予许可的理由", "Why refused"),
        "decided_on": ("办结日；未办结为 null", "Decided on; null until then"),
        "delivery": ("送达方式；未送达为 null", "How delivered; null until then"),
        "pickup": ("取件地点；未办结为 null", "Where to pick it up; null until decided"),
        "hall_en": ("大厅英文名称", "Hall's name in English"),
        "tracking": ("邮寄单号", "Tracking number"),
        "extensions": ("延期", "Extensions"),
        "on": ("延期的日期", "Day it was extended"),
        "approver_id": ("审批人编号；未认领为 null", "Approver's id; null until claimed"),
        "ticket_id": ("受理时的号的编号", "Id of the ticket it was received at"),
        "clerk_id": ("受理人编号", "Receiving clerk's id"),
        "departments": ("审批部门", "Reviewing departments"),
        "cases": ("办件", "Cases"),
        "truncated": ("是否只列出了前一部分", "Whether the list was cut short"),
    }
)


class CaseItem(Resource):
    id: int
    code: str
    name: str
    name_en: str


class Unknown(Resource):
    message: str = text_field("中文说明", "Message in Chinese")
    message_en: str = text_field("英文说明", "Message in English")


class Pickup(Resource):
    hall: str = text_field("取件的大厅", "Hall to pick it up at")
    hall_en: str


class CaseDeadline(Resource):
    deadline: Day | None = text_field(
        "承诺办结日；该年日历缺失时为 null", "Promised day; null when the year is unknown"
    )
    deadline_provisional: bool | None = None
    light: str | None
    deadline_unknown: Unknown | None = None


class PublicCase(CaseDeadline):
    """A case as its applicant sees it by the token: masked, no staff names."""

    number: str = text_field("办件编号", "Case number")
    state: str = text_field("办件状态", "Case state")
    state_name: str = text_field("状态名称", "State's name")
    state_name_en: str = text_field("状态英文名称", "State's name in English")
    item: CaseItem | None = text_field("办事事项", "Service item")
    applicant: str
    received_on: Day
    missing: list[str]
    refusal_reason: str
    decided_on: Day | None
    delivery: str | None
    pickup: Pickup | None


class Material(Resource):
    name: str = text_field("材料名称", "Material")
    status: str = text_field("材料情况", "Material's status")


class Step(Resource):
    department: str = text_field("审批部门", "Reviewing department")
    state: str = text_field("该步状态", "Step's state")
    approver_id: int | None
    approver: str | None = text_field(
        "认领或签批人的姓名（审批工作台）", "Who claimed or signed it (the workbench)", default=None
    )


class ExtensionRequest(Resource):
    """延期: more working days, and why."""

    days: int = text_field("延长的工作日数", "Working days added")
    reason: Annotated[str, Field(max_length=200)] = text_field("延期理由", "Why extended")


class Extension(ExtensionRequest):
    """A case's extension as granted."""

    on: Day


class Case(CaseDeadline):
    """A case as staff see it: the checklist and steps; the applicant masked."""

    id: int
    number: str = text_field("办件编号", "Case number")
    token: str
    hall_id: int
    state: str = text_field("办件状态", "Case state")
    state_name: str = text_field("状态名称", "State's name")
    state_name_en: str = text_field("状态英文名称", "State's name in English")
    source: str = text_field("受理渠道", "Where it was received")
    item: CaseItem | None = text_field("办事事项", "Service item")
    applicant: Citizen
    materials: list[Material] = text_field("材料清单", "Checklist of materials")
    steps: list[Step] = text_field("审批步骤", "Review steps")
    missing: list[str]
    refusal_reason: str
    extensions: list[Extension]
    received_on: Day
    time_limit_days: int
    decided_on: Day | None
    delivery: str | None
    tracking: str
    ticket_id: int | None
    window_id: int | None
    clerk_id: int | None
    station_id: int | None = text_field(
        "代办的村（社区）便民服务站编号", "Id of the village station that filed it", default=None
    )
    sent_to_station_on: Day | None = text_field(
        "送回服务站的日期", "Day it was sent back to the station", default=None
    )
    my_step: Step | None = text_field(
        "本部门的审批步骤（审批工作台）", "My department's step (the workbench)", default=None
    )


class CaseList(Resource):
    hall_id: int
    cases: list[Case]
    truncated: bool


class RegisteredCase(Resource):
    """A case just received at a window: its number, token and promised day."""

    id: int
    number: str = text_field("办件编号", "Case number")
    token: str
    state: str = text_field("办件状态", "Case state")
    state_name: str = text_field("状态名称", "State's name")
    state_name_en: str = text_field("状态英文名称", "State's name in English")
    deadline: Day = text_field("承诺办结日", "Promised day")
    deadline_provisional: bool
    light: str
    departments: list[str]
    url: str = text_field("查询进度的网址", "Page to follow the case")


class CaseBrief(Resource):
    id: int
    number: str = text_field("办件编号", "Case number")
    state: str = text_field("办件状态", "Case state")


class PickupTicket(IssuedTicket):
    """A ticket of the hall's 出件 category for a ready case."""

    case: CaseBrief = text_field("取件的办件", "The case to pick up")


class WindowCase(Resource):
    """The case of the ticket served at a window: registered for it, or picked up with it."""

    ticket: str | None = text_field("正在办理的号码；无则为 null", "Number served; null if none")
    case: Case | None = text_field("该号的办件；无则为 null", "That ticket's case; null if none")
    pickup: bool = text_field("是否出件号", "Whether it is a pickup ticket")


class Approver(Resource):
    id: int
    name: str


class Workbench(Resource):
    """审批工作台: the undecided cases of the approver's department."""

    hall_id: int
    department: str = text_field("审批部门", "Reviewing department")
    me: Approver = text_field("审批人", "The approver")
    cases: list[Case]


class Printed(Resource):
    """A slip sent to a printer."""

    printed: bool = text_field("是否已发送打印", "Whether it was sent to the printer")
    device: int | None = text_field("打印的设备编号", "Printing device's id")
    number: str | None = text_field("办件编号（回执）", "Case number (a receipt)", default=None)
    bytes: int | None = text_field("发送的字节数", "Bytes sent", default=None)
    missing: list[str] | None = text_field(
        "告知的缺少材料（告知单）", "Missing materials told (a notice)", default=None
    )


class HallName(Resource):
    id: int
    name: str


class StationRef(HallName):
    name_en: str


class StationItem(Resource):
    id: int
    name: str
    name_en: str
    time_limit_days: int | None = text_field("承诺时限（工作日）", "Promised working days")
    materials: list[str] = text_field("申请材料", "Materials to bring")


class StationCase(Case):
    ready_here: bool = text_field(
        "已办结并送回本站，可在此取件", "Decided and back here to pick up"
    )


class StationCases(Resource):
    """A village station's cases (代办) and the items it may file for the town above."""

    station: StationRef = text_field("便民服务站", "Village station")
    town: HallName | None = text_field("上级乡镇便民服务中心", "The town centre above")
    items: list[StationItem] = text_field("可代办的事项", "Items the station may file")
    cases: list[StationCase]
    truncated: bool


class StationRegistered(RegisteredCase):
    """A case the station filed for the town (转报)."""

    station: HallName = text_field("便民服务站", "Village station")
    town: HallName = text_field("上级乡镇便民服务中心", "The town centre above")


# -- requests ----------------------------------------------------------------------------------


class ApplicantEntry(Resource):
    """The applicant as the clerk or the station's agent types them in (not masked)."""

    name: Annotated[str, Field(max_length=30)] = text_field("申请人姓名", "Applicant's name")
    phone: Annotated[str, Field(max_length=20)] = text_field("手机号", "Phone")
    id_number: Annotated[str, Field(max_length=18)] = text_field("身份证号", "ID number")


class CaseRegistration(Resource):
    """受理 at a window, or 代办 at a village station: the item, the applicant, the materials."""

    item: int = text_field("办事事项编号", "Service item's id")
    applicant: ApplicantEntry = text_field("申请人", "Applicant")
    materials: dict[str, Literal["provided", "missing", "na"]] = omissible(
        "各材料的情况，按事项所列名称或序号（1、2…）",
        "Each material's state, by its name as the item lists it or its place (1, 2…)",
    )
    accept_with_missing: bool = omissible("容缺受理", "Accept with a material missing (容缺受理)")


class CorrectionRequest(Resource):
    """退回补正: what the applicant must bring."""

    missing: list[Annotated[str, Field(max_length=200)]] = text_field(
        "须补正的材料", "Materials to bring"
    )
    note: Annotated[str, Field(max_length=200)] = omissible("备注", "Note")


class Refusal(Resource):
    """不予许可: the reason."""

    reason: Annotated[str, Field(max_length=500)] = text_field("不予许可的理由", "Why refused")


class Delivery(Resource):
    """出件: how the decision is handed out."""

    how: Literal["window", "post", "station"] = text_field("送达方式", "How delivered")
    tracking: Annotated[str, Field(max_length=60)] = omissible("邮寄单号", "Tracking number")


class PickupRequest(Resource):
    """统一出件 at the kiosk: the case by its number, its token or the receipt QR's address."""

    case: Annotated[str, Field(max_length=300)] = text_field(
        "办件编号、凭证或回执二维码的完整网址",
        "The case's number, its token, or the receipt QR's whole address",
    )


class MissingNotice(Resource):
    """材料不全: the 一次性告知 slip of the item's missing materials."""

    item: int = text_field("办事事项编号", "Service item's id")
    missing: list[Annotated[str, Field(max_length=200)]] = text_field(
        "缺少的材料", "Materials missing"
    )
