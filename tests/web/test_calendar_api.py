"""/api/v1/admin/calendar: managers read which years are known, an admin enters a year the
chinesecalendar package lacks; every refusal is a bilingual JSON error that changes nothing.

The 2027 table is made up for the tests; it is not the State Council's schedule."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract import request_body_schema

from .test_api import assert_error, table_counts

TEST_ONLY_2027: dict[str, Any] = {
    "holidays": [{"day": "2027-01-01", "name": "元旦", "name_en": "New Year's Day"}],
    "swapped_workdays": ["2027-01-09"],
}


def bearer(api: Any, staff_no: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token(staff_no)}"}


def test_an_admin_enters_2027_and_the_halls_follow(client, api, demo):
    boss = bearer(api, "admin")
    overview = client.get("/api/v1/admin/calendar", headers=boss).get_json()
    assert overview["package"]["last_year"] == 2026 and overview["entered"] == []
    assert overview["coming"][1] == {"year": 2027, "known": False, "source": "provisional"}
    assert overview["warning"]["url"] == "/admin/calendar/2027"
    hours = f"/api/v1/halls/{demo['hall']}/hours?from=2027-01-01&days=5"
    provisional = client.get(hours).get_json()["days"][0]
    assert provisional["provisional"] and provisional["holiday"] == "元旦"

    saved = client.put("/api/v1/admin/calendar/2027", json=TEST_ONLY_2027, headers=boss)
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["source"] == "entered"
    days = client.get(hours).get_json()["days"]
    assert days[0]["holiday"] == "元旦" and days[0]["sessions"] == []
    assert days[3]["workday"] is True and days[3]["sessions"]  # Monday 4 January

    year = client.get(
        "/api/v1/admin/calendar/2027", headers=bearer(api, demo["manager"]["staff_no"])
    )
    assert year.get_json()["swapped_workdays"] == ["2027-01-09"]
    gone = client.delete("/api/v1/admin/calendar/2027", headers=boss)
    assert gone.status_code == 200
    assert client.get(hours).get_json()["days"][0]["provisional"] is True
    assert_error(client.delete("/api/v1/admin/calendar/2027", headers=boss), 404, "not_found")


@pytest.mark.parametrize(
    ("year", "body", "words"),
    [
        (2026, TEST_ONLY_2027, "chinesecalendar"),
        (1999, TEST_ONLY_2027, "年份"),
        (2027, {"holidays": []}, "swapped_workdays"),
        (2027, {"holidays": "元旦", "swapped_workdays": []}, "holidays"),
        (
            2027,
            {"holidays": [{"day": "2027-13-01", "name": "元旦"}], "swapped_workdays": []},
            "无效",
        ),  # fmt: skip
        (
            2027,
            {"holidays": [{"day": "2026-12-31", "name": "元旦"}], "swapped_workdays": []},
            "不在 2027 年内",
        ),  # fmt: skip
        (2027, {"holidays": [], "swapped_workdays": ["2027-01-06"]}, "调休"),
        (
            2027,
            {
                "holidays": [{"day": "2027-01-02", "name": "元旦"}],
                "swapped_workdays": ["2027-01-02"],
            },
            "调休",
        ),  # fmt: skip
        (
            2027,
            {
                "holidays": [
                    {"day": "2027-01-01", "until": "2027-01-03", "name": "元旦"},
                    {"day": "2027-01-03", "name": "元旦"},
                ],
                "swapped_workdays": [],
            },
            "重复",
        ),  # fmt: skip
        (
            2027,
            {"holidays": [{"day": "2027-03-08", "name": "妇女节"}], "swapped_workdays": []},
            "英文名",
        ),  # fmt: skip
        (2027, {"holidays": [{"day": 20270101, "name": "元旦"}], "swapped_workdays": []}, "string"),
    ],
)
def test_a_wrong_year_is_refused_in_both_languages_and_changes_nothing(
    client, api, deps, year, body, words
):
    before = table_counts(deps)
    reply = client.put(f"/api/v1/admin/calendar/{year}", json=body, headers=bearer(api, "admin"))
    error = assert_error(reply, 422, "invalid")
    assert words in error["message"] or words in error["message_en"], error
    assert table_counts(deps) == before


def test_a_manager_reads_but_cannot_change_and_a_clerk_cannot_read(app, client, api, deps, demo):
    manager = bearer(api, demo["manager"]["staff_no"])
    assert client.get("/api/v1/admin/calendar", headers=manager).get_json()["can_change"] is False
    package_year = client.get("/api/v1/admin/calendar/2026", headers=manager).get_json()
    assert package_year["source"] == "package" and "2026-02-14" in package_year["swapped_workdays"]
    before = table_counts(deps)
    refused = client.put("/api/v1/admin/calendar/2027", json=TEST_ONLY_2027, headers=manager)
    assert assert_error(refused, 403)["message"] == "此项操作仅限系统管理员"
    assert_error(client.delete("/api/v1/admin/calendar/2027", headers=manager), 403)
    clerk = bearer(api, demo["clerks"][0]["staff_no"])
    assert_error(client.get("/api/v1/admin/calendar", headers=clerk), 403)
    signed_out = app.test_client()
    assert_error(signed_out.get("/api/v1/admin/calendar/2027"), 401)
    assert table_counts(deps) == before


def test_the_calendar_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/admin/calendar/{year}"]) == {"get", "put", "delete"}
    put = paths["/api/v1/admin/calendar/{year}"]["put"]
    document = client.get("/api/v1/openapi.json").get_json()
    schema = request_body_schema(document, put)
    assert schema["required"] == ["holidays", "swapped_workdays"]
    assert "422" in put["responses"] and "403" in put["responses"]
    assert "get" in paths["/api/v1/admin/calendar"]


def test_entering_the_official_year_lists_and_tells_a_booking_now_on_a_holiday(
    app, client, api, deps, demo, clock
):
    from queue_server.services.notify import FakeNotifier
    from tests.services.test_booking import Booker, at

    notifier = FakeNotifier()
    app.extensions["hallq_notifier"] = notifier
    clock.current = at(2026, 12, 29, 10, 0)
    booked = Booker(deps, demo).book(at(2027, 1, 4, 9, 0))
    assert booked["provisional"] is True
    official = {  # made up: Monday 4 January a holiday
        "holidays": [{"day": "2027-01-01", "until": "2027-01-04", "name": "元旦"}],
        "swapped_workdays": [],
    }
    saved = client.put("/api/v1/admin/calendar/2027", json=official, headers=bearer(api, "admin"))
    assert saved.status_code == 200, saved.get_json()
    (listed,) = saved.get_json()["bookings_on_holidays"]
    assert (listed["id"], listed["day"], listed["holiday"]) == (booked["id"], "2027-01-04", "元旦")
    assert listed["citizen"]["phone"] == "138****5678" and listed["notified_at"]
    assert notifier.kinds() == ["holiday"] and booked["code"] in notifier.sent[0].text
    manager = bearer(api, demo["manager"]["staff_no"])
    read = client.get("/api/v1/admin/calendar/2027", headers=manager).get_json()
    assert [b["id"] for b in read["bookings_on_holidays"]] == [booked["id"]]
