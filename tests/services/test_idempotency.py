"""A retried ticket request (the same Idempotency-Key) gets the ticket the first one made: one
ticket, one number, one print, one audit entry, however many times the kiosk asks again."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, inspect, select

from queue_server.services import idempotency, issuing
from queue_server.services.auth import register_device
from queue_server.store import migrate, tables
from queue_server.store.db import make_engine
from queue_server.store.idempotency_tables import issue_requests

KEY = "tap-0f3a9c2e7b114d5e"


def issue(api: Any, key: str | None, category: str = "A", headers: Any = None) -> Any:
    extra = {"Idempotency-Key": key} if key is not None else {}
    return api.client.post(
        f"/api/v1/halls/{api.demo['hall']}/tickets",
        json={"category": category},
        headers={**(headers or api.kiosk_headers()), **extra},
    )


def count(deps: Any, table: Any, *where: Any) -> int:
    with deps.db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def test_a_repeated_key_gets_the_same_ticket_and_nothing_new_happens(api, deps, bus):
    first = issue(api, KEY)
    again = issue(api, KEY)
    assert first.status_code == again.status_code == 201
    a, b = first.get_json(), again.get_json()
    assert (b["number"], b["token"], b["phone_url"]) == (a["number"], a["token"], a["phone_url"])
    assert count(deps, tables.tickets) == 1
    assert len(bus.events("ticket_issued")) == 1  # printed once, announced once
    assert count(deps, tables.audit_log, tables.audit_log.c.action == "ticket.issue") == 1
    # Another tap is another key: a second ticket.
    assert issue(api, "tap-second-000001").get_json()["number"] == "A002"
    assert issue(api, None).get_json()["number"] == "A003"  # no key: as before


def test_the_replayed_ticket_shows_its_place_now(api):
    first = issue(api, KEY).get_json()
    issue(api, "tap-later-000000001")
    api.window(1, "open")
    api.window(1, "call-next")  # the first ticket is called before the retry arrives
    replay = issue(api, KEY).get_json()
    assert replay["number"] == first["number"] and replay["state"] == "called"


def test_keys_count_per_issuer(api, deps, demo):
    _, other_token = register_device(deps, demo["hall"], "kiosk", "二号取号机")
    mine = issue(api, KEY).get_json()
    theirs = issue(api, KEY, headers={"Authorization": f"Bearer {other_token}"}).get_json()
    assert mine["number"] == "A001" and theirs["number"] == "A002"


def test_a_key_is_kept_ten_minutes(api, deps, clock):
    first = issue(api, KEY).get_json()
    clock.advance(minutes=9)
    assert issue(api, KEY).get_json()["number"] == first["number"]
    clock.advance(minutes=2)
    assert issue(api, KEY).get_json()["number"] == "A002"  # that was a new tap long after
    assert count(deps, issue_requests) == 1


def test_a_key_reused_for_another_category_is_refused_and_changes_nothing(api, deps):
    issue(api, KEY, "A")
    refused = issue(api, KEY, "B")
    assert refused.status_code == 409
    assert "Idempotency-Key" in refused.get_json()["message_en"]
    assert count(deps, tables.tickets) == 1


@pytest.mark.parametrize("key", ["short", "x" * 65, "带中文的键值abcdefg", "a b c d e f g h"])
def test_a_malformed_key_gets_a_clear_422_and_no_ticket(api, deps, key):
    refused = issue(api, key)
    assert refused.status_code == 422
    assert refused.get_json()["message"].startswith("Idempotency-Key 须为")
    assert count(deps, tables.tickets) == 0


@pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)
def test_the_same_key_sent_eight_times_at_once_makes_one_ticket(deps, demo, db_url):
    from queue_server.services.auth import actor_for_token

    kiosk = actor_for_token(deps, demo["kiosk_token"])
    assert kiosk is not None
    numbers: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def tap() -> None:
        start.wait()
        try:
            numbers.append(
                issuing.issue_ticket(deps, kiosk, demo["hall"], "A", idempotency_key=KEY)["number"]
            )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=tap) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert numbers == ["A001"] * 8
    assert count(deps, tables.tickets) == 1


def test_old_keys_are_forgotten_by_the_housekeeping(api, deps, clock):
    issue(api, KEY)
    clock.advance(minutes=30)
    issue(api, "tap-recent-0000001")
    with deps.db.transaction() as s:
        assert idempotency.forget_before(s, clock.now() - idempotency.KEEP) == 1
    assert count(deps, issue_requests) == 1


def test_migration_0005_joins_the_two_heads_and_goes_away_cleanly(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate.upgrade(url, "0005")
    assert migrate.current(url) == "0005"
    command.downgrade(migrate.alembic_config(url), "0004")  # back to both heads
    assert migrate.current(url) == "0003,0004"
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert "issue_requests" not in inspect(conn).get_table_names()
    finally:
        engine.dispose()
    migrate.upgrade(url, "0005")
    assert migrate.current(url) == "0005"
