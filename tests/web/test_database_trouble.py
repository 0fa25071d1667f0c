"""A locked or unreachable database: a clear 503 in both languages, nothing half-written."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import func, select

from queue_server import create_app
from queue_server.store import tables
from queue_server.store.db import Database


def ticket_count(deps: Any) -> int:
    with deps.db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(tables.tickets)) or 0)


def test_a_locked_database_answers_503_and_the_ticket_is_not_half_made(deps, demo, tmp_path):
    impatient = Database(deps.db.url, busy_timeout=0.3)
    app = create_app(
        {
            "DB": impatient,
            "BUS": deps.bus,
            "CLOCK": deps.clock,
            "DATABASE_URL": deps.db.url,
            "ASYNC_MODE": "threading",
            "SECRET_KEY": "t",
            "INSTANCE": str(tmp_path),
        }
    )
    client = app.test_client()
    headers = {"Authorization": f"Bearer {demo['kiosk_token']}"}
    url = f"/api/v1/halls/{demo['hall']}/tickets"
    assert client.post(url, json={"category": "A"}, headers=headers).status_code == 201

    blocker = sqlite3.connect(deps.db.url.removeprefix("sqlite:///"))
    blocker.execute("BEGIN EXCLUSIVE")  # e.g. a backup tool or another process holding it
    try:
        refused = client.post(url, json={"category": "A"}, headers=headers)
        assert refused.status_code == 503
        body = refused.get_json()
        assert body["error"] == "unavailable"
        assert body["message"] == "系统繁忙，请稍候再试" and "try again" in body["message_en"]
    finally:
        blocker.rollback()
        blocker.close()
    assert ticket_count(deps) == 1
    # The lock is gone: the next try works and the number follows on.
    retry = client.post(url, json={"category": "A"}, headers=headers)
    assert retry.status_code == 201 and retry.get_json()["number"] == "A002"
    impatient.dispose()


def test_an_unreachable_database_answers_503_on_reads_and_writes(tmp_path):
    app = create_app(
        {
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",  # nothing listens on port 9
            "ASYNC_MODE": "threading",
            "SECRET_KEY": "t",
            "INSTANCE": str(tmp_path),
        }
    )
    client = app.test_client()
    for response in (
        client.get("/api/v1/halls"),
        client.post("/api/v1/halls/1/tickets", json={"category": "A"}),
        client.post("/api/v1/auth/login", json={"staff_no": "0101", "password": "x"}),
    ):
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.get_json()["message_en"].startswith("The database is busy or unavailable")
    app.extensions["hallq"].db.dispose()
