"""The village station over HTTP: the agent's page (a sign-in form signed out, the agent's name
signed in), a case registered there (201, or 422 naming what is missing), bad bodies refused in
both languages with nothing changed, the station's list, sending the result back and handing
it out at the station."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from queue_server.services.demo import demo_password
from queue_server.store import case_tables, tables
from tests.services.cases_world import FOOD, World, applicant, build

pytestmark = pytest.mark.usefixtures("demo_passwords_hashed_once")


@pytest.fixture
def world(deps: Any) -> World:
    made = build(deps)
    with deps.db.transaction() as s:
        s.execute(
            update(tables.service_items)
            .where(tables.service_items.c.id == made.food_item)
            .values(village_proxy=True)
        )
    return made


def bearer(client: Any, staff_no: str) -> dict[str, str]:
    reply = client.post(
        "/api/v1/auth/login", json={"staff_no": staff_no, "password": demo_password(staff_no)}
    )
    assert reply.status_code == 200, reply.get_json()
    return {"Authorization": f"Bearer {reply.get_json()['token']}"}


def body(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "item": world.food_item,
        "applicant": applicant(),
        "materials": dict.fromkeys(FOOD, "provided"),
        **extra,
    }


def count_cases(deps: Any) -> int:
    with deps.db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(case_tables.cases)) or 0)


def test_the_agents_page_signs_in_then_names_the_agent(app: Any, client: Any, world: World):
    page = client.get(f"/station/{world.village}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="login-form"' in html and 'id="case-form"' not in html
    assert page.headers["Cache-Control"] == "no-store"
    agent_no = world.town["agent"]["staff_no"]  # type: ignore[attr-defined]
    client.post(
        "/api/v1/auth/login", json={"staff_no": agent_no, "password": demo_password(agent_no)}
    )
    html = client.get(f"/station/{world.village}").get_data(as_text=True)
    assert 'id="case-form"' in html and "李代办" in html
    assert "不是村（社区）便民服务站" in client.get(f"/station/{world.hall}").get_data(as_text=True)
    assert client.get("/station/99999").status_code == 404


def test_register_list_send_back_and_hand_out(client: Any, world: World, deps: Any):
    agent = bearer(client, world.town["agent"]["staff_no"])  # type: ignore[attr-defined]
    url = f"/api/v1/stations/{world.village}/cases"
    missing = client.post(
        url, json=body(world, materials={"1": "provided", "2": "missing", "3": "na"}), headers=agent
    )
    assert missing.status_code == 422
    assert missing.get_json()["error"] == "materials_missing"
    assert missing.get_json()["missing"] == ["食品安全承诺书"]
    made = client.post(url, json=body(world), headers=agent)
    assert made.status_code == 201, made.get_json()
    case = made.get_json()
    assert (case["state"], case["station"]["id"], case["town"]["id"]) == (
        "in_review",
        world.village,
        world.hall,
    )
    listed = client.get(url, headers=agent).get_json()
    assert [c["number"] for c in listed["cases"]] == [case["number"]]
    assert client.get(f"{url}?state=lost", headers=agent).status_code == 422
    for key in ("market", "health"):
        approver = bearer(client, world.credentials[key][0])
        assert (
            client.post(
                f"/api/v1/cases/{case['id']}/approve", json={}, headers=approver
            ).status_code
            == 200
        )
    front_desk = bearer(client, world.town["clerks"][0]["staff_no"])  # type: ignore[attr-defined]
    # The agent may not send it back (the town's front desk does), nor hand it out elsewhere.
    assert (
        client.post(
            f"/api/v1/cases/{case['id']}/send-to-station", json={}, headers=agent
        ).status_code
        == 403
    )
    sent = client.post(f"/api/v1/cases/{case['id']}/send-to-station", json={}, headers=front_desk)
    assert sent.status_code == 200 and sent.get_json()["sent_to_station_on"] == "2026-11-26"
    again = client.post(f"/api/v1/cases/{case['id']}/send-to-station", json={}, headers=front_desk)
    assert again.status_code == 409 and again.get_json()["message_en"]
    assert client.get(url, headers=agent).get_json()["cases"][0]["ready_here"] is True
    assert (
        client.post(
            f"/api/v1/cases/{case['id']}/deliver", json={"how": "window"}, headers=agent
        ).status_code
        == 403
    )
    done = client.post(
        f"/api/v1/cases/{case['id']}/deliver", json={"how": "station"}, headers=agent
    )
    assert done.status_code == 200 and done.get_json()["delivery"] == "station"


@pytest.mark.parametrize(
    "sent",
    [
        None,
        [],
        "case",
        {"item": "1"},
        {"item": 2**40},
        {"applicant": applicant()},
        {"applicant": {"name": "张三丰", "phone": "12", "id_number": "1"}},
        {"materials": ["provided"]},
        {"materials": {"营业执照": "maybe"}},
        {"accept_with_missing": "yes"},
    ],
)
def test_bad_bodies_are_refused_in_both_languages_and_change_nothing(
    client: Any, world: World, deps: Any, sent: Any
):
    agent = bearer(client, world.town["agent"]["staff_no"])  # type: ignore[attr-defined]
    data = sent if not isinstance(sent, dict) else {**body(world), **sent}
    if isinstance(sent, dict) and "item" not in sent and "applicant" in sent and len(sent) == 1:
        data = {"applicant": applicant()}  # no item at all
    reply = client.post(f"/api/v1/stations/{world.village}/cases", json=data, headers=agent)
    assert reply.status_code in (400, 404, 422), reply.get_json()
    error = reply.get_json()
    assert error["message"] and error["message_en"] and error["message"] != error["message_en"]
    assert count_cases(deps) == 0
