"""Query parameters: declared once with each route, listed in the OpenAPI document, checked
before the route runs (a bad value is a bilingual 422 that changes nothing), and the only way
a route reads the query string."""

from __future__ import annotations

import inspect
import re
import sys
from typing import Any

import pytest

from queue_server.api import PREFIX
from queue_server.api.spec import OPERATIONS

from .test_api import assert_error, table_counts

READS = re.compile(r"""(?:query\(\)|asked)\["(\w+)"\]""")


def manager(api: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token(api.demo['manager']['staff_no'])}"}


def clerk(api: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token(api.clerk(1)['staff_no'])}"}


def parameters(document: dict[str, Any], path: str, method: str = "get") -> dict[str, Any]:
    operation = document["paths"][PREFIX + path][method]
    return {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}


def test_the_document_lists_each_routes_query_parameters_with_their_values(client):
    document = client.get("/api/v1/openapi.json").get_json()
    report = parameters(document, "/admin/halls/{hall}/reports")
    assert set(report) == {"period", "date", "start", "end", "by", "format"}
    assert report["period"]["schema"]["enum"] == ["day", "week", "month", "range"]
    assert report["period"]["schema"]["default"] == "day"
    assert report["date"]["schema"] == {
        "type": "string", "format": "date", "description": "2000-01-01 … 2099-12-31",
    }  # fmt: skip
    assert "clerk" in report["by"]["schema"]["enum"] and report["format"]["required"] is False
    audit = parameters(document, "/admin/audit")
    assert set(audit) == {"hall", "action", "day", "page"}
    assert audit["page"]["schema"] == {
        "type": "integer", "minimum": 1, "maximum": 10_000, "default": 1,
    }  # fmt: skip
    assert audit["action"]["schema"]["maxLength"] == 40
    slots = parameters(document, "/halls/{hall}/booking/items/{item}/slots")
    assert slots["date"]["required"] is True
    hours = parameters(document, "/halls/{hall}/hours")
    assert hours["days"]["schema"]["maximum"] == 62 and hours["days"]["schema"]["default"] == 14
    search = parameters(document, "/halls/{hall}/service-items")
    assert set(search) == {"q", "category", "limit"}
    assert search["q"]["schema"]["maxLength"] == 40
    for found in (*report.values(), *audit.values(), *search.values()):
        zh, en = found["description"].split(" / ")
        assert re.search(r"[\u4e00-\u9fff]", zh) and re.search(r"[A-Za-z]{3}", en), found
    # A route without query parameters lists none; path parameters stay as they were.
    ticket = document["paths"][PREFIX + "/tickets/{token}"]["get"]["parameters"]
    assert [(p["name"], p["in"]) for p in ticket] == [("token", "path")]


def test_every_route_reads_only_the_query_parameters_it_declares(app):
    declared = {(op.method, PREFIX + op.rule): {p.name for p in op.query} for op in OPERATIONS}
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi":
            continue
        view = inspect.unwrap(app.view_functions[rule.endpoint])
        module = sys.modules[view.__module__]
        assert "request.args" not in inspect.getsource(module), module.__name__
        assert "request.values" not in inspect.getsource(module), module.__name__
        # What the view reads, itself or through this module's helpers that it calls.
        source = inspect.getsource(view)
        helpers = [
            helper
            for name, helper in vars(module).items()
            if inspect.isfunction(helper)
            and helper is not view
            and helper.__module__ == module.__name__
            and re.search(rf"\b{name}\(", source)
        ]
        source += "".join(inspect.getsource(helper) for helper in helpers)
        read = set(READS.findall(source))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert read == declared[(method, rule.rule)], f"{method} {rule.rule}"
            checked += 1
    assert checked > 100


def test_declared_values_reach_the_route_typed_and_with_their_defaults(client, api):
    hall = api.demo["hall"]
    hours = client.get(f"/api/v1/halls/{hall}/hours?days=3&from=2026-11-30").get_json()
    assert [d["date"] for d in hours["days"]] == ["2026-11-30", "2026-12-01", "2026-12-02"]
    assert len(client.get(f"/api/v1/halls/{hall}/hours").get_json()["days"]) == 14
    # An empty value is no value: the default applies.
    assert len(client.get(f"/api/v1/halls/{hall}/hours?days=&from=").get_json()["days"]) == 14
    found = client.get(f"/api/v1/halls/{hall}/service-items?q=sb&limit=1").get_json()
    assert len(found["items"]) == 1
    week = client.get(
        f"/api/v1/admin/halls/{hall}/reports?period=week&date=2026-11-26&by=category",
        headers=manager(api),
    )
    assert week.status_code == 200, week.get_json()
    assert week.get_json()["period"]["start"] == "2026-11-23"
    sheet = client.get(f"/api/v1/admin/halls/{hall}/reports?format=csv", headers=manager(api))
    assert sheet.mimetype == "text/csv"
    audit = client.get(f"/api/v1/admin/audit?hall={hall}&page=1", headers=manager(api))
    assert audit.status_code == 200
    # Parameters nobody declared are ignored, as a cache-buster would be.
    assert client.get(f"/api/v1/halls/{hall}/hours?_=123").status_code == 200


BAD = [
    ("/admin/halls/{hall}/reports?period=year", "manager", "period", "须为以下之一"),
    ("/admin/halls/{hall}/reports?by=weather", "manager", "by", "须为以下之一"),
    ("/admin/halls/{hall}/reports?date=2026-13-01", "manager", "date", "须为日期"),
    ("/admin/halls/{hall}/reports?date=26.11.2026", "manager", "date", "须为日期"),
    ("/admin/halls/{hall}/reports?date=0001-01-01", "manager", "date", "年之间"),
    ("/admin/halls/{hall}/reports?format=pdf", "manager", "format", "须为以下之一"),
    ("/admin/halls/{hall}/performance?clerk=abc", "manager", "clerk", "须为整数"),
    ("/admin/halls/{hall}/follow-ups?state=lost", "manager", "state", "须为以下之一"),
    ("/admin/halls/{hall}/complaints?state=closed", "manager", "state", "须为以下之一"),
    ("/admin/audit?page=0", "manager", "page", "不能小于 1"),
    ("/admin/audit?page=1.5", "manager", "page", "须为整数"),
    ("/admin/audit?hall=99999999999", "manager", "hall", "不能大于"),
    ("/admin/audit?action=" + "x" * 41, "manager", "action", "过长"),
    ("/admin/audit?day=9999-12-31", "manager", "day", "年之间"),
    ("/halls/{hall}/hours?days=63", None, "days", "不能大于 62"),
    ("/halls/{hall}/hours?days=two", None, "days", "须为整数"),
    ("/halls/{hall}/hours?from=tomorrow", None, "from", "须为日期"),
    ("/halls/{hall}/booking/items/1/slots", None, "date", "缺少参数"),
    ("/halls/{hall}/booking/items?q=" + "社" * 41, None, "q", "过长"),
    ("/halls/{hall}/bookings?kind=boat", "clerk", "kind", "须为以下之一"),
    ("/halls/{hall}/service-items?limit=0", None, "limit", "不能小于 1"),
    ("/halls/{hall}/service-items?category=%C2%B9", None, "category", "格式不正确"),
    ("/halls/{hall}/service-items/1/deadline?from=2026-02-30", None, "from", "须为日期"),
]


@pytest.mark.parametrize(("path", "who", "name", "says"), BAD)
def test_a_bad_query_value_is_refused_in_both_languages_and_changes_nothing(
    client, api, deps, path, who, name, says
):
    headers = {"manager": manager, "clerk": clerk}[who](api) if who else {}
    before = table_counts(deps)
    response = client.get("/api/v1" + path.format(hall=api.demo["hall"]), headers=headers)
    body = assert_error(response, 422, "invalid")
    assert f"参数 {name}" in body["message"] and says in body["message"], body
    assert name in body["message_en"], body
    assert table_counts(deps) == before
