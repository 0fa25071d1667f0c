"""Bad input never reaches a 500 or the log: NUL characters and lone surrogates in any text
answer 422 on SQLite and PostgreSQL, a JSON body nested 100,000 deep answers 400, and a
database error logs no personal data (docs/reliability.md, "Bad input")."""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

import pytest

from tests.web.test_api import assert_error, table_counts
from tests.web.test_booking_api import FRI_9, citizen

BOTH = pytest.mark.parametrize("db_url", ["sqlite", "pg"], indirect=True)


def post_raw(client: Any, url: str, document: Any, **headers: str) -> Any:
    """The JSON as a browser would send it: a NUL or a lone surrogate as a \\u escape."""
    return client.post(
        url, data=json.dumps(document), content_type="application/json", headers=headers
    )


@BOTH
@pytest.mark.parametrize("bad", ["\x00", "\ud800", "a\udfffb"], ids=["nul", "high", "low"])
def test_a_nul_or_a_lone_surrogate_in_any_text_is_refused(api, app, deps, bad):
    anon = app.test_client()
    hall = api.demo["hall"]
    ticket = api.issue("A")
    api.window(1, "open")
    api.window(1, "call-next")
    api.window(1, "finish", {"outcome": "completed"})
    clerk = api.token(api.clerk(2)["staff_no"])
    api.window(2, "open")
    before = table_counts(deps)
    refusals = [
        post_raw(anon, "/api/v1/auth/login", {"staff_no": f"10{bad}01", "password": "x" * 10}),
        post_raw(anon, "/api/v1/auth/login", {"staff_no": "1001", f"pass{bad}": "x"}),
        post_raw(anon, f"/api/v1/halls/{hall}/bookings", citizen(deps, note=f"带{bad}材料")),
        post_raw(anon, f"/api/v1/halls/{hall}/bookings", citizen(deps, name=f"张{bad}三")),
        post_raw(
            api.client,
            f"/api/v1/windows/{api.clerk(2)['window']}/pause",
            {"reason": f"午休{bad}"},
            Authorization=f"Bearer {clerk}",
        ),
        post_raw(
            anon,
            f"/api/v1/tickets/{ticket['token']}/evaluation",
            {"level": "dissatisfied", "reason": "attitude", "comment": f"太慢{bad}"},
        ),
        post_raw(anon, f"/api/v1/halls/{hall}/tickets", {"category": f"A{bad}"}),
    ]
    for reply in refusals:
        body = assert_error(reply, 422, "invalid")
        assert "NUL" in body["message_en"], body
    assert table_counts(deps) == before
    # %00 in the address, the query and a console form (a surrogate has no %-spelling)
    for reply in (
        anon.get(f"/api/v1/tickets/{ticket['token'][:6]}%00abc/evaluation"),
        anon.get(f"/api/v1/halls/{hall}/service-items?q=%E7%A4%BE%00"),
        anon.post("/admin/login", data={"staff_no": "10\x0001", "password": "x" * 10}),
    ):
        assert reply.status_code == 422, reply.get_data(as_text=True)[:300]


def test_a_json_body_nested_100000_deep_is_a_bad_request(api, app):
    anon = app.test_client()
    url = f"/api/v1/halls/{api.demo['hall']}/bookings"
    for deep in (
        "[" * 100_000 + "]" * 100_000,
        '{"note": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"a": ' + '{"a": ' * 500 + "1" + "}" * 501,  # parses, but deeper than any request
    ):
        reply = anon.post(url, data=deep, content_type="application/json")
        body = assert_error(reply, 400, "bad_request")
        assert "nested too deeply" in body["message_en"]
    fine = {**citizen(api.client.application.extensions["hallq"]), "start": FRI_9}
    assert anon.post(url, json=fine).status_code == 201, "a normal booking still goes through"


def test_a_database_error_on_a_booking_logs_no_personal_data(api, app, deps, caplog):
    """The booking fails inside the database (a trigger stands in for a broken disk or a
    constraint gone wrong): the citizen gets a 500 in both languages, and the log, which
    carries the error and its SQL, carries none of the values: no name, phone or ID number."""
    path = deps.db.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TRIGGER fail_bookings BEFORE INSERT ON bookings "
            "BEGIN SELECT RAISE(ABORT, 'forced failure'); END"
        )
    caplog.set_level(logging.DEBUG)
    person = citizen(deps, name="欧阳娜娜", phone="13912345678", note="住在幸福路8号")
    reply = app.test_client().post(f"/api/v1/halls/{api.demo['hall']}/bookings", json=person)
    assert_error(reply, 500, "internal")
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "forced failure" in logged and "INSERT INTO bookings" in logged, "the error is logged"
    for personal in ("欧阳娜娜", "13912345678", "12345678", "幸福路", person["id_number"]):
        assert personal not in logged, f"{personal!r} reached the log"
