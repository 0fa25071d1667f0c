"""The ceiling of hallq's stack: Flask + Flask-SocketIO on gevent's pywsgi with TCP_NODELAY,
answering a POST with a small JSON body and doing nothing else. Served like `hallq serve`.

With a hallq SQLite database as second argument, the endpoint also runs the statements issuing
a ticket runs (lock, last number, the ticket, its audit entry, people ahead, waiting counts,
commit) with the sqlite3 module directly: the floor the database sets under the stack.

Run: python bench/_bare_app.py PORT [HALLQ.db]
"""

from gevent import monkey

monkey.patch_all()

import secrets  # noqa: E402
import sqlite3  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from flask import Flask, jsonify, request  # noqa: E402
from flask_socketio import SocketIO  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent")


@app.get("/healthz")
def health():  # type: ignore[no-untyped-def]
    return {"ok": True}


DB: sqlite3.Connection | None = None
CATEGORIES: dict[tuple[int, str], int] = {}
DAY = "2026-11-26"
AT = "2026-11-26 01:30:00.000000"


def open_database(path: str) -> None:
    """The hallq database the endpoint writes its tickets into."""
    global DB
    DB = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        DB.execute(f"PRAGMA {pragma}")
    for category_id, hall_id, prefix in DB.execute("SELECT id, hall_id, prefix FROM categories"):
        CATEGORIES[(hall_id, prefix)] = category_id


def issue_with_sql(hall: int, prefix: str) -> str:
    """The issuing statements, as hallq sends them, without anything around them."""
    assert DB is not None
    category = CATEGORIES[(hall, prefix)]
    DB.execute("BEGIN IMMEDIATE")
    try:
        last = DB.execute(
            "SELECT max(seq) FROM tickets WHERE hall_id = ? AND category_id = ?"
            " AND service_day = ?",
            (hall, category, DAY),
        ).fetchone()[0]
        seq = (last or 0) + 1
        number = f"{prefix}{seq:03d}"
        key = time.time()
        ticket = DB.execute(
            "INSERT INTO tickets (hall_id, category_id, service_day, seq, number, token,"
            " issued_at, sort_key, priority, state, source, times_called, items, note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'none', 'waiting', 'kiosk', 0, '[]', '')"
            " RETURNING id",
            (hall, category, DAY, seq, number, secrets.token_urlsafe(16), AT, key),
        ).fetchone()[0]
        DB.execute(
            "INSERT INTO audit_log (at, hall_id, actor, action, subject, detail)"
            " VALUES (?, ?, 'device:1', 'ticket.issue', ?, ?)",
            (AT, hall, number, f'{{"ticket": {ticket}}}'),
        )
        DB.execute(
            "SELECT count(*) FROM tickets WHERE hall_id = ? AND service_day = ?"
            " AND state = 'waiting' AND category_id = ? AND id != ? AND sort_key < ?",
            (hall, DAY, category, ticket, key),
        ).fetchone()
        DB.execute(
            "SELECT category_id, count(*) FROM tickets WHERE hall_id = ? AND state = 'waiting'"
            " AND service_day = ? GROUP BY category_id",
            (hall, DAY),
        ).fetchall()
        DB.execute("COMMIT")
    except BaseException:
        DB.execute("ROLLBACK")
        raise
    return number


@app.post("/api/v1/halls/<int:hall>/tickets")
def issue(hall: int):  # type: ignore[no-untyped-def]
    body = request.get_json(silent=True) or {}
    number = "A001" if DB is None else issue_with_sql(hall, str(body.get("category")))
    return jsonify({"hall": hall, "category": body.get("category"), "number": number}), 201


if __name__ == "__main__":
    sys.path.insert(0, ".")
    from queue_server.cli import _make_server

    if len(sys.argv) > 2:
        open_database(sys.argv[2])
    _make_server(app, "127.0.0.1", int(sys.argv[1])).serve_forever()
