"""A case's printed papers: the 受理回执 of a registered case, and the 一次性告知 slip of an
application refused for missing materials (材料不全), on the printer at the window or else the
hall's kiosk printer, through the kiosk printing's worker (`kiosk.PrintDispatcher`).

The papers carry no ID number and a masked name; the QR code opens the case's page by its token.
A printer set up for the window (a device of the hall with `window_id` and a printer) comes
first; without one, the hall's first kiosk with a printer prints it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from devices.escpos_receipt import CaseReceipt, MissingNotice, printable, render_case_paper
from devices.escpos_ticket import PrinterError

from ..domain.calendar import CalendarYearMissing
from ..domain.cases import CaseState, Material, deadline
from ..domain.errors import Conflict, InvalidInput, NotFound
from ..domain.identity import mask_name
from ..domain.model import Hall, ServiceItem, Window
from ..store import case_tables, tables
from . import access, views
from .cases import _provisional, _to_case
from .context import Actor, Deps, audit
from .hours import official_calendar
from .printing import PrintDispatcher, PrinterSettings
from .unit_of_work import unit_of_work

C = case_tables.cases
D = tables.devices

NO_PRINTER = (
    "本窗口和本大厅的取号机都没有设置小票打印机",
    "Neither this window nor the hall's kiosks have a receipt printer",
)


def hall_phone(hall: Hall) -> str:
    """The phone number the hall prints for questions (hall setting `cases.phone`)."""
    settings = hall.settings if isinstance(hall.settings, dict) else {}
    phone = (settings.get("cases") or {}).get("phone")
    return phone.strip()[:30] if isinstance(phone, str) else ""


def find_printer(session: Any, hall_id: int, window_id: int | None) -> tuple[int, PrinterSettings]:
    """The printer for a window's papers: the window's own, else the hall's first kiosk's."""
    rows = session.execute(
        select(D.c.id, D.c.kind, D.c.window_id, D.c.config)
        .where(D.c.hall_id == hall_id)
        .order_by(D.c.id)
    ).all()
    at_window = [r for r in rows if window_id is not None and r.window_id == window_id]
    kiosks = [r for r in rows if r.kind == "kiosk"]
    for row in [*at_window, *kiosks]:
        if not isinstance(row.config, dict) or not row.config.get("printer"):
            continue
        try:
            settings = PrinterSettings.from_config(row.config)
        except InvalidInput:
            continue  # a printer the console would refuse: try the next one
        if settings is not None:
            return int(row.id), settings
    raise Conflict(*NO_PRINTER)


def _render(paper: CaseReceipt | MissingNotice, settings: PrinterSettings) -> bytes:
    fitted: CaseReceipt | MissingNotice
    if isinstance(paper, CaseReceipt):
        fitted = printable(paper, mode=settings.mode, encoding=settings.encoding)[0]
    else:
        fitted = printable(paper, mode=settings.mode, encoding=settings.encoding)[0]
    try:
        return render_case_paper(
            fitted,
            paper_mm=settings.paper_mm,
            mode=settings.mode,
            encoding=settings.encoding,
        )
    except (PrinterError, ValueError) as error:
        raise Conflict(
            f"回执无法生成：{getattr(error, 'message', error)}",
            f"The paper cannot be rendered: {getattr(error, 'message_en', error)}",
        ) from None


def receipt_of(deps: Deps, session: Any, row: Any) -> CaseReceipt:
    """What goes on the 受理回执 of a case row."""
    case = _to_case(row)
    hall = views.get_hall(session, case.hall_id)
    item = session.get(ServiceItem, case.item_id)
    today = views.today(hall, deps.clock.now())
    calendar = official_calendar(session)
    try:
        promised = deadline(case, calendar, today)
        provisional = _provisional(calendar, case.received_on, promised)
    except CalendarYearMissing:
        promised, provisional = None, False
    return CaseReceipt(
        hall_name=hall.name,
        number=case.number,
        item_name=item.name if item is not None else "",
        applicant=mask_name(row.applicant_name) if row.applicant_name else "",
        received_on=case.received_on,
        deadline=promised,
        deadline_provisional=provisional,
        materials_received=tuple(n for n, m in case.materials.items() if m is Material.PROVIDED),
        materials_to_follow=tuple(n for n, m in case.materials.items() if m is Material.MISSING),
        page_url=f"{deps.public_url.rstrip('/')}/c/{row.token}",
        approved_on_the_spot=case.time_limit_days == 0 and case.state is CaseState.APPROVED,
        hall_phone=hall_phone(hall),
    )


def print_receipt(
    deps: Deps, actor: Actor, case_id: int, printing: PrintDispatcher | None
) -> dict[str, Any]:
    """Print a case's 受理回执 (again, when the applicant lost it) for the hall's staff."""
    with unit_of_work(deps) as uow:
        s = uow.session
        row = s.execute(select(C).where(C.c.id == case_id)).first()
        if row is None:
            raise NotFound("找不到该办件", "No such case")
        access.require(s, actor, row.hall_id, "case.front_desk")
        device_id, settings = find_printer(s, row.hall_id, row.window_id)
        receipt = receipt_of(deps, s, row)
        data = _render(receipt, settings)
        if printing is None:  # refused before anything is written
            raise Conflict("本服务器未开启打印", "Printing is switched off on this server")
        audit(
            s,
            at=deps.clock.now(),
            actor=actor,
            action="case.receipt",
            hall_id=row.hall_id,
            subject=row.number,
            detail={"case": row.id, "device": device_id},
        )
    printing.print_bytes(row.hall_id, device_id, settings, row.number, data)
    return {"printed": True, "device": device_id, "number": row.number, "bytes": len(data)}


def print_missing_notice(
    deps: Deps, actor: Actor, window_id: int, data: Any, printing: PrintDispatcher | None
) -> dict[str, Any]:
    """一次性告知: the clerk at the window does not accept an application for missing
    materials and prints, at once, every material the applicant must bring."""
    if not isinstance(data, dict):
        raise InvalidInput("告知内容应为对象", "The notice must be a JSON object")
    item_id, missing = data.get("item"), data.get("missing")
    if isinstance(item_id, bool) or not isinstance(item_id, int):
        raise InvalidInput("请选择办理事项", "Choose the service item")
    if not isinstance(missing, list) or not missing or not all(isinstance(m, str) for m in missing):
        raise InvalidInput("请列出缺少的材料", "List the missing materials")
    with unit_of_work(deps) as uow:
        s = uow.session
        window = s.get(Window, window_id)
        if window is None:
            raise NotFound("找不到该窗口", "No such window")
        access.require(s, actor, window.hall_id, "case.receive", window=window)
        item = s.get(ServiceItem, item_id)
        if item is None or item.hall_id != window.hall_id:
            raise NotFound("本大厅没有该事项", "This hall has no such service item")
        unknown = [m for m in missing if m not in item.materials]
        if unknown:
            raise InvalidInput(
                f"事项没有这些材料：{'、'.join(unknown)}",
                "The item has no such materials",
            )
        hall = views.get_hall(s, window.hall_id)
        device_id, settings = find_printer(s, window.hall_id, window_id)
        notice = MissingNotice(
            hall_name=hall.name,
            item_name=item.name,
            on=views.today(hall, deps.clock.now()),
            missing=tuple(m for m in item.materials if m in missing),
            provided=tuple(m for m in item.materials if m not in missing),
            window=f"{window.number} 号窗口",
            hall_phone=hall_phone(hall),
        )
        rendered = _render(notice, settings)
        if printing is None:  # refused before anything is written
            raise Conflict("本服务器未开启打印", "Printing is switched off on this server")
        audit(
            s,
            at=deps.clock.now(),
            actor=actor,
            action="case.missing_notice",
            hall_id=window.hall_id,
            subject=item.code,
            detail={"item": item.id, "missing": list(notice.missing), "window": window.number},
        )
    printing.print_bytes(window.hall_id, device_id, settings, "告知单", rendered)
    return {"printed": True, "device": device_id, "missing": list(notice.missing)}
