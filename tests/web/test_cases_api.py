"""The cases API (办件) over HTTP: a case registered at a window (201, or 422 naming what is
missing), the citizen's masked page, a hall's list, the back office's actions with their
bilingual refusals, the kiosk's pickup ticket, and who is refused (anonymous, a clerk of another
hall, an approver of another department)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.services.cases_world import FOOD, HEALTH, World, applicant, build


@pytest.fixture
def world(deps: Any) -> World:
    return build(deps)


class Http:
    def __init__(self, client: Any, world: World) -> None:
        self.client = client
        self.world = world
        self.tokens: dict[str, str] = {}

    def bearer(self, staff_no: str) -> dict[str, str]:
        if staff_no not in self.tokens:
            reply = self.client.post(
                "/api/v1/auth/login", json={"staff_no": staff_no, "password": f"demo{staff_no}"}
            )
            assert reply.status_code == 200, reply.get_json()
            self.tokens[staff_no] = reply.get_json()["token"]
        return {"Authorization": f"Bearer {self.tokens[staff_no]}"}

    def approver(self, key: str) -> dict[str, str]:
        return self.bearer(self.world.credentials[key][0])

    def post(self, url: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self._client(headers).post(f"/api/v1{url}", json=body, headers=headers or {})

    def get(self, url: str, headers: dict[str, str] | None = None) -> Any:
        return self._client(headers).get(f"/api/v1{url}", headers=headers or {})

    def _client(self, headers: dict[str, str] | None) -> Any:
        """Without a bearer token: a client of its own, with no sign-in cookie."""
        return self.client if headers else self.client.application.test_client()


@pytest.fixture
def http(client: Any, world: World) -> Http:
    return Http(client, world)


def clerk_headers(http: Http) -> dict[str, str]:
    return http.bearer(http.world.town["clerks"][0]["staff_no"])  # type: ignore[attr-defined]


def register_body(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "item": world.food_item,
        "applicant": applicant(),
        "materials": dict.fromkeys(FOOD, "provided"),
        **extra,
    }


def test_a_case_goes_from_the_window_through_two_departments_to_the_kiosk(http: Http, world: World):
    world.serve()
    clerk = clerk_headers(http)
    reply = http.post(f"/windows/{world.window}/cases", register_body(world), clerk)
    assert reply.status_code == 201, reply.get_json()
    made = reply.get_json()
    assert {"id", "number", "token", "state", "deadline", "light"} <= set(made)
    assert (made["state"], made["deadline"], made["light"]) == ("in_review", "2026-12-03", "green")
    case = made["id"]

    page = http.get(f"/cases/{made['token']}")
    assert page.status_code == 200
    shown = page.get_json()
    assert shown["applicant"] == "张**" and "13912345678" not in page.get_data(as_text=True)
    assert applicant()["id_number"] not in page.get_data(as_text=True)

    market, health = http.approver("market"), http.approver("health")
    assert http.post(f"/cases/{case}/claim", {}, market).status_code == 200
    returned = http.post(f"/cases/{case}/return", {"missing": ["场所平面图"], "note": ""}, market)
    assert returned.get_json()["state"] == "correction"
    assert http.get(f"/cases/{made['token']}").get_json()["missing"] == ["场所平面图"]
    refused = http.post(f"/cases/{case}/approve", {}, health)
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["error"] == "conflict" and "需补正" in body["message"] and body["message_en"]
    assert http.post(f"/cases/{case}/resubmit", {}, clerk).get_json()["state"] == "in_review"
    assert http.post(f"/cases/{case}/approve", {}, market).get_json()["state"] == "in_review"
    assert http.post(f"/cases/{case}/approve", {}, health).get_json()["state"] == "approved"

    kiosk = {"Authorization": f"Bearer {world.town['kiosk_token']}"}  # type: ignore[attr-defined]
    ticket = http.post(f"/halls/{world.hall}/pickup-tickets", {"case": made["token"]}, kiosk)
    assert ticket.status_code == 201, ticket.get_json()
    assert ticket.get_json()["category"]["name"] == "出件"
    delivered = http.post(f"/cases/{case}/deliver", {"how": "window"}, clerk)
    assert delivered.get_json()["state"] == "delivered"
    listed = http.get(f"/halls/{world.hall}/cases?state=delivered", clerk).get_json()["cases"]
    assert [c["id"] for c in listed] == [case]


def test_missing_materials_are_listed_in_the_422_unless_accepted(http: Http, world: World):
    world.serve()
    clerk = clerk_headers(http)
    body = register_body(world, materials=dict.fromkeys(FOOD, "provided") | {FOOD[2]: "missing"})
    reply = http.post(f"/windows/{world.window}/cases", body, clerk)
    assert reply.status_code == 422
    refused = reply.get_json()
    assert refused["error"] == "materials_missing" and refused["missing"] == [FOOD[2]]
    assert FOOD[2] in refused["message"] and refused["message_en"]
    body["accept_with_missing"] = True
    assert http.post(f"/windows/{world.window}/cases", body, clerk).status_code == 201


def test_bad_input_gets_a_bilingual_error_and_changes_nothing(http: Http, world: World):
    world.serve()
    clerk = clerk_headers(http)
    for body in (
        {"item": "x", "applicant": applicant()},
        register_body(world, applicant={"name": "张三", "phone": "123", "id_number": "1"}),
        register_body(world, materials={"no such": "provided"}),
        register_body(world, materials={FOOD[0]: "lost"}),
    ):
        reply = http.post(f"/windows/{world.window}/cases", body, clerk)
        assert reply.status_code == 422, (body, reply.get_json())
        assert set(reply.get_json()) >= {"error", "message", "message_en"}
    assert http.get(f"/halls/{world.hall}/cases", clerk).get_json()["cases"] == []
    assert http.get(f"/halls/{world.hall}/cases?state=lost", clerk).status_code == 422
    assert http.get(f"/halls/{world.hall}/cases?overdue=maybe", clerk).status_code == 422
    assert http.get("/cases/nosuchtoken").status_code == 404


def test_who_is_refused(http: Http, world: World):
    world.serve()
    clerk = clerk_headers(http)
    made = http.post(f"/windows/{world.window}/cases", register_body(world), clerk).get_json()
    case = made["id"]
    other_clerk = http.bearer(world.town_other_clerk_no)  # type: ignore[attr-defined]
    # Anybody signed out: 401; a clerk of another hall: 403 at this window and for this hall.
    assert http.post(f"/windows/{world.window}/cases", register_body(world)).status_code == 401
    assert http.post(f"/cases/{case}/claim", {}).status_code == 401
    assert http.get(f"/halls/{world.hall}/cases").status_code == 401
    assert (
        http.post(f"/windows/{world.window}/cases", register_body(world), other_clerk).status_code
        == 403
    )
    assert http.get(f"/halls/{world.hall}/cases", other_clerk).status_code == 403
    assert http.post(f"/cases/{case}/deliver", {"how": "window"}, other_clerk).status_code == 403
    # An approver of another department, and the same department in another town: 403.
    for key in ("other_hall_market",):
        reply = http.post(f"/cases/{case}/claim", {}, http.approver(key))
        assert reply.status_code == 403
        assert "department" in reply.get_json()["message_en"]
    with_step = http.post(f"/cases/{case}/claim", {}, clerk)  # 便民服务中心 reviews nothing here
    assert with_step.status_code == 403
    # The department filter of the list names only cases that department reviews.
    listed = http.get(f"/halls/{world.hall}/cases?department={HEALTH}", clerk).get_json()
    assert [c["id"] for c in listed["cases"]] == [case]
    # A kiosk of another hall gets no pickup ticket here.
    other_kiosk = {"Authorization": f"Bearer {world.town_other_kiosk}"}  # type: ignore[attr-defined]
    assert (
        http.post(
            f"/halls/{world.hall}/pickup-tickets", {"case": made["number"]}, other_kiosk
        ).status_code
        == 403
    )
    state = http.get(f"/cases/{made['token']}").get_json()["state"]
    assert state == "in_review"


def test_the_routes_are_in_the_openapi_document(client: Any):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/windows/{window}/cases",
        "/cases/{token}",
        "/halls/{hall}/cases",
        "/cases/{case}/claim",
        "/cases/{case}/approve",
        "/cases/{case}/return",
        "/cases/{case}/resubmit",
        "/cases/{case}/refuse",
        "/cases/{case}/extend",
        "/cases/{case}/deliver",
        "/halls/{hall}/pickup-tickets",
    ):
        assert any(p.endswith(path) for p in paths), path
