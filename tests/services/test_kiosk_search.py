"""办事指南 search: Chinese names and pinyin initials ("sb" finds 社保), ranked as a citizen
would expect; the kiosk's home figures and opening state; printer settings validation."""

from __future__ import annotations

import time
from typing import Any

import pytest

from queue_server.domain.errors import InvalidInput, NotFound
from queue_server.domain.model import Category, ServiceItem
from queue_server.services import guide, issuing, kiosk
from queue_server.services.context import Actor
from queue_server.services.guide import (
    SearchEntry,
    match_cost,
    normalize,
    rank_entries,
    tokens_of,
)
from queue_server.services.printing import PrinterSettings

SOCIAL = Category(hall_id=1, prefix="B", name="社会保险", name_en="Social insurance", id=2)
HOUSEHOLD = Category(hall_id=1, prefix="D", name="户籍办理", name_en="Household", id=4)


def item(name: str, category: Category, code: str = "", item_id: int = 0) -> ServiceItem:
    """An item whose code carries no letters, so only its name can match a pinyin query."""
    return ServiceItem(
        hall_id=1,
        code=code or f"0000-{item_id:03d}",
        name=name,
        category_id=category.id,
        id=item_id,
    )


CATALOGUE = [
    item("户口迁移", HOUSEHOLD, item_id=1),
    item("城乡居民基本养老保险参保登记", SOCIAL, item_id=2),
    item("社会保障卡申领", SOCIAL, item_id=3),
    item("出生登记", HOUSEHOLD, item_id=4),
    item("最低生活保障申请", HOUSEHOLD, item_id=5),
]


def names(query: str, catalogue: list[ServiceItem] = CATALOGUE) -> list[str]:
    cats = {SOCIAL.id: SOCIAL, HOUSEHOLD.id: HOUSEHOLD}
    entries = [SearchEntry.of(i, cats[i.category_id]) for i in catalogue]
    return [e.item.name for e in rank_entries(entries, normalize(query))]


def test_pinyin_initials_find_the_abbreviation_a_citizen_types():
    found = names("sb")
    assert found[0] == "社会保障卡申领", found
    assert "户口迁移" not in found and "出生登记" not in found


def test_full_pinyin_partial_syllables_and_chinese_all_find_the_same_item():
    for query in ("shebao", "SheBao", "shbzk", "社保", "社会保障", "ＳＢ"):
        assert names(query)[0] == "社会保障卡申领", query


def test_a_prefix_match_ranks_before_a_match_inside_the_name():
    catalogue = [
        item("临时户口登记", HOUSEHOLD, item_id=10),
        item("户口迁移", HOUSEHOLD, item_id=11),
    ]
    assert names("hk", catalogue) == ["户口迁移", "临时户口登记"]


def test_an_unusual_reading_of_a_polyphonic_character_ranks_last():
    # 参 in 参保 reads can; read as shen it would spell "sb" without a gap, but that is not 社保
    found = names("sb")
    assert found.index("社会保障卡申领") < found.index("城乡居民基本养老保险参保登记")


def test_initials_inside_a_long_name_are_found():
    assert names("ylbx")[0] == "城乡居民基本养老保险参保登记"
    assert names("csdj") == ["出生登记"]


def test_nothing_matches_letters_no_name_spells():
    assert names("zzq") == []
    assert names("qqqq") == []


def test_category_name_matches_rank_below_item_names():
    # "户籍" is only in a category name: every item of that category, none of the others
    assert set(names("hj")) >= {"户口迁移", "出生登记"}
    assert "社会保障卡申领" not in names("hj")


def test_tokens_keep_both_readings_of_polyphonic_characters_and_ascii_as_is():
    tokens = tokens_of("长沟镇A1")
    assert tokens[0].char == "长" and set(tokens[0].readings + tokens[0].other_readings) >= {
        "zhang",
        "chang",
    }
    assert [t.char for t in tokens[3:]] == ["a", "1"]
    assert tokens_of("长沟镇A1") is tokens, "computed once per distinct name"


def test_tiers_prefix_substring_gaps():
    name = tokens_of("社会保障卡申领")
    assert match_cost("shhb", name) == (0, 0)
    assert match_cost("bzk", name)[0] == 1  # type: ignore[index]
    assert match_cost("sb", name)[0] == 2  # type: ignore[index]
    assert match_cost("", name) is None


@pytest.mark.solo
def test_search_over_a_large_catalogue_stays_quick():
    catalogue = [
        item(f"{'社会保障城乡居民事项'[i % 10 :]}测试{i}", SOCIAL, item_id=i) for i in range(600)
    ]
    names("sb", catalogue)  # warm the per-name token cache, as a running server has
    started = time.perf_counter()
    names("shbz", catalogue)
    assert time.perf_counter() - started < 0.5


# -- through the database ----------------------------------------------------------------------


def test_search_items_on_the_demo_hall_returns_one_time_notices(deps, demo):
    result = guide.search_items(deps, demo["hall"], "sb")
    first = result["items"][0]
    assert "社" in first["name"] or first["code"].endswith(("SB-001", "SB-002", "SB-003"))
    card = next(i for i in result["items"] if i["name"] == "社会保障卡申领")
    assert card["materials"] == ["居民身份证", "近期免冠照片"]
    assert card["time_limit"].startswith("即办") and card["fee"] == "不收费"
    assert card["category"]["prefix"] == "B"
    everything = guide.search_items(deps, demo["hall"], "")
    assert everything["total"] == 14
    assert [i["category"]["prefix"] for i in everything["items"]] == sorted(
        i["category"]["prefix"] for i in everything["items"]
    )


def test_search_filters_by_category_and_refuses_bad_input(deps, demo):
    household = guide.search_items(deps, demo["hall"], "", category="D")
    assert {i["name"] for i in household["items"]} == {"出生登记", "户口迁移"}
    with pytest.raises(InvalidInput):
        guide.search_items(deps, demo["hall"], "x" * 41)
    with pytest.raises(InvalidInput):
        guide.search_items(deps, demo["hall"], "", limit=0)
    with pytest.raises(NotFound):
        guide.search_items(deps, demo["hall"], "", category="Z")
    with pytest.raises(NotFound):
        guide.search_items(deps, 999, "sb")


def test_kiosk_home_counts_waiting_and_items_and_says_when_the_hall_opens(deps, demo, clock):
    kiosk_actor = Actor("device", demo["kiosk_id"], demo["hall"], device_kind="kiosk")
    issuing.issue_ticket(deps, kiosk_actor, demo["hall"], "B")
    home = kiosk.kiosk_home(deps, demo["hall"])
    assert home["open"]["open"] is True
    b = next(c for c in home["categories"] if c["prefix"] == "B")
    assert (b["waiting"], b["items"]) == (1, 3)
    assert [k["kind"] for k in home["green_channel"]] == [
        "elderly",
        "disabled",
        "pregnant",
        "military",
    ]
    clock.advance(hours=11)  # Thursday 20:30
    closed = kiosk.kiosk_home(deps, demo["hall"])["open"]
    assert closed["open"] is False
    assert closed["notice"] == "本厅将于 11月27日 09:00 开放"
    assert "27 Nov" in closed["notice_en"]


@pytest.mark.parametrize(
    "config",
    [
        {"printer": "lpt://1"},
        {"printer": "tcp://"},
        {"printer": "dummy://", "paper_mm": 76},
        {"printer": "dummy://", "mode": "pdf"},
        {"printer": "dummy://", "encoding": "utf-8"},
        {"printer": 5},
    ],
)
def test_unusable_printer_settings_are_refused_in_both_languages(config: dict[str, Any]):
    with pytest.raises(InvalidInput) as refused:
        PrinterSettings.from_config(config)
    assert refused.value.message and refused.value.message_en


def test_printer_settings_defaults_and_no_printer():
    settings = PrinterSettings.from_config({"printer": "serial:///dev/ttyUSB0?baudrate=9600"})
    assert settings is not None
    assert (settings.paper_mm, settings.mode, settings.encoding) == (80, "text", "gb18030")
    assert PrinterSettings.from_config({"paper_mm": 58}) is None
