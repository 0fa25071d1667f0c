"""A hall's settings kept by one process (the issuing path reads them once, not per ticket)
follow a change made by another process, or by any writer to the database, at once: the
database's triggers bump the hall's settings version, read with the hall's lock."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from queue_server.app import bootstrap
from queue_server.domain.errors import CapacityReached, Conflict, NotFound
from queue_server.services import issuing as q
from queue_server.services import views
from queue_server.services.auth import actor_for_token
from queue_server.services.bus import RecordingBus
from queue_server.store import tables
from queue_server.store.db import Database

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)


@pytest.fixture
def other(db_url: str, clock: Any) -> Any:
    """A second process's adapters on the same database: its own engine and its own caches."""
    database = Database(db_url)
    yield bootstrap({"DB": database, "BUS": RecordingBus(), "CLOCK": clock, "DATABASE_URL": db_url})
    database.dispose()


@pytest.fixture(autouse=True)
def settings_kept_long(monkeypatch):
    # Only the version may tell a process its settings are stale, not their age.
    monkeypatch.setattr(views, "CONFIG_SECONDS", 3600.0)


def test_a_category_closed_by_another_process_is_refused_at_once(deps, demo, other):
    kiosk = actor_for_token(deps, demo["kiosk_token"])
    assert kiosk is not None
    assert q.issue_ticket(deps, kiosk, demo["hall"], "B")["number"] == "B001"
    with other.db.transaction() as s:
        s.execute(
            update(tables.categories)
            .where(tables.categories.c.hall_id == demo["hall"], tables.categories.c.prefix == "B")
            .values(active=False)
        )
    with pytest.raises(NotFound) as refused:
        q.issue_ticket(deps, kiosk, demo["hall"], "B")
    assert refused.value.message == "本大厅没有该业务类别"


def test_a_daily_cap_set_by_another_process_holds_at_the_next_ticket(deps, demo, other):
    kiosk = actor_for_token(deps, demo["kiosk_token"])
    assert kiosk is not None
    q.issue_ticket(deps, kiosk, demo["hall"], "A")
    q.issue_ticket(deps, kiosk, demo["hall"], "A")
    with other.db.transaction() as s:
        s.execute(
            update(tables.categories)
            .where(tables.categories.c.hall_id == demo["hall"], tables.categories.c.prefix == "A")
            .values(daily_cap=2)
        )
    with pytest.raises(CapacityReached) as refused:
        q.issue_ticket(deps, kiosk, demo["hall"], "A")
    assert "每日 2 个" in refused.value.message


def test_settings_are_not_read_again_while_nothing_changed(deps, demo):
    kiosk = actor_for_token(deps, demo["kiosk_token"])
    assert kiosk is not None
    q.issue_ticket(deps, kiosk, demo["hall"], "A")
    with deps.db.reading() as s:
        kept = views.hall_config(s, demo["hall"])
    q.issue_ticket(deps, kiosk, demo["hall"], "A")
    with deps.db.reading() as s:
        assert views.hall_config(s, demo["hall"]) is kept


def test_a_booking_rule_set_by_another_process_refuses_walk_ins_at_once(deps, demo, other, clock):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy import insert, select

    from queue_server.store import booking_tables as bt

    clock.current = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # 5+X
    kiosk = actor_for_token(deps, demo["kiosk_token"])
    assert kiosk is not None
    assert q.issue_ticket(deps, kiosk, demo["hall"], "A")["number"] == "A001"
    with other.db.transaction() as s:
        category_a = s.scalar(
            select(tables.categories.c.id).where(
                tables.categories.c.hall_id == demo["hall"], tables.categories.c.prefix == "A"
            )
        )
        s.execute(
            insert(bt.booking_rules).values(
                hall_id=demo["hall"],
                category_id=category_a,
                service_item_id=None,
                rule={"appointment_only_kinds": ["extra_day"]},
                updated_at=clock.now(),
            )
        )
    with pytest.raises(Conflict) as refused:
        q.issue_ticket(deps, kiosk, demo["hall"], "A")
    assert "仅接待已预约的群众" in refused.value.message
