"""Ticket printer driver: the real ESC/POS bytes, real links (pty, tcp, file, usb) and the worker."""

from __future__ import annotations

import os
import random
import re
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from devices.errors import DeviceConfigError
from devices.print_worker import (
    ALARM_PAPER_OUT,
    ALARM_PRINT_FAILED,
    ALARM_PRINTER_OFFLINE,
    PrintWorker,
)
from devices.printer import (
    DummyPrinterLink,
    EncodingProblem,
    FilePrinterLink,
    FontNotFound,
    PrinterOffline,
    PrinterStatus,
    SerialPrinterLink,
    TcpPrinterLink,
    TicketPrint,
    UsbPrinterLink,
    find_cjk_font,
    open_printer,
    render_ticket,
    run_in_gevent_threadpool,
)
from tests.conftest import tool_missing
from tests.devices.fake_serial import raw_pty

PHONE_URL = "https://hallq.example.cn/t/8f3a2c9d4e"
LONG_MATERIAL = "委托他人代办的，需提供委托书及代办人身份证"


def make_ticket(**changes: Any) -> TicketPrint:
    ticket = TicketPrint(
        hall_name="粤海便民服务中心",
        number="A001",
        category_name="社保医保业务",
        people_ahead=7,
        estimated_wait_minutes=21,
        issued_at=datetime(2024, 5, 6, 9, 12),
        phone_url=PHONE_URL,
        materials=(
            "居民身份证原件及复印件",
            "户口簿原件",
            "近期一寸免冠彩色照片两张",
            "《社会保障卡申领登记表》（现场填写）",
            LONG_MATERIAL,
        ),
        priority_label="绿色通道",
        window_hint="3号窗口",
    )
    return replace(ticket, **changes)


def gb(text: str) -> bytes:
    return text.encode("gb18030")


def qr_functions(data: bytes) -> list[tuple[int, bytes]]:
    """Every GS ( k command for the QR symbol (cn 49) as (fn, parameters)."""
    found = []
    for match in re.finditer(rb"\x1d\(k", data):
        size = int.from_bytes(data[match.end() : match.end() + 2], "little")
        body = data[match.end() + 2 : match.end() + 2 + size]
        if len(body) >= 2 and body[0] == 49:  # raster data may hold the same three bytes
            found.append((body[1], body[2:]))
    return found


def raster_bands(data: bytes) -> list[tuple[int, int]]:
    """Every GS v 0 band as (width in dots, height in dots), checking its data length."""
    bands = []
    position = 0
    while (start := data.find(b"\x1dv0\x00", position)) >= 0:
        width_bytes = int.from_bytes(data[start + 4 : start + 6], "little")
        height = int.from_bytes(data[start + 6 : start + 8], "little")
        position = start + 8 + width_bytes * height
        assert position <= len(data), "raster data is complete"
        bands.append((width_bytes * 8, height))
    return bands


def wait_until(condition: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


# --- text mode --------------------------------------------------------------------------------------


def test_text_ticket_has_init_chinese_mode_large_number_qr_and_cut() -> None:
    data = render_ticket(make_ticket())

    assert data.startswith(b"\x1b@\x1c&"), "ESC @ then FS & before any text"
    chinese_mode = data.index(b"\x1c&")
    assert data.index(gb("粤海便民服务中心")) > chinese_mode
    assert data.index(gb("社保医保业务")) > chinese_mode
    assert gb("【绿色通道】") in data and gb("办理窗口 Window: 3号窗口") in data

    number_at = data.index(b"A001")
    size_command = data.rindex(b"\x1d!", 0, number_at)
    assert data[size_command + 2] == 0x33, "the number is printed four times wide and high"
    assert data[size_command + 3 : number_at].count(b"\n") == 0

    functions = qr_functions(data)
    assert [fn for fn, _ in functions] == [65, 67, 69, 80, 81], "model, size, level, store, print"
    assert functions[0][1] == b"\x32\x00", "model 2"
    assert functions[3][1] == b"0" + PHONE_URL.encode(), "the stored payload is exactly the URL"
    assert data.endswith(b"\x1dV\x00"), "GS V cut at the end"


def test_realistic_text_ticket_stays_under_two_kilobytes() -> None:
    for paper_mm in (58, 80):
        assert len(render_ticket(make_ticket(), paper_mm=paper_mm)) < 2048


def test_materials_are_numbered_and_wrap_to_the_paper_width() -> None:
    narrow = render_ticket(make_ticket(), paper_mm=58)
    wide = render_ticket(make_ticket(), paper_mm=80)

    assert gb("1. 居民身份证原件及复印件\n") in narrow
    assert gb(f"5. {LONG_MATERIAL}\n") in wide, "the whole item fits one 80 mm line"
    assert gb(f"5. {LONG_MATERIAL[:14]}\n   {LONG_MATERIAL[14:]}\n") in narrow, (
        "14 after the number on 58 mm"
    )
    assert b"\n" + b"-" * 32 + b"\n" in narrow and b"-" * 33 not in narrow
    assert b"\n" + b"-" * 48 + b"\n" in wide


def test_long_ascii_words_are_not_split_when_a_space_allows() -> None:
    ticket = make_ticket(materials=("Bring the application form and a photocopy",))
    data = render_ticket(ticket, paper_mm=58)
    assert b"1. Bring the application form\n   and a photocopy\n" in data


_COMMAND = re.compile(rb"\x1b@|\x1c&|\x1ba.|\x1d!.|\x1bE.", re.DOTALL)
CLOSING = "，。、；：！？）」』》】"
OPENING = "（「『《【"


def printed_lines(data: bytes) -> list[str]:
    """The text lines of a text-mode ticket as the printer prints them (QR code and cut left out)."""
    lines = []
    for chunk in data.split(b"\n"):
        if b"\x1d(k" in chunk or b"\x1dV" in chunk:
            continue
        text = _COMMAND.sub(b"", chunk).decode("gb18030").strip()
        if text:
            lines.append(text)
    return lines


@pytest.mark.parametrize("paper_mm", [58, 80])
@pytest.mark.parametrize(
    ("hall_name", "footer"),
    [
        ("兴隆镇便民服务中心", "请留意叫号，过号请到服务台重新排队"),
        ("北京市朝阳区望京街道便民服务中心", "过号请重新取号（叫号三次未到视为过号）。"),
        ("高新区政务服务中心（东区）", "请带好随身物品。谢谢！"),
        ("城关镇「一站式」服务大厅", "请保管好小票，叫号时凭票办理，过号作废。"),
        ("新区便民服务中心", "如有疑问请咨询导办台工作人员，或拨打热线：12345"),
    ],
)
def test_lines_keep_chinese_line_breaking_rules(paper_mm: int, hall_name: str, footer: str) -> None:
    materials = (
        "《社会保障卡申领登记表》（现场填写）",
        LONG_MATERIAL,
        "授权委托书（加盖公章），及经办人身份证。",
    )
    ticket = make_ticket(hall_name=hall_name, footer=footer, materials=materials)
    lines = printed_lines(render_ticket(ticket, paper_mm=paper_mm))

    for line in lines:
        body = re.sub(r"^\d+\. ", "", line)
        assert len(body) > 1, f"a line with one character alone: {lines}"
        assert body[0] not in CLOSING, f"{line!r} starts with closing punctuation"
        assert body[-1] not in OPENING, f"{line!r} ends with opening punctuation"
    assert "".join(lines).endswith(footer), "the footer is printed whole, at the end"
    assert hall_name in "".join(lines)


def test_hall_name_and_footer_on_58_mm_break_before_the_last_two_characters() -> None:
    data = render_ticket(make_ticket(hall_name="兴隆镇便民服务中心"), paper_mm=58)
    assert gb("兴隆镇便民服务\n中心\n") in data, "never 兴隆镇便民服务中 / 心"
    assert gb("请留意叫号，过号请到服务台重新\n排队\n") in data, "never ...重新排 / 队"
    wide = render_ticket(make_ticket(hall_name="兴隆镇便民服务中心"), paper_mm=80)
    assert gb("兴隆镇便民服务中心\n") in wide and gb("请留意叫号，过号请到服务台重新排队\n") in wide


def test_character_outside_gbk_raises_with_gbk_and_prints_with_gb18030() -> None:
    ticket = make_ticket(hall_name="𠮷村便民服务站")

    with pytest.raises(EncodingProblem) as raised:
        render_ticket(ticket, encoding="gbk")
    assert "U+20BB7" in raised.value.message and "GBK" in raised.value.message
    assert "U+20BB7" in raised.value.message_en and "GBK" in raised.value.message_en

    assert gb("𠮷村便民服务站") in render_ticket(ticket, encoding="gb18030")


def test_control_characters_are_refused_rather_than_sent_as_commands() -> None:
    with pytest.raises(EncodingProblem):
        render_ticket(make_ticket(category_name="社保\x1b@业务"))


def test_yen_sign_is_printed_full_width() -> None:
    data = render_ticket(make_ticket(footer="工本费 ¥20"), encoding="gbk")
    assert "工本费 ￥20".encode("gbk") in data


def test_bad_render_options_are_refused() -> None:
    with pytest.raises(ValueError):
        render_ticket(make_ticket(), paper_mm=76)
    with pytest.raises(ValueError):
        render_ticket(make_ticket(), mode="pdf")  # type: ignore[arg-type]


# --- image mode ---------------------------------------------------------------------------------


def _cjk_font_installed() -> bool:
    try:
        find_cjk_font()
    except FontNotFound:
        return False
    return True


@pytest.fixture
def cjk_font_installed() -> None:
    """A CJK font for image mode: skipped without it, a failure in CI (which installs it)."""
    if not _cjk_font_installed():
        tool_missing("a CJK font", "apt-get install fonts-noto-cjk")


needs_cjk_font = pytest.mark.usefixtures("cjk_font_installed")


@needs_cjk_font
@pytest.mark.parametrize(("paper_mm", "dots"), [(58, 384), (80, 576)])
def test_image_ticket_is_raster_as_wide_as_the_paper_with_a_native_qr(
    paper_mm: int, dots: int
) -> None:
    text = render_ticket(make_ticket(), paper_mm=paper_mm)
    image = render_ticket(make_ticket(), paper_mm=paper_mm, mode="image")

    bands = raster_bands(image)
    assert bands and {width for width, _ in bands} == {dots}
    assert sum(height for _, height in bands) > 300
    assert b"\x1c&" not in image, "no Chinese mode: the printer only draws dots"
    assert (80, b"0" + PHONE_URL.encode()) in qr_functions(image)
    assert image.endswith(b"\x1dV\x00")
    assert len(text) < len(image) < 256 * 1024


def test_image_mode_without_a_font_says_which_font_is_missing() -> None:
    with pytest.raises(FontNotFound) as raised:
        render_ticket(make_ticket(), mode="image", font_path="/nonexistent/font.ttc")
    assert "/nonexistent/font.ttc" in raised.value.message_en


# --- serial printer through a pseudo-terminal --------------------------------------------------------


class PtyPrinter:
    """The far end of a pseudo-terminal, playing a serial ticket printer."""

    def __init__(self) -> None:
        self._master, self._slave = raw_pty()
        self.device = os.ttyname(self._slave)
        self.replies: dict[int, bytes] = {}  # DLE EOT n -> what the printer answers
        self.reading = threading.Event()
        self.reading.set()
        self._received = bytearray()
        self._received_lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, **options: object) -> str:
        settings = {"baudrate": 9600, "write_timeout": 0.2, "status_timeout": 0.1, **options}
        return f"serial://{self.device}?" + "&".join(f"{k}={v}" for k, v in settings.items())

    @property
    def received(self) -> bytes:
        with self._received_lock:
            return bytes(self._received)

    def _serve(self) -> None:
        tail = b""
        while not self._stopping.is_set():
            if not self.reading.is_set():
                time.sleep(0.005)
                continue
            ready, _, _ = select.select([self._master], [], [], 0.01)
            if not ready:
                continue
            chunk = os.read(self._master, 65536)
            with self._received_lock:
                self._received.extend(chunk)
            scanned = tail + chunk
            for question in re.finditer(rb"\x10\x04(.)", scanned, re.DOTALL):
                os.write(self._master, self.replies.get(question.group(1)[0], b""))
            tail = scanned[-2:]

    def unplug(self) -> None:
        """Close the far end for good, as a printer that was switched off."""
        if not self._stopping.is_set():
            self._stopping.set()
            self._thread.join()
            os.close(self._master)
            os.close(self._slave)


@pytest.fixture
def pty_printer() -> Iterator[PtyPrinter]:
    printer = PtyPrinter()
    yield printer
    printer.unplug()


def test_serial_printer_receives_exactly_the_ticket_bytes(pty_printer: PtyPrinter) -> None:
    data = render_ticket(make_ticket())
    with open_printer(pty_printer.url()) as link:
        assert isinstance(link, SerialPrinterLink)
        link.send(data)
        assert wait_until(lambda: len(pty_printer.received) >= len(data))
    assert pty_printer.received == data


@pytest.mark.parametrize(
    ("printer_reply", "paper_reply", "expected"),
    [
        (0x12, 0x12, PrinterStatus.OK),
        (0x12, 0x1E, PrinterStatus.OK),  # paper near end: still printing
        (0x1A, 0x72, PrinterStatus.PAPER_OUT),
        (0x12, 0x72, PrinterStatus.PAPER_OUT),
        (0x1A, 0x12, PrinterStatus.OFFLINE),  # cover open
    ],
)
def test_serial_status_from_real_time_replies(
    pty_printer: PtyPrinter, printer_reply: int, paper_reply: int, expected: PrinterStatus
) -> None:
    pty_printer.replies = {1: bytes((printer_reply,)), 4: bytes((paper_reply,))}
    with open_printer(pty_printer.url()) as link:
        assert link.status() is expected
    assert pty_printer.received == b"\x10\x04\x01\x10\x04\x04", "asks DLE EOT 1, then DLE EOT 4"


def test_serial_silence_is_unknown_not_ok(pty_printer: PtyPrinter) -> None:
    with open_printer(pty_printer.url(status_timeout=0.05)) as link:
        started = time.monotonic()
        assert link.status() is PrinterStatus.UNKNOWN
        assert time.monotonic() - started < 1.0


def random_garbage(seed: int) -> bytes:
    """Random bytes that do not start like a status byte (bit 0 = 0, 1 = 1, 4 = 1, 7 = 0)."""
    generator = random.Random(seed)
    while (garbage := generator.randbytes(6))[0] & 0x93 == 0x12:
        pass
    return garbage


@pytest.mark.parametrize(
    "replies",
    [
        {1: b"\xa5\x5a\xff\x12", 4: b"\x12"},
        {1: b"\x00", 4: b"\x12"},
        {1: random_garbage(1), 4: random_garbage(2)},
        {1: b"\x12", 4: random_garbage(3)},  # a sane first answer, then noise
    ],
)
def test_serial_garbage_is_unknown_and_is_not_read_as_the_next_answer(
    pty_printer: PtyPrinter, replies: dict[int, bytes]
) -> None:
    pty_printer.replies = replies
    with open_printer(pty_printer.url()) as link:
        assert link.status() is PrinterStatus.UNKNOWN
        pty_printer.replies = {1: b"\x12", 4: b"\x12"}
        assert link.status() is PrinterStatus.OK


def test_unplugged_serial_printer_is_offline_on_send_and_unknown_on_status(
    pty_printer: PtyPrinter,
) -> None:
    pty_printer.unplug()
    link = open_printer(pty_printer.url())
    with pytest.raises(PrinterOffline) as raised:
        link.send(b"\x1b@")
    assert pty_printer.device in raised.value.message
    assert link.status() is PrinterStatus.UNKNOWN
    link.close()


# --- the print worker -------------------------------------------------------------------------------


class Outcomes:
    """What a worker reported, for a test to wait on."""

    def __init__(self) -> None:
        self.printed: list[object] = []
        self.alarms: list[tuple[str, str, str, object]] = []
        self.changed = threading.Event()

    def on_printed(self, ticket_id: object) -> None:
        self.printed.append(ticket_id)
        self.changed.set()

    def on_alarm(self, kind: str, message: str, message_en: str, ticket_id: object) -> None:
        self.alarms.append((kind, message, message_en, ticket_id))
        self.changed.set()


def start_worker(url: str, outcomes: Outcomes, **options: object) -> PrintWorker[object]:
    settings: dict[str, object] = {"attempts": 3, "base_delay": 0.01, **options}
    return PrintWorker(
        open_printer(url),
        on_printed=outcomes.on_printed,
        on_alarm=outcomes.on_alarm,
        **settings,  # type: ignore[arg-type]
    )


def timed_submit(worker: PrintWorker[object], ticket_id: object, data: bytes) -> float:
    started = time.perf_counter()
    worker.submit(ticket_id, data)
    return time.perf_counter() - started


@needs_cjk_font
def test_worker_alarms_after_retries_when_the_printer_stops_reading(
    pty_printer: PtyPrinter, caplog: pytest.LogCaptureFixture
) -> None:
    pty_printer.reading.clear()
    outcomes = Outcomes()
    worker = start_worker(pty_printer.url(write_timeout=0.1, status_timeout=0.02), outcomes)
    # an image ticket is larger than the pty's buffer, so the writes stall as on a jammed printer
    data = render_ticket(make_ticket(), mode="image")
    try:
        assert timed_submit(worker, 41, data) < 0.08  # far below the 0.1 s write timeout
        assert outcomes.changed.wait(5)
    finally:
        worker.stop()
    assert outcomes.printed == []
    [(kind, message, message_en, ticket_id)] = outcomes.alarms
    assert (kind, ticket_id) == (ALARM_PRINT_FAILED, 41)
    assert "已尝试 3 次" in message and "after 3 attempts" in message_en
    assert re.findall(r"attempt (\d) of 3 failed", caplog.text) == ["1", "2", "3"]


def test_worker_alarms_offline_when_the_printer_is_gone(pty_printer: PtyPrinter) -> None:
    pty_printer.unplug()
    outcomes = Outcomes()
    worker = start_worker(pty_printer.url(), outcomes)
    try:
        assert timed_submit(worker, 42, render_ticket(make_ticket())) < 0.08
        assert outcomes.changed.wait(5)
    finally:
        worker.stop()
    assert [(alarm[0], alarm[3]) for alarm in outcomes.alarms] == [(ALARM_PRINTER_OFFLINE, 42)]


@needs_cjk_font
def test_worker_prints_on_a_retry_once_the_printer_recovers(pty_printer: PtyPrinter) -> None:
    pty_printer.reading.clear()
    outcomes = Outcomes()
    worker = start_worker(
        pty_printer.url(write_timeout=0.1, status_timeout=0.02),
        outcomes,
        attempts=8,
        base_delay=0.05,
        max_delay=0.2,
    )
    data = render_ticket(make_ticket(), mode="image")
    recovery = threading.Timer(0.3, pty_printer.reading.set)
    try:
        worker.submit(43, data)
        recovery.start()
        assert outcomes.changed.wait(5)
    finally:
        recovery.cancel()
        worker.stop()
    assert outcomes.alarms == []
    assert outcomes.printed == [43]
    assert wait_until(lambda: pty_printer.received.endswith(data))
    assert len(pty_printer.received) > len(data), "the first, stalled attempt sent part of it"


def test_worker_raises_paper_out_without_printing(pty_printer: PtyPrinter) -> None:
    pty_printer.replies = {1: b"\x1a", 4: b"\x72"}
    outcomes = Outcomes()
    worker = start_worker(pty_printer.url(), outcomes)
    try:
        worker.submit(44, render_ticket(make_ticket()))
        assert outcomes.changed.wait(5)
    finally:
        worker.stop()
    [(kind, message, message_en, ticket_id)] = outcomes.alarms
    assert (kind, ticket_id) == (ALARM_PAPER_OUT, 44)
    assert "缺纸" in message and "out of paper" in message_en
    assert pty_printer.received == b"\x10\x04\x01\x10\x04\x04", "only the status questions"


def test_worker_appends_every_ticket_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "printer.bin"
    target.write_bytes(b"earlier")
    outcomes = Outcomes()
    worker = start_worker(target.as_uri(), outcomes)
    first, second = render_ticket(make_ticket()), render_ticket(make_ticket(number="A002"))
    try:
        worker.submit(1, first)
        worker.submit(2, second)
        assert worker.join(5)
    finally:
        worker.stop()
    assert isinstance(worker.link, FilePrinterLink)
    assert outcomes.printed == [1, 2]
    assert target.read_bytes() == b"earlier" + first + second


def test_worker_with_dummy_printer_captures_bytes_and_reports_faults() -> None:
    outcomes = Outcomes()
    worker = start_worker("dummy://", outcomes)
    link = worker.link
    assert isinstance(link, DummyPrinterLink)
    data = render_ticket(make_ticket())
    try:
        worker.submit("t-1", data)
        assert worker.join(5)
        link.offline = True
        worker.submit("t-2", data)
        assert worker.join(5)
        link.offline = False
        link.reported_status = PrinterStatus.PAPER_OUT
        worker.submit("t-3", data)
        assert worker.join(5)
    finally:
        worker.stop()
    assert link.received == data
    assert outcomes.printed == ["t-1"]
    assert [(alarm[0], alarm[3]) for alarm in outcomes.alarms] == [
        (ALARM_PRINTER_OFFLINE, "t-2"),
        (ALARM_PAPER_OUT, "t-3"),
    ]


def test_a_failing_callback_does_not_stop_the_worker() -> None:
    printed: list[object] = []

    def broken_alarm(kind: str, message: str, message_en: str, ticket_id: object) -> None:
        raise RuntimeError("alarm service down")

    link = DummyPrinterLink()
    worker: PrintWorker[object] = PrintWorker(
        link, on_printed=printed.append, on_alarm=broken_alarm
    )
    try:
        link.reported_status = PrinterStatus.OFFLINE
        worker.submit(1, b"one")
        assert worker.join(5)
        link.reported_status = PrinterStatus.OK
        worker.submit(2, b"two")
        assert worker.join(5)
    finally:
        worker.stop()
    assert printed == [2] and link.received == b"two"


# --- network, usb and urls --------------------------------------------------------------------------


def test_tcp_printer_receives_the_bytes_and_answers_status() -> None:
    received = bytearray()
    with socket.create_server(("127.0.0.1", 0)) as server:
        host, port = server.getsockname()

        def serve() -> None:
            connection, _ = server.accept()
            with connection:
                while chunk := connection.recv(65536):
                    received.extend(chunk)
                    for _ in re.finditer(rb"\x10\x04.", chunk, re.DOTALL):
                        connection.sendall(b"\x12")

        thread = threading.Thread(target=serve)
        thread.start()
        data = render_ticket(make_ticket())
        with open_printer(f"tcp://{host}:{port}") as link:
            assert isinstance(link, TcpPrinterLink)
            link.send(data)
            assert link.status() is PrinterStatus.OK
        thread.join(5)
    assert bytes(received) == data + b"\x10\x04\x01\x10\x04\x04"


def test_tcp_printer_that_refuses_is_offline() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    link = open_printer(f"tcp://127.0.0.1:{port}?connect_timeout=1")
    with pytest.raises(PrinterOffline):
        link.send(b"\x1b@")
    assert link.status() is PrinterStatus.UNKNOWN
    link.close()


def test_missing_usb_printer_is_offline_and_its_io_goes_through_run_blocking() -> None:
    calls = []

    def run_blocking(call: Callable[[], Any]) -> Any:
        calls.append(threading.get_ident())
        return call()

    link = open_printer("usb://dead:beef", run_blocking=run_blocking)
    assert isinstance(link, UsbPrinterLink)
    assert (link.vendor_id, link.product_id) == (0xDEAD, 0xBEEF)
    with pytest.raises(PrinterOffline) as raised:
        link.send(b"\x1b@")
    assert "dead:beef" in raised.value.message_en
    assert link.status() is PrinterStatus.UNKNOWN
    link.close()
    assert len(calls) == 3


def test_gevent_threadpool_runner_runs_the_call_elsewhere_and_raises_here(
    capsys: pytest.CaptureFixture[str],
) -> None:
    gevent = pytest.importorskip("gevent")

    def unplugged() -> None:
        raise PrinterOffline("打印机离线", "printer offline")

    try:
        assert run_in_gevent_threadpool(threading.get_ident) != threading.get_ident()
        with pytest.raises(PrinterOffline):
            run_in_gevent_threadpool(unplugged)
    finally:
        gevent.get_hub().destroy(destroy_loop=True)
    assert capsys.readouterr().err == "", "a routine printer fault prints no traceback"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "lpt://1",
        "serial://dev/ttyUSB0",
        "serial:///dev/ttyUSB0?baud=9600",
        "serial:///dev/ttyUSB0?baudrate=fast",
        "tcp://",
        "tcp://printer:notaport",
        "tcp://printer:9100?write_timeout=-1",
        "usb://04b8",
        "usb://zzzz:0001",
        "file://server/share/ticket.bin",
    ],
)
def test_bad_printer_urls_are_refused_in_both_languages(url: str) -> None:
    with pytest.raises(DeviceConfigError, match="打印机地址无效.*invalid printer URL"):
        open_printer(url)


def test_printer_urls_choose_the_link_and_its_settings() -> None:
    usb = open_printer("usb://04b8:0e15?out_ep=0x02")
    assert isinstance(usb, UsbPrinterLink) and (usb.vendor_id, usb.out_ep) == (0x04B8, 0x02)
    tcp = open_printer("tcp://10.0.0.5")
    assert isinstance(tcp, TcpPrinterLink) and (tcp.host, tcp.port) == ("10.0.0.5", 9100)
    serial_link = open_printer("serial:///dev/ttyUSB0?baudrate=19200&rtscts=1")
    assert isinstance(serial_link, SerialPrinterLink) and serial_link.port == "/dev/ttyUSB0"
    assert isinstance(open_printer("file:///dev/usb/lp0"), FilePrinterLink)
    assert isinstance(open_printer("dummy://"), DummyPrinterLink)
