"""The service-item guide (办事指南): an item with its one-time notice (一次性告知), and the
search of a hall's items by Chinese name or pinyin initials, used by the kiosk and by booking."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pypinyin import Style, lazy_pinyin, pinyin
from sqlalchemy import select

from ..domain.errors import InvalidInput, NotFound
from ..domain.model import Category, ServiceItem
from ..store import tables
from . import lookups, views
from .context import Deps

SI = tables.service_items


def time_limit_text(days: int) -> tuple[str, str]:
    """办理时限 in words: 即办 for on-the-spot items, else working days."""
    if days <= 0:
        return "即办（当场办结）", "On the spot"
    return f"{days} 个工作日", f"{days} working day{'s' if days != 1 else ''}"


def fee_text_en(fee: str) -> str:
    """The fee in English where it says there is none; any other fee as the hall wrote it."""
    return "No fee" if fee.strip() in ("", "不收费", "免费", "无") else fee


def item_view(item: ServiceItem, category: Category | None) -> dict[str, Any]:
    """A service item with its one-time notice (一次性告知): materials, conditions, fee, time."""
    limit_zh, limit_en = time_limit_text(item.time_limit_days)
    return {
        "id": item.id,
        "code": item.code,
        "name": item.name,
        "name_en": item.name_en,
        "category": {
            "id": category.id,
            "prefix": category.prefix,
            "name": category.name,
            "name_en": category.name_en,
        }
        if category
        else None,
        "item_type": item.item_type,
        "department": item.department,
        "department_en": item.department_en,
        "materials": list(item.materials),
        "materials_en": list(item.materials_en),
        "conditions": item.conditions,
        "conditions_en": item.conditions_en,
        "fee": item.fee,
        "fee_en": item.fee_en or fee_text_en(item.fee),
        "time_limit_days": item.time_limit_days,
        "time_limit": limit_zh,
        "time_limit_en": limit_en,
        "steps": list(item.steps),
        "steps_en": list(item.steps_en),
        "legal_basis": item.legal_basis,
        "online": item.online,
        "village_proxy": item.village_proxy,
    }


@dataclass(frozen=True)
class Token:
    """One character of a name as search sees it: itself and the syllables it may be read as."""

    char: str
    readings: tuple[str, ...]  # the reading in this word (pypinyin's phrase-aware choice)
    other_readings: tuple[str, ...] = ()  # other readings of a polyphonic character


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, only letters, digits and Chinese characters."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in text if c.isalnum())


@functools.lru_cache(maxsize=8192)
def tokens_of(text: str) -> tuple[Token, ...]:
    """A name as search tokens, computed once per distinct text (pypinyin is the slow part)."""
    text = normalize(text)
    result: list[Token] = []
    for run in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\u3400-\u9fff\uf900-\ufaff]+", text):
        if not _is_cjk(run[0]):
            result.extend(Token(c, (c,)) for c in run)
            continue
        chosen = lazy_pinyin(run, errors=lambda chars: "")
        every = pinyin(run, style=Style.NORMAL, heteronym=True, errors=lambda chars: "")
        if len(chosen) != len(run) or len(every) != len(run):
            # a character pypinyin does not know: read the run one character at a time
            chosen = [next(iter(lazy_pinyin(c, errors=lambda _: "")), "") for c in run]
            every = [next(iter(pinyin(c, heteronym=True, style=Style.NORMAL)), []) for c in run]
        for char, reading, readings in zip(run, chosen, every, strict=True):
            main = (reading,) if reading else ()
            others = tuple(r for r in dict.fromkeys(readings) if r and r != reading)
            result.append(Token(char, main, others))
    return tuple(result)


# How far apart two matched characters may be: 社会保险 → 社保 skips one, 城乡居民 → 城居 two.
MAX_GAP = 2
_GAP_COST = 2
_UNUSUAL_TIERS = 3


def match_cost(query: str, tokens: Sequence[Token]) -> tuple[int, int] | None:
    """How well a normalized query matches a name: (tier, cost), lower is better, or None.

    Each query piece matches one character of the name in order: a Chinese character matches
    itself; letters match the start of the character's pinyin ("s", "sh", "she" all match 社),
    so "sb" and "shebao" both find 社会保障 (an abbreviation skips characters: 社(会)保).
    Tier 0: from the first character, no gaps; 1: somewhere, no gaps; 2: with gaps; 3 and up:
    only through an unusual reading of a polyphonic character (参 read as shen in 参保).
    """
    if not query or not tokens:
        return None
    n_q, n_t = len(query), len(tokens)

    @functools.cache
    def best(qi: int, ti: int) -> tuple[int, int, int] | None:
        """(unusual readings, gaps, gap cost) to match query[qi:], token ti taking the first."""
        token = tokens[ti]
        options: list[tuple[int, int]] = []  # (query characters consumed, unusual reading?)
        if _is_cjk(query[qi]):
            if token.char == query[qi]:
                options.append((1, 0))
        else:
            for readings, unusual in ((token.readings, 0), (token.other_readings, 1)):
                lengths = {
                    k
                    for reading in readings
                    for k in range(1, len(reading) + 1)
                    if query.startswith(reading[:k], qi)
                }
                options.extend((k, unusual) for k in lengths)
        found: tuple[int, int, int] | None = None
        for used, unusual in options:
            rest = qi + used
            candidate: tuple[int, int, int] | None = None
            if rest == n_q:
                candidate = (unusual, 0, 0)
            else:
                for gap in range(MAX_GAP + 1):
                    nxt = ti + 1 + gap
                    if nxt >= n_t:
                        break
                    tail = best(rest, nxt)
                    if tail is not None:
                        option = (tail[0] + unusual, tail[1] + gap, tail[2] + gap * _GAP_COST)
                        if candidate is None or option < candidate:
                            candidate = option
            if candidate is not None and (found is None or candidate < found):
                found = candidate
        return found

    result: tuple[int, int] | None = None
    for start in range(n_t):
        found = best(0, start)
        if found is None:
            continue
        unusual, gaps, cost = found
        tier = (2 if gaps else (0 if start == 0 else 1)) + (_UNUSUAL_TIERS if unusual else 0)
        option = (tier, cost + start)
        if result is None or option < result:
            result = option
    return result


@dataclass(frozen=True)
class SearchEntry:
    """A service item with its search keys, precomputed."""

    item: ServiceItem
    category: Category | None
    name: tuple[Token, ...]
    category_name: tuple[Token, ...]
    code: str
    english: str

    @classmethod
    def of(cls, item: ServiceItem, category: Category | None) -> SearchEntry:
        return cls(
            item=item,
            category=category,
            name=tokens_of(item.name),
            category_name=tokens_of(category.name) if category else (),
            code=normalize(item.code),
            english=" ".join(
                normalize(word)
                for word in f"{item.name_en} {category.name_en if category else ''}".split()
            ),
        )

    def score(self, query: str) -> tuple[int, int] | None:
        """The best match of the query on this item's name, code, category or English name."""
        scores: list[tuple[int, int]] = []
        on_name = match_cost(query, self.name)
        if on_name is not None:
            scores.append(on_name)
        if query.isascii() and len(query) >= 2:
            if query in self.code:
                scores.append((1, 1))
            if any(word.startswith(query) for word in self.english.split()):
                scores.append((1, 2))
        on_category = match_cost(query, self.category_name)
        if on_category is not None:
            scores.append((on_category[0] + 6, on_category[1]))
        return min(scores) if scores else None


def hall_entries(session: Any, hall_id: int) -> list[SearchEntry]:
    categories = {
        c.id: c
        for c in session.scalars(
            select(Category).where(
                tables.categories.c.hall_id == hall_id, tables.categories.c.active.is_(True)
            )
        )
    }
    items = session.scalars(
        select(ServiceItem)
        .where(SI.c.hall_id == hall_id, SI.c.active.is_(True))
        .order_by(SI.c.code, SI.c.id)
    )
    return [
        SearchEntry.of(item, categories.get(item.category_id))
        for item in items
        if item.category_id is None or item.category_id in categories
    ]


def _category_order(entry: SearchEntry) -> tuple[int, str]:
    category = entry.category
    return (category.sort_order, category.prefix) if category else (10_000, "")


MAX_QUERY = 40


def search_items(
    deps: Deps, hall_id: int, query: Any = "", category: Any = None, limit: Any = 50
) -> dict[str, Any]:
    """办事指南: the hall's service items matching a Chinese name or pinyin initials, best first."""
    if query is None:
        query = ""
    if not isinstance(query, str) or len(query) > MAX_QUERY:
        raise InvalidInput(
            f"搜索内容不能超过 {MAX_QUERY} 个字", f"The search is at most {MAX_QUERY} characters"
        )
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise InvalidInput("limit 须为 1 到 200 的整数", "limit must be 1 to 200") from None
    if not 1 <= limit <= 200:
        raise InvalidInput("limit 须为 1 到 200 的整数", "limit must be 1 to 200")
    wanted = normalize(query)
    with deps.db.reading() as session:  # views are built inside: a rollback expires objects
        hall = views.get_hall(session, hall_id)
        category_id: int | None = None
        if category not in (None, ""):
            category_id = lookups.find_category(session, hall, category).id
        entries = [
            e
            for e in hall_entries(session, hall_id)
            if category_id is None or e.item.category_id == category_id
        ]
        ranked = rank_entries(entries, wanted)
        return {
            "query": query,
            "total": len(ranked),
            "items": [item_view(e.item, e.category) for e in ranked[:limit]],
        }


def rank_entries(entries: list[SearchEntry], query: str) -> list[SearchEntry]:
    """The entries matching a normalized query, best first; all of them for an empty query."""
    if not query:
        return sorted(entries, key=_category_order)
    scored = [(entry.score(query), index, entry) for index, entry in enumerate(entries)]
    matching = [(score, index, entry) for score, index, entry in scored if score is not None]
    matching.sort(key=lambda row: (row[0], _category_order(row[2]), row[1]))
    return [entry for _, _, entry in matching]


def get_item(deps: Deps, hall_id: int, item_id: int) -> dict[str, Any]:
    """One service item's one-time notice."""
    with deps.db.reading() as session:
        views.get_hall(session, hall_id)
        item = session.get(ServiceItem, item_id)
        if item is None or item.hall_id != hall_id or not item.active:
            raise NotFound("本大厅没有该事项", "This hall has no such service item")
        category = session.get(Category, item.category_id) if item.category_id else None
        return {"item": item_view(item, category)}
