"""好差评 through the API: one rating per served ticket, from the pad, the keypad or the phone,
within the hall's time limit; stored with the ticket, window and clerk."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from queue_server.domain import evaluation as rules
from queue_server.domain.errors import Conflict, InvalidInput
from queue_server.services import evaluation
from queue_server.services.auth import register_device
from queue_server.store import migrate, tables


def served(api: Any, window: int = 1, category: str = "A") -> dict[str, Any]:
    """Issue a ticket, call it at the window and finish it; returns the issued ticket."""
    ticket = api.issue(category)
    api.window(window, "open")
    called = api.window(window, "call-next")
    assert called["ticket"]["number"] == ticket["number"]
    api.window(window, "finish", {"outcome": "completed"})
    return ticket


def pad_of(deps: Any, api: Any, window_number: int = 1) -> dict[str, str]:
    """The Authorization of a new evaluator device at the window (the pad's device token)."""
    window_id = api.clerk(window_number)["window"]
    _, token = register_device(deps, api.demo["hall"], "evaluator", "评价器", window_id=window_id)
    return {"Authorization": f"Bearer {token}"}


def stored_rows(deps: Any) -> list[Any]:
    with deps.db.reading() as session:
        return list(session.execute(select(tables.evaluations)).all())


def test_the_phone_rates_a_served_ticket_once_and_it_is_stored_with_window_and_clerk(
    api, client, deps, demo
):
    ticket = served(api)
    status = client.get(f"/api/v1/tickets/{ticket['token']}/evaluation").get_json()
    assert status["can_evaluate"] is True
    assert [level["name"] for level in status["levels"]] == [
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
    ]
    reply = client.post(
        f"/api/v1/tickets/{ticket['token']}/evaluation", json={"level": "satisfied"}
    )
    assert reply.status_code == 201, reply.get_json()
    assert reply.get_json()["evaluation"]["level_name"] == "满意"
    assert reply.get_json()["can_evaluate"] is False

    again = client.post(
        f"/api/v1/tickets/{ticket['token']}/evaluation", json={"level": "very_satisfied"}
    )
    assert again.status_code == 409
    assert "已评价" in again.get_json()["message"]

    (row,) = stored_rows(deps)
    clerk = api.clerk(1)
    assert row.level == "satisfied" and row.score == 75 and row.source == "phone"
    assert row.window_id == clerk["window"]
    with deps.db.reading() as session:
        staff_no = session.scalar(
            select(tables.clerks.c.staff_no).where(tables.clerks.c.id == row.clerk_id)
        )
    assert staff_no == clerk["staff_no"]
    assert deps.bus.events("ticket_evaluated", f"window:{clerk['window']}")


def test_a_ticket_not_yet_served_cannot_be_rated(api, client):
    ticket = api.issue("A")
    reply = client.post(f"/api/v1/tickets/{ticket['token']}/evaluation", json={"level": "basic"})
    assert reply.status_code == 409
    assert "办结后" in reply.get_json()["message"]
    assert (
        client.get(f"/api/v1/tickets/{ticket['token']}/evaluation").get_json()["can_evaluate"]
        is False
    )


def test_a_no_show_cannot_be_rated(api, client, clock):
    ticket = api.issue("A")
    api.window(1, "open")
    api.window(1, "call-next")
    api.window(1, "recall")
    clock.advance(seconds=61)
    api.window(1, "no-show")
    reply = client.post(f"/api/v1/tickets/{ticket['token']}/evaluation", json={"level": "basic"})
    assert reply.status_code == 409


@pytest.mark.parametrize("level", ["dissatisfied", "very_dissatisfied"])
def test_the_two_lowest_levels_need_a_reason_from_the_list(api, client, deps, level):
    ticket = served(api)
    url = f"/api/v1/tickets/{ticket['token']}/evaluation"
    missing = client.post(url, json={"level": level})
    assert missing.status_code == 422
    assert missing.get_json()["message"] == "请选择不满意的原因"
    wrong = client.post(url, json={"level": level, "reason": "weather"})
    assert wrong.status_code == 422
    ok = client.post(url, json={"level": level, "reason": "materials", "comment": " 跑了三次 "})
    assert ok.status_code == 201
    (row,) = stored_rows(deps)
    assert (row.reason, row.comment) == ("materials", "跑了三次")


def test_the_time_limit_is_a_hall_setting(api, client, clock, deps, demo):
    with deps.db.transaction() as session:
        session.execute(
            tables.halls.update()
            .where(tables.halls.c.id == demo["hall"])
            .values(settings={"evaluation": {"minutes": 5}})
        )
    ticket = served(api)
    clock.advance(minutes=5, seconds=1)
    status = client.get(f"/api/v1/tickets/{ticket['token']}/evaluation").get_json()
    assert status["can_evaluate"] is False and status["time_limit_minutes"] == 5
    reply = client.post(f"/api/v1/tickets/{ticket['token']}/evaluation", json={"level": "basic"})
    assert reply.status_code == 409
    assert "评价时限" in reply.get_json()["message"]


def test_the_default_time_limit_is_thirty_minutes(api, client, clock):
    ticket = served(api)
    clock.advance(minutes=29)
    url = f"/api/v1/tickets/{ticket['token']}/evaluation"
    assert client.post(url, json={"level": "basic"}).status_code == 201


def test_the_pad_rates_the_last_visit_at_its_window_and_only_that_one(api, client, deps):
    first = served(api)
    window_id = api.clerk(1)["window"]
    pending = client.get(f"/api/v1/windows/{window_id}/evaluation").get_json()
    assert pending["pending"]["number"] == first["number"]

    second = served(api)
    pad = pad_of(deps, api)
    stale = client.post(
        f"/api/v1/windows/{window_id}/evaluation",
        json={"level": "satisfied", "number": first["number"]},
        headers=pad,
    )
    assert stale.status_code == 409  # the pad showing an older visit never rates the new one
    ok = client.post(
        f"/api/v1/windows/{window_id}/evaluation",
        json={"level": "very_satisfied", "number": second["number"]},
        headers=pad,
    )
    assert ok.status_code == 201, ok.get_json()
    assert client.get(f"/api/v1/windows/{window_id}/evaluation").get_json()["pending"] is None
    (row,) = stored_rows(deps)
    assert row.source == "pad" and row.score == 100
    # the phone of the same ticket is told it is rated already
    phone = client.post(f"/api/v1/tickets/{second['token']}/evaluation", json={"level": "basic"})
    assert phone.status_code == 409


def test_the_keypad_source_rates_through_the_same_service(api, deps):
    served(api)
    window_id = api.clerk(1)["window"]
    view = evaluation.rate_at_window(deps, window_id, "basic", source="keypad")
    assert view["evaluation"]["source"] == "keypad"
    with pytest.raises(Conflict):
        evaluation.rate_at_window(deps, window_id, "basic", source="keypad")


def test_bad_input_is_a_clear_error_never_a_500(api, client, deps):
    ticket = served(api)
    url = f"/api/v1/tickets/{ticket['token']}/evaluation"
    for bad in ({}, {"level": "great"}, {"level": 3}, {"level": "basic", "comment": "字" * 201}):
        reply = client.post(url, json=bad)
        assert reply.status_code == 422, bad
        assert set(reply.get_json()) == {"error", "message", "message_en"}
    assert client.post(url, data="nonsense", content_type="application/json").status_code == 400
    assert (
        client.post(
            "/api/v1/tickets/nosuchtoken123/evaluation", json={"level": "basic"}
        ).status_code
        == 404
    )
    assert client.get("/api/v1/windows/999/evaluation").status_code == 404
    pad = pad_of(deps, api)
    reply = client.post("/api/v1/windows/999/evaluation", json={"level": "basic"}, headers=pad)
    assert reply.status_code == 404


def test_window_figures_count_todays_ratings(api, client, deps):
    ticket = served(api)
    client.post(f"/api/v1/tickets/{ticket['token']}/evaluation", json={"level": "satisfied"})
    token = api.token(api.clerk(1)["staff_no"])
    window_id = api.clerk(1)["window"]
    stats = client.get(
        f"/api/v1/windows/{window_id}/stats", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert stats["today"]["served"] == 1
    assert stats["today"]["rated"] == 1 and stats["today"]["satisfaction_percent"] == 100


def test_rules_check_levels_reasons_and_limits():
    assert rules.level_for_code("非常满意").score == 100
    assert rules.check_rating("satisfied", "attitude").reason is None  # only low ratings keep one
    with pytest.raises(InvalidInput):
        rules.evaluation_minutes({"evaluation": {"minutes": 0}})
    assert rules.evaluation_minutes({}) == 30


def test_the_evaluator_module_still_exports_the_levels():
    from devices.evaluator import EVALUATION_LEVELS, EvaluationLevel

    assert EVALUATION_LEVELS is rules.EVALUATION_LEVELS
    assert EvaluationLevel is rules.EvaluationLevel


def test_migration_0002_creates_the_evaluations_table_as_declared(tmp_path):
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from queue_server.store.db import make_engine

    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate.upgrade(url, "0002")
    assert migrate.current(url) == "0002"
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), tables.metadata)
    mine = [d for d in diff if _table_of(d) == "evaluations"]
    assert mine == []
    command.downgrade(migrate.alembic_config(url), "0001")
    with engine.connect() as conn:
        assert "evaluations" not in inspect(conn).get_table_names()
    engine.dispose()


def _table_of(diff: Any) -> str | None:
    """The table an Alembic autogenerate difference is about."""
    if isinstance(diff, list):  # modify_* differences come as a list of tuples
        diff = diff[0]
    kind, *rest = diff
    if kind in ("add_table", "remove_table"):
        return str(rest[0].name)
    if kind in ("add_column", "remove_column"):
        return str(rest[1])
    if kind in ("add_index", "remove_index", "add_constraint", "remove_constraint"):
        return str(rest[0].table.name)
    if kind in ("add_fk", "remove_fk"):
        return str(rest[0].parent.name)
    if kind.startswith("modify_"):
        return str(rest[1])
    return None


def test_only_the_windows_own_pad_rates_there_never_a_stranger(api, client, deps, app):
    """An anonymous caller cannot give the last visit a 非常不满意 (which opens a follow-up
    against the clerk): 401. Another window's pad, a kiosk or a clerk: 403. The real citizen can
    still rate afterwards, on the pad or the phone."""
    ticket = served(api)
    window_id = api.clerk(1)["window"]
    url = f"/api/v1/windows/{window_id}/evaluation"
    worst = {"level": "very_dissatisfied", "reason": "attitude"}
    stranger = app.test_client()  # no sign-in, no device token
    assert stranger.post(url, json=worst).status_code == 401
    bogus = {"Authorization": "Bearer not-a-device-token"}
    assert stranger.post(url, json=worst, headers=bogus).status_code == 401
    clerk = {"Authorization": f"Bearer {api.token(api.clerk(1)['staff_no'])}"}
    for headers in (pad_of(deps, api, 2), api.kiosk_headers(), clerk):
        refused = client.post(url, json=worst, headers=headers)
        assert refused.status_code == 403, refused.get_json()
        assert set(refused.get_json()) == {"error", "message", "message_en"}
    assert stored_rows(deps) == []
    status = client.get(f"/api/v1/tickets/{ticket['token']}/evaluation").get_json()
    assert status["can_evaluate"] is True
    ok = client.post(url, json={"level": "satisfied"}, headers=pad_of(deps, api, 1))
    assert ok.status_code == 201
    (row,) = stored_rows(deps)
    assert (row.level, row.source) == ("satisfied", "pad")
