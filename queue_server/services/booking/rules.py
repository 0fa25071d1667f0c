"""The rules of booking: the hall's booking policy, the rule that applies to an item (and the
pool of places it books from), and the keyed digest that stands for an ID number."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ...domain.booking import DEFAULT_RULE, BookingPolicy, BookingRule, RuleKey
from ...domain.model import ServiceItem
from ...store import booking_tables as bt

SETTINGS = bt.booking_settings


def load_policy(session: Session, hall_id: int) -> BookingPolicy:
    """The hall's booking policy (defaults until a manager sets one)."""
    stored = session.scalar(select(SETTINGS.c.policy).where(SETTINGS.c.hall_id == hall_id))
    return BookingPolicy.from_dict(stored or {})


def _id_key(session: Session, hall_id: int) -> str:
    """The hall's digest key, made on first use (call under the hall's lock)."""
    key = session.scalar(select(SETTINGS.c.id_key).where(SETTINGS.c.hall_id == hall_id))
    if key is None:
        key = secrets.token_hex(32)
        session.execute(insert(SETTINGS).values(hall_id=hall_id, policy={}, id_key=key))
    return str(key)


def id_digest(key: str, id_number: str) -> str:
    """The keyed digest that stands for an ID number in the limits."""
    return hmac.new(key.encode(), id_number.encode(), hashlib.sha256).hexdigest()


def rule_for(rules: dict[RuleKey, BookingRule], item: ServiceItem) -> tuple[BookingRule, str]:
    """The rule that applies to an item and the pool of places it books from.

    An item with its own rule has its own places; otherwise the items of a category share
    the category's places, under the category's rule or the hall's default.
    """
    if (None, item.id) in rules:
        return rules[(None, item.id)], f"item:{item.id}"
    pool = f"category:{item.category_id}" if item.category_id else f"item:{item.id}"
    if item.category_id is not None and (item.category_id, None) in rules:
        return rules[(item.category_id, None)], pool
    return rules.get((None, None), DEFAULT_RULE), pool


def rule_summary(rule: BookingRule) -> dict[str, Any]:
    """What a citizen needs to know of a rule."""
    return {
        "slot_minutes": rule.slot.slot_minutes,
        "places_per_slot": rule.slot.places_per_slot,
        "days_ahead": rule.slot.days_ahead,
    }
