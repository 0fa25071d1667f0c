"""How big a ticket is in text and image mode, how much CPU rendering one costs, and how long
it takes over a serial line.

The render figure of a text-mode ticket (layout, GB18030, the QR command) is the CPU time
(`time.process_time`) of rendering 2,000 tickets, each with its own phone link as the kiosk
prints them, divided by 2,000; the target is at most 0.2 ms. CPU time, not wall time, so other
work on a shared machine moves it little.

Run from the repository root: .venv/bin/python bench/ticket_bytes.py
"""

from __future__ import annotations

import os
import platform
import sys
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

# the script runs from bench/, so the repository root is not on the path by itself
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devices.printer import FontNotFound, TicketPrint, render_ticket  # noqa: E402

BITS_PER_BYTE = 10  # 8N1: a start bit, eight data bits, a stop bit
RENDERS = 2000
TARGET_MS = 0.2

SAMPLE = TicketPrint(
    hall_name="南山区粤海街道便民服务中心",
    number="A001",
    category_name="社保医保业务",
    people_ahead=7,
    estimated_wait_minutes=21,
    issued_at=datetime(2024, 5, 6, 9, 12),
    phone_url="https://hallq.example.cn/t/8f3a2c9d4e",
    materials=(
        "居民身份证原件及复印件",
        "户口簿原件",
        "近期一寸免冠彩色照片两张",
        "《社会保障卡申领登记表》（现场填写）",
        "委托他人代办的，需提供委托书及代办人身份证原件",
    ),
    priority_label="绿色通道",
    window_hint="3号窗口",
)


def main() -> int:
    """Print the size, render time and serial transfer time of each kind of ticket."""
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"python:  {platform.python_implementation()} {platform.python_version()}")
    print(f"ticket:  a realistic one with {len(SAMPLE.materials)} materials\n")
    print(
        f"{'mode':<6} {'paper':>5} {'bytes':>7} {'render ms':>9} {'9600 8N1':>9} {'115200 8N1':>11}"
    )
    for mode in ("text", "image"):
        for paper_mm in (58, 80):
            started = time.perf_counter()
            try:
                data = render_ticket(SAMPLE, paper_mm=paper_mm, mode=mode)
            except FontNotFound as error:
                print(f"{mode:<6} {paper_mm:>3}mm  skipped: {error.message_en}")
                continue
            render_ms = (time.perf_counter() - started) * 1000
            slow, fast = (len(data) * BITS_PER_BYTE / baud for baud in (9600, 115200))
            print(
                f"{mode:<6} {paper_mm:>3}mm {len(data):>7} {render_ms:>9.1f}"
                f" {slow:>7.2f} s {fast:>9.2f} s"
            )
    print()
    for paper_mm in (58, 80):
        tickets = [
            replace(SAMPLE, number=f"A{i % 1000:03d}", phone_url=f"{SAMPLE.phone_url}{i:06d}")
            for i in range(RENDERS)
        ]
        render_ticket(tickets[0], paper_mm=paper_mm)  # warm (imports, caches)
        started = time.process_time()
        for ticket in tickets:
            render_ticket(ticket, paper_mm=paper_mm, mode="text")
        cpu_ms = (time.process_time() - started) / RENDERS * 1000
        verdict = "met" if cpu_ms <= TARGET_MS else "NOT met"
        print(
            f"text-mode render, {paper_mm} mm, CPU per ticket over {RENDERS}: {cpu_ms:.3f} ms "
            f"(target <= {TARGET_MS} ms: {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
