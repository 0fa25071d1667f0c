"""The 受理回执 as bytes, for what the database-backed tests do not reach: a promised day that may
move (a year without its holiday notice), one not known yet, a case decided on the spot, a
character a GBK printer lacks, and the raster mode of a printer without a Chinese font."""

from __future__ import annotations

from datetime import date

import pytest

from devices.escpos_receipt import CaseReceipt, MissingNotice, printable, render_case_paper
from devices.escpos_ticket import FontNotFound, find_cjk_font

RECEIPT = CaseReceipt(
    hall_name="兴隆镇便民服务中心",
    number="XL-20271230-0007",
    item_name="食品经营许可",
    applicant="张*丰",
    received_on=date(2027, 12, 30),
    deadline=date(2028, 1, 10),
    deadline_provisional=True,
    materials_received=("营业执照",),
    materials_to_follow=(),
    page_url="https://hall.example.cn/c/abcdefghijklmnopqrstuvwxyz012345678",
)


def gb(text: str) -> bytes:
    return text.encode("gb18030")


def test_a_provisional_promised_day_says_it_may_move():
    data = render_case_paper(RECEIPT, paper_mm=80)
    assert gb("承诺办结 Promised: 2028年1月10日（暂定") in data
    firm = render_case_paper(
        CaseReceipt(**{**RECEIPT.__dict__, "deadline_provisional": False}), paper_mm=80
    )
    assert gb("暂定") not in firm and gb("2028年1月10日") in firm


def test_an_unknown_promised_day_and_a_case_decided_on_the_spot():
    unknown = CaseReceipt(**{**RECEIPT.__dict__, "deadline": None})
    assert gb("待定") in render_case_paper(unknown)
    spot = CaseReceipt(**{**RECEIPT.__dict__, "approved_on_the_spot": True})
    data = render_case_paper(spot)
    assert gb("即办件，已当场办结") in data and gb("承诺办结") not in data


def test_a_character_the_gbk_printer_lacks_prints_as_a_box_and_is_named():
    rare = CaseReceipt(**{**RECEIPT.__dict__, "applicant": "𠮷*"})
    fitted, replaced = printable(rare, encoding="gbk")
    assert replaced == ("𠮷",) and fitted.applicant == "□*"
    assert fitted.page_url == RECEIPT.page_url
    data = render_case_paper(fitted, encoding="gbk")
    assert "□*".encode("gbk") in data


def test_the_one_time_notice_lists_what_is_missing_without_a_qr_code():
    notice = MissingNotice(
        hall_name="兴隆镇便民服务中心",
        item_name="食品经营许可",
        on=date(2026, 12, 8),
        missing=("场所平面图",),
        provided=("营业执照",),
        window="1 号窗口",
    )
    data = render_case_paper(notice, paper_mm=80)
    assert data.startswith(b"\x1b@\x1c&") and data.endswith(b"\x1dV\x00")
    assert gb("一次性告知单") in data and gb("场所平面图") in data and gb("1 号窗口") in data
    assert b"\x1d(k" not in data


def test_image_mode_draws_the_text_and_keeps_the_printers_own_qr_code():
    try:
        find_cjk_font()
    except FontNotFound:
        pytest.skip("no CJK font installed")
    data = render_case_paper(RECEIPT, mode="image")
    assert b"\x1dv0" in data, "the text as raster bands (GS v 0)"
    assert b"\x1c&" not in data and gb("受理回执") not in data
    assert RECEIPT.page_url.encode() in data
