"""A case's papers as ESC/POS bytes: the 受理回执 (receipt) a window hands the applicant, and the
一次性告知 slip listing every missing material when an application is not accepted (材料不全).

They are laid out with the queue ticket's blocks and printed the same way (devices.escpos_ticket):
the printer's Chinese mode with GB18030 or GBK bytes, or a raster image for a printer without a
Chinese font; the QR code to the case's page is the printer's own.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any, Literal, TypeVar

from devices.escpos_ticket import (
    _PAPERS,
    _SHAPING,
    REPLACEMENT,
    _Block,
    _can_print,
    _printable,
    _qr_module_dots,
    _QrCode,
    _render_image_mode,
    _render_text_mode,
    _Rule,
    _Text,
    find_cjk_font,
)


@dataclass(frozen=True)
class CaseReceipt:
    """Everything printed on a 受理回执."""

    hall_name: str
    number: str  # XL-20261208-0007
    item_name: str
    applicant: str  # masked: 张*丰
    received_on: date
    deadline: date | None  # None: the calendar of that year is not known yet
    deadline_provisional: bool  # counted on the statutory holidays: may move
    materials_received: tuple[str, ...]
    materials_to_follow: tuple[str, ...]  # 容缺受理: accepted with these to follow
    page_url: str  # the case's page: the QR code
    approved_on_the_spot: bool = False  # 即办
    hall_phone: str = ""


@dataclass(frozen=True)
class MissingNotice:
    """Everything printed on a 一次性告知 slip: what to bring, all at once."""

    hall_name: str
    item_name: str
    on: date
    missing: tuple[str, ...]
    provided: tuple[str, ...]
    window: str = ""  # "1 号窗口"
    hall_phone: str = ""


Paper = TypeVar("Paper", CaseReceipt, MissingNotice)


def _date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _numbered(names: tuple[str, ...]) -> list[_Block]:
    return [
        _Text(_printable(name), hanging_prefix=f"{index}. ")
        for index, name in enumerate(names, start=1)
    ]


def _receipt_layout(receipt: CaseReceipt) -> list[_Block]:
    blocks: list[_Block] = [
        _Text(_printable(receipt.hall_name), 2, 2, center=True, bold=True),
        _Text("受理回执 Receipt", 1, 2, center=True, bold=True),
        _Rule(),
        _Text("办件编号 Case number:"),
        _Text(_printable(receipt.number), 1, 2, center=True, bold=True),
        _Text(f"办理事项 Item: {_printable(receipt.item_name)}"),
        _Text(f"申请人 Applicant: {_printable(receipt.applicant)}"),
        _Text(f"受理日期 Received: {_date(receipt.received_on)}"),
    ]
    if receipt.approved_on_the_spot:
        blocks.append(_Text("即办件，已当场办结 Decided on the spot", bold=True))
    elif receipt.deadline is None:
        blocks.append(_Text("承诺办结 Promised: 待定（节假日安排未公布）", bold=True))
    else:
        note = "（暂定，以节假日安排为准）" if receipt.deadline_provisional else ""
        blocks.append(_Text(f"承诺办结 Promised: {_date(receipt.deadline)}{note}", bold=True))
    if receipt.materials_received:
        blocks.append(_Text("已收材料 Materials received:", bold=True))
        blocks += _numbered(receipt.materials_received)
    if receipt.materials_to_follow:
        blocks.append(_Text("容缺后补 To bring later:", bold=True))
        blocks += _numbered(receipt.materials_to_follow)
    blocks += [
        _QrCode(receipt.page_url),
        _Text("手机扫码查看办理进度 Scan to follow", center=True),
        _Text("取件时请带本回执 Bring this receipt to pick up", center=True),
    ]
    if receipt.hall_phone:
        blocks.append(_Text(f"咨询电话 Phone: {_printable(receipt.hall_phone)}", center=True))
    return [*blocks, _Rule()]


def _notice_layout(notice: MissingNotice) -> list[_Block]:
    blocks: list[_Block] = [
        _Text(_printable(notice.hall_name), 2, 2, center=True, bold=True),
        _Text("一次性告知单", 1, 2, center=True, bold=True),
        _Text("Missing materials", center=True),
        _Rule(),
        _Text(f"办理事项 Item: {_printable(notice.item_name)}"),
        _Text(f"告知日期 Date: {_date(notice.on)}"),
    ]
    if notice.window:
        blocks.append(_Text(f"告知窗口 Window: {_printable(notice.window)}"))
    blocks += [
        _Text("您的申请材料不全，暂不能受理。请带齐以下材料再来办理：", bold=True),
        _Text("Please bring these materials:"),
        *_numbered(notice.missing),
    ]
    if notice.provided:
        blocks.append(_Text("已核对的材料 Already checked:"))
        blocks += _numbered(notice.provided)
    blocks.append(_Text("以上为全部所缺材料，一次告知 This is the complete list", center=True))
    if notice.hall_phone:
        blocks.append(_Text(f"咨询电话 Phone: {_printable(notice.hall_phone)}", center=True))
    return [*blocks, _Rule()]


def printable(
    paper: Paper, *, mode: str = "text", encoding: str = "gb18030"
) -> tuple[Paper, tuple[str, ...]]:
    """The paper with every character its printer cannot print replaced by □, and those
    characters (a name typed with a rare character still prints, as on a queue ticket)."""
    replaced: dict[str, None] = {}

    def fit(text: str) -> str:
        out = []
        for char in _SHAPING.sub("", text):
            if _can_print(char, mode, encoding):
                out.append(char)
            else:
                replaced[char] = None
                out.append(REPLACEMENT)
        return "".join(out)

    changes: dict[str, Any] = {}
    for spec in fields(paper):
        value = getattr(paper, spec.name)
        if isinstance(value, str) and spec.name != "page_url":
            changes[spec.name] = fit(value)
        elif isinstance(value, tuple):
            changes[spec.name] = tuple(fit(v) for v in value)
    return replace(paper, **changes), tuple(replaced)


def render_case_paper(
    paper: CaseReceipt | MissingNotice,
    *,
    paper_mm: int = 58,
    mode: Literal["text", "image"] = "text",
    encoding: Literal["gb18030", "gbk"] = "gb18030",
    font_path: str | None = None,
) -> bytes:
    """The receipt or the slip as one ESC/POS byte stream, from ESC @ to the cut."""
    if paper_mm not in _PAPERS:
        raise ValueError(f"paper_mm must be 58 or 80, not {paper_mm}")
    if encoding not in ("gb18030", "gbk"):
        raise ValueError(f"encoding must be 'gb18030' or 'gbk', not {encoding!r}")
    size = _PAPERS[paper_mm]
    if isinstance(paper, CaseReceipt):
        blocks = _receipt_layout(paper)
        qr_dots = _qr_module_dots(paper.page_url, size)
    else:
        blocks = _notice_layout(paper)
        qr_dots = 0
    if mode == "text":
        return _render_text_mode(blocks, size, encoding, qr_dots)
    if mode == "image":
        return _render_image_mode(blocks, size, qr_dots, find_cjk_font(font_path))
    raise ValueError(f"mode must be 'text' or 'image', not {mode!r}")
