"""A queue ticket as ESC/POS bytes, and the printer error family.

Chinese is printed in the printer's own Chinese mode (FS & then GB18030 or GBK bytes): a ticket
is about 600 bytes, 0.6 s at 9600 baud. Printers without a Chinese font get the text as a raster
image (Pillow and a CJK font) instead: 40-60 KB, fine over USB or the network, slow on a serial
line. The QR code always uses the printer's native QR command. The bytes are built here directly rather than through python-escpos,
which has no GB18030 code page; each command's bytes are spelled out where it is built.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Literal, NamedTuple

import qrcode
from PIL import Image, ImageDraw, ImageFont

from devices.errors import DeviceError

# --- errors: the printer branch of devices.errors.DeviceError, below devices.printer, so both
# modules raise them


class PrinterError(DeviceError):
    """A printer problem, told in Chinese (`message`) and in English (`message_en`)."""


class EncodingProblem(PrinterError):
    """Text that the printer's character set cannot print."""


class PrinterOffline(PrinterError):
    """The printer cannot be reached, or reports itself offline."""


class PaperOut(PrinterError):
    """The printer reports that its paper roll is empty."""


class PrinterTimeout(PrinterError):
    """The printer stopped taking data."""


class FontNotFound(PrinterError):
    """No CJK font to draw an image-mode ticket with."""


# --- the ticket -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketPrint:
    """Everything printed on one queue ticket."""

    hall_name: str
    number: str
    category_name: str
    people_ahead: int
    estimated_wait_minutes: int
    issued_at: datetime  # already in the hall's local time
    phone_url: str
    materials: tuple[str, ...] = ()
    footer: str = "请留意叫号，过号请到服务台重新排队"
    priority_label: str = ""
    window_hint: str = ""

    def __post_init__(self) -> None:
        if self.people_ahead < 0 or self.estimated_wait_minutes < 0:
            raise ValueError("people_ahead and estimated_wait_minutes cannot be negative")


@dataclass(frozen=True)
class _Paper:
    columns: int  # ASCII characters of the 12x24 font per line; a Chinese character takes two
    dots: int  # printable width of the head
    qr_module_dots: int  # preferred QR module size


_PAPERS = {
    58: _Paper(columns=32, dots=384, qr_module_dots=5),
    80: _Paper(columns=48, dots=576, qr_module_dots=7),
}


# ESC/POS commands on a ticket (see the Epson ESC/POS command reference).
_INIT = b"\x1b\x40"  # ESC @: clear the modes a previous job may have left
_CHINESE_MODE = b"\x1c\x26"  # FS &: bytes >= 0x81 now start a GB18030/GBK character
_LF = b"\n"
_CUT = b"\x1b\x64\x04" + b"\x1d\x56\x00"  # ESC d 4 lifts the last line past the blade; GS V 0 cuts


def _align(center: bool) -> bytes:
    """ESC a n (1B 61 n): n = 0 left, 1 centre."""
    return b"\x1b\x61" + bytes((1 if center else 0,))


def _char_size(width: int, height: int) -> bytes:
    """GS ! n (1D 21 n): magnification; unlike ESC !, it enlarges Chinese characters as well."""
    return b"\x1d\x21" + bytes(((width - 1) << 4 | (height - 1),))


def _bold(on: bool) -> bytes:
    """ESC E n (1B 45 n): emphasised printing on or off."""
    return b"\x1b\x45" + bytes((1 if on else 0,))


def _qr_code(payload: str, module_dots: int) -> bytes:
    """The printer's native QR code (GS ( k, model 2): set up, store the data, then print it."""

    def function(fn: int, parameters: bytes) -> bytes:
        # GS ( k pL pH cn fn [parameters]: pL pH count cn, fn and parameters; cn 49 means QR
        size = (len(parameters) + 2).to_bytes(2, "little")
        return b"\x1d\x28\x6b" + size + bytes((49, fn)) + parameters

    data = payload.encode("utf-8")
    commands = [
        (65, b"\x32\x00"),  # fn 65 select model: 50 = model 2
        (67, bytes((module_dots,))),  # fn 67 module size in dots
        (69, b"\x31"),  # fn 69 error correction: 49 = M, survives a scuffed ticket
        (80, b"\x30" + data),  # fn 80 store the data (m = 48)
        (81, b"\x30"),  # fn 81 print the stored symbol (m = 48)
    ]
    return b"".join(function(fn, parameters) for fn, parameters in commands)


@functools.lru_cache(maxsize=256)
def _qr_version(length: int) -> int:
    """The QR version (size) holding `length` bytes in byte mode at error correction M.

    The symbol's size depends only on how many bytes it holds, so it is worked out once per
    length: a ticket's phone link differs from the last one only in its token.
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    # byte mode for the whole payload: the largest symbol any printer's encoder would make
    code.add_data(qrcode.util.QRData(b"a" * length, mode=qrcode.util.MODE_8BIT_BYTE))
    # Only the symbol's size is needed (the printer draws the code itself): best_fit finds
    # the version without building the matrix and trying eight masks, as make() would.
    version: int = code.best_fit()
    return version


def _qr_module_dots(payload: str, paper: _Paper) -> int:
    """The largest module size, up to the paper's preferred one, at which the QR code fits."""
    size = len(payload.encode("utf-8"))
    try:
        version = _qr_version(size)
    except qrcode.exceptions.DataOverflowError as error:
        raise ValueError(f"phone_url is too long for a QR code ({len(payload)} chars)") from error
    modules = 17 + 4 * version
    quiet_zone = 8  # four modules each side
    return max(1, min(paper.qr_module_dots, paper.dots // (modules + quiet_zone)))


# --- layout shared by text and image mode -----------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    text: str
    width_scale: int = 1
    height_scale: int = 1
    center: bool = False
    bold: bool = False
    hanging_prefix: str = ""  # "1. " for a list item: continuation lines are indented under it


@dataclass(frozen=True)
class _Rule:
    pass


@dataclass(frozen=True)
class _QrCode:
    payload: str


_Block = _Text | _Rule | _QrCode

_UNPRINTABLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def _printable(text: str) -> str:
    """Text as a printer should get it: one line, a full-width ￥, no control characters."""
    # GB2312 fonts have only the full-width yen sign; U+00A5 would need a 4-byte GB18030 code
    text = re.sub(r"[\t\n\r\v\f ]+", " ", text.replace("¥", "￥")).strip()
    if text.isprintable():  # no control, format, surrogate, private or unassigned character
        return text
    for char in text:
        if unicodedata.category(char) in _UNPRINTABLE_CATEGORIES:
            raise EncodingProblem(
                f"无法打印控制字符或未分配字符 U+{ord(char):04X}：“{text}”",
                f"cannot print control or unassigned character U+{ord(char):04X} in {text!r}",
            )
    return text


def _wait_text(minutes: int) -> str:
    return f"约 {minutes} 分钟" if minutes > 0 else "即将叫号 soon"


def _ticket_layout(ticket: TicketPrint, paper: _Paper) -> list[_Block]:
    """What goes on the ticket, top to bottom, before it is turned into bytes or pixels."""
    number = _printable(ticket.number)
    number_scale = max(1, min(4, paper.columns // max(1, len(number))))
    blocks: list[_Block] = [_Text(_printable(ticket.hall_name), 2, 2, center=True, bold=True)]
    if ticket.priority_label:
        label = f"【{_printable(ticket.priority_label)}】"
        blocks.append(_Text(label, 1, 2, center=True, bold=True))
    blocks += [
        _Text(_printable(ticket.category_name), 1, 2, center=True),
        _Text(number, number_scale, number_scale, center=True, bold=True),
        _Text(f"前面等候 Ahead: {ticket.people_ahead} 人"),
        _Text(f"预计等待 Wait: {_wait_text(ticket.estimated_wait_minutes)}"),
        _Text(f"取号时间 Time: {ticket.issued_at:%Y-%m-%d %H:%M}"),
    ]
    if ticket.window_hint:
        blocks.append(_Text(f"办理窗口 Window: {_printable(ticket.window_hint)}"))
    if ticket.phone_url:
        blocks += [_QrCode(ticket.phone_url), _Text("手机扫码查看进度 Scan to follow", center=True)]
    if ticket.materials:
        blocks.append(_Text("请带齐以下材料 Materials:", bold=True))
        blocks += [
            _Text(_printable(material), hanging_prefix=f"{index}. ")
            for index, material in enumerate(ticket.materials, start=1)
        ]
    blocks += [_Rule(), _Text(_printable(ticket.footer), center=True)]
    return blocks


_WRAP_TOKENS = re.compile(r"[!-~]+| +|.", re.DOTALL)  # ASCII words stay whole; others may break


def _wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy line breaking: Chinese breaks between any two characters, ASCII words stay whole."""
    if measure(text) <= width:  # most lines fit as they are
        return [text.rstrip()]
    lines: list[str] = []
    line = ""
    for token in _WRAP_TOKENS.findall(text):
        if measure(line + token) <= width:
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        if token.isspace():
            continue
        while measure(token) > width:  # a word longer than a whole line is cut where it must be
            cut = 1
            while cut < len(token) and measure(token[: cut + 1]) <= width:
                cut += 1
            lines.append(token[:cut])
            token = token[cut:]
        line = token
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


# 避头尾: a line never starts with closing punctuation nor ends with opening punctuation
_NO_LINE_START = frozenset("，。、；：！？）」』》】〕〉〗”’…—·%,.;:!?)]}")
_NO_LINE_END = frozenset("（「『《【〔〈〖“‘([{")


def _break_lines(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """_wrap's greedy lines, with breaks moved back where a Chinese reader would stumble.

    No line starts with closing punctuation or ends with opening punctuation, and the last line
    never holds a single character ("服务中 / 心" becomes "服务 / 中心"): the break moves back a
    token at a time, and the text after it is wrapped again.
    """
    lines = _wrap(text, width, measure)
    done: list[str] = []
    rest = text.strip()
    while len(lines) > 1:
        first = lines[0]
        cut = len(first)  # greedy lines are prefixes of what is left, minus the break's spaces
        starts = [match.start() for match in _WRAP_TOKENS.finditer(first)][1:]
        for candidate in [cut, *reversed(starts)]:
            head, tail = rest[:candidate].rstrip(), rest[candidate:].lstrip()
            if (
                len(head) >= 2
                and head[-1] not in _NO_LINE_END
                and tail[:1] not in _NO_LINE_START
                and len(tail) != 1
            ):
                cut = candidate
                break
        done.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
        lines = lines[1:] if cut == len(first) else _wrap(rest, width, measure)
    return done + lines


def _columns(text: str) -> int:
    """Width in font columns: the printer draws every multi-byte GB character two columns wide."""
    return 2 * len(text) - len(text.encode("ascii", "ignore"))  # ASCII one column, others two


def _wrapped_lines(
    block: _Text, width: float, measure: Callable[[str], float]
) -> list[tuple[float, str]]:
    """The block's lines as (indent, text): list items hang their continuation lines."""
    indent = measure(block.hanging_prefix)
    first, *rest = _break_lines(block.text, width - indent, measure)
    return [(0, block.hanging_prefix + first)] + [(indent, line) for line in rest]


# --- text mode ------------------------------------------------------------------------------------


def _encode(text: str, encoding: str) -> bytes:
    """Encode strictly, so an unprintable character stops the ticket instead of printing garbage."""
    try:
        return text.encode(encoding, errors="strict")
    except UnicodeEncodeError as error:
        char = error.object[error.start]
        name = encoding.upper()
        raise EncodingProblem(
            f"字符「{char}」（U+{ord(char):04X}）不在 {name} 字符集中，打印机无法打印：“{text}”",
            f"character {char!r} (U+{ord(char):04X}) is not in {name}; cannot print {text!r}",
        ) from error


def _render_text_mode(blocks: list[_Block], paper: _Paper, encoding: str, qr_dots: int) -> bytes:
    out = bytearray(_INIT + _CHINESE_MODE)
    # ESC @ leaves the printer left-aligned, normal size, not bold; send a mode only when it changes
    modes = {"align": _align(False), "size": _char_size(1, 1), "bold": _bold(False)}

    def switch(kind: str, command: bytes) -> None:
        if modes[kind] != command:
            out.extend(command)
            modes[kind] = command

    for block in blocks:
        if isinstance(block, _QrCode):
            switch("align", _align(True))
            out.extend(_qr_code(block.payload, qr_dots) + _LF)
            continue
        if isinstance(block, _Rule):
            block = _Text("-" * paper.columns)
        switch("align", _align(block.center))
        switch("size", _char_size(block.width_scale, block.height_scale))
        switch("bold", _bold(block.bold))
        width = paper.columns // block.width_scale
        for indent, line in _wrapped_lines(block, width, _columns):
            out.extend(_encode(" " * int(indent) + line, encoding) + _LF)
    out.extend(_CUT)
    return bytes(out)


# --- image mode -----------------------------------------------------------------------------------

# (path, face index): the face of a .ttc collection that carries simplified Chinese glyph shapes
CJK_FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # Debian, Ubuntu
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),  # Arch
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 2),  # Fedora
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
)

_BODY_PX = 24  # the height of the printer's own 12x24 / 24x24 fonts
_LINE_SPACING = 1.3
_RASTER_BAND_ROWS = 256  # printers with small buffers start printing band by band


def find_cjk_font(font_path: str | None = None) -> tuple[str, int]:
    """The CJK font for image-mode tickets as (path, face index); raises FontNotFound."""
    if font_path is not None:
        if Path(font_path).is_file():
            return font_path, 0
        raise FontNotFound(
            f"找不到中文字体文件：{font_path}", f"CJK font file not found: {font_path}"
        )
    for path, index in CJK_FONT_CANDIDATES:
        if Path(path).is_file():
            return path, index
    raise FontNotFound(
        "找不到中文字体，无法以图片方式打印小票；请安装 fonts-noto-cjk 或 fonts-wqy-zenhei",
        "no CJK font found for image-mode tickets; install fonts-noto-cjk or fonts-wqy-zenhei",
    )


@functools.lru_cache(maxsize=16)
def _font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


class _Row(NamedTuple):
    text: str
    font: ImageFont.FreeTypeFont | None  # None: a horizontal rule
    left: float
    height: int
    stroke: int


def _draw_text_blocks(
    blocks: list[_Text | _Rule], paper: _Paper, font_file: tuple[str, int]
) -> Image.Image:
    """Lay the text out in pixels, as a 1-bit image whose set bits are black dots."""
    rows: list[_Row] = []
    for block in blocks:
        if isinstance(block, _Rule):
            rows.append(_Row("", None, 0, _BODY_PX, 0))
            continue
        font = _font(*font_file, _BODY_PX * block.height_scale)
        height = round(font.size * _LINE_SPACING)
        stroke = 1 if block.bold else 0
        for indent, line in _wrapped_lines(block, paper.dots, font.getlength):
            left = (paper.dots - font.getlength(line)) / 2 if block.center else indent
            rows.append(_Row(line, font, left, height, stroke))
    # drawn as white on black, so ink is 255 and becomes the set bits of the 1-bit image
    canvas = Image.new("L", (paper.dots, sum(row.height for row in rows)), 0)
    draw = ImageDraw.Draw(canvas)
    top = 0
    for row in rows:
        if row.font is None:
            middle = top + row.height // 2
            draw.line((0, middle, paper.dots, middle), fill=255, width=2)
        else:
            draw.text((row.left, top), row.text, font=row.font, fill=255, stroke_width=row.stroke)
        top += row.height
    # a hard threshold: dithered glyph edges print as fuzz on a thermal head
    return canvas.point(lambda level: 255 if level >= 128 else 0, mode="1")


def _raster(image: Image.Image) -> bytes:
    """A 1-bit image as GS v 0 bands: GS v 0 m xL xH yL yH data (1D 76 30 m ...)."""
    width_bytes = image.width // 8
    bands = []
    for top in range(0, image.height, _RASTER_BAND_ROWS):
        band = image.crop((0, top, image.width, min(top + _RASTER_BAND_ROWS, image.height)))
        header = b"\x1d\x76\x30\x00" + width_bytes.to_bytes(2, "little")  # m = 0: normal density
        bands.append(header + band.height.to_bytes(2, "little") + band.tobytes())
    return b"".join(bands)


def _render_image_mode(
    blocks: list[_Block], paper: _Paper, qr_dots: int, font_file: tuple[str, int]
) -> bytes:
    out = bytearray(_INIT)
    pending: list[_Text | _Rule] = []
    for block in blocks:
        if isinstance(block, _QrCode):
            if pending:
                out.extend(_raster(_draw_text_blocks(pending, paper, font_file)))
                pending = []
            out.extend(_align(True) + _qr_code(block.payload, qr_dots) + _LF + _align(False))
        else:
            pending.append(block)
    if pending:
        out.extend(_raster(_draw_text_blocks(pending, paper, font_file)))
    out.extend(_CUT)
    return bytes(out)


def render_ticket(
    ticket: TicketPrint,
    *,
    paper_mm: int = 58,
    mode: Literal["text", "image"] = "text",
    encoding: Literal["gb18030", "gbk"] = "gb18030",
    font_path: str | None = None,
) -> bytes:
    """The ticket as one ESC/POS byte stream, from ESC @ to the cut."""
    if paper_mm not in _PAPERS:
        raise ValueError(f"paper_mm must be 58 or 80, not {paper_mm}")
    if encoding not in ("gb18030", "gbk"):
        raise ValueError(f"encoding must be 'gb18030' or 'gbk', not {encoding!r}")
    paper = _PAPERS[paper_mm]
    blocks = _ticket_layout(ticket, paper)
    qr_dots = _qr_module_dots(ticket.phone_url, paper) if ticket.phone_url else 0
    if mode == "text":
        return _render_text_mode(blocks, paper, encoding, qr_dots)
    if mode == "image":
        return _render_image_mode(blocks, paper, qr_dots, find_cjk_font(font_path))
    raise ValueError(f"mode must be 'text' or 'image', not {mode!r}")


# --- characters the printer cannot print -----------------------------------------------------------

REPLACEMENT = "□"  # in GB2312, so every Chinese printer font has it
# joiners and variation selectors only shape the character before them: dropped, not replaced
_SHAPING = re.compile("[\u200b-\u200f\u2060-\u2064\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def _can_print(char: str, mode: str, encoding: str) -> bool:
    if char in "\t\n\r\v\f":
        return True
    category = unicodedata.category(char)
    if category in _UNPRINTABLE_CATEGORIES:
        return False
    if mode != "text":
        return True  # image mode draws with a CJK font: no code page to fit
    if ord(char) > 0xFFFF and category == "So":
        return False  # emoji: GB18030 can spell them, no printer font draws them
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def printable_ticket(
    ticket: TicketPrint, *, mode: str = "text", encoding: str = "gb18030"
) -> tuple[TicketPrint, tuple[str, ...]]:
    """The ticket with every character its printer cannot print replaced by □ (an emoji, a CJK
    Extension B character on a GBK printer, a control character), and the characters replaced.

    A name a manager typed must never cost a citizen the ticket: it prints with the replacement,
    and the caller raises an alarm naming what was replaced.
    """
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

    fitted = replace(
        ticket,
        hall_name=fit(ticket.hall_name),
        number=fit(ticket.number),
        category_name=fit(ticket.category_name),
        materials=tuple(fit(material) for material in ticket.materials),
        footer=fit(ticket.footer),
        priority_label=fit(ticket.priority_label),
        window_hint=fit(ticket.window_hint),
    )
    return fitted, tuple(replaced)
