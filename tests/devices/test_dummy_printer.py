"""The demo's dummy:// printer keeps a bounded tail of what it printed, not every byte."""

from __future__ import annotations

from datetime import datetime

from devices.printer import DummyPrinterLink, TicketPrint, open_printer, render_ticket


def _ticket(number: int) -> bytes:
    return render_ticket(
        TicketPrint(
            hall_name="南山区政务服务中心",
            number=f"A{number:03d}",
            category_name="社保医保",
            people_ahead=3,
            estimated_wait_minutes=9,
            issued_at=datetime(2026, 12, 7, 9, 30),
            phone_url=f"http://hall.example/t/{number:010d}",
        ),
        paper_mm=80,
    )


def test_a_demo_printer_printing_all_day_keeps_only_its_last_tickets() -> None:
    link = open_printer("dummy://")
    assert isinstance(link, DummyPrinterLink)
    one = _ticket(1)
    tickets = 3 * DummyPrinterLink.KEEP_BYTES // len(one)  # three times what it keeps
    for number in range(1, tickets + 1):
        link.send(_ticket(number % 1000))
    kept = link.received
    assert len(kept) <= DummyPrinterLink.KEEP_BYTES
    assert len(kept) >= DummyPrinterLink.KEEP_BYTES - len(one)  # the tail, not nothing
    assert kept.endswith(_ticket(tickets % 1000)), "the last ticket is kept whole"
    assert link.sent_bytes >= tickets * (len(one) - 8)


def test_a_few_tickets_are_all_kept() -> None:
    link = DummyPrinterLink()
    link.send(b"one")
    link.send(b"two")
    assert link.received == b"onetwo" and link.sent_bytes == 6
