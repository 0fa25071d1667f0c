"""The API's OpenAPI document is a complete contract: valid OpenAPI, every reply a typed model
whose fields are described in Chinese and English, non-JSON replies with their real media
types. That real replies match it is checked for every request of every test (tests/contract.py,
hung on each app by tests/conftest.py); here, that the check itself catches a drift."""

from __future__ import annotations

import re
from typing import Any

from openapi_spec_validator import validate

from queue_server.api.spec import OPERATIONS
from tests.contract import PREFIX, Contract

CJK = re.compile(r"[\u4e00-\u9fff]")
# Operations whose reply is not a model yet: none. A new operation must declare its reply.
UNTYPED_PREFIXES: tuple[str, ...] = ()
UNTYPED: set[str] = set()
# Fields that hold any JSON value: the audit log's values before and after a change.
ANY_JSON = {"AuditChange.before", "AuditChange.after"}


def document(client: Any) -> dict[str, Any]:
    return client.get(f"{PREFIX}/openapi.json").get_json()


def test_the_document_is_valid_openapi(client):
    validate(document(client))


def test_every_field_of_every_model_has_a_type_and_a_description_in_both_languages(client):
    schemas = document(client)["components"]["schemas"]
    assert {"Ticket", "IssuedTicket", "HallSnapshot", "WindowPanel", "SignedIn"} <= set(schemas)
    problems = []
    for name, schema in schemas.items():
        for field, sub in schema.get("properties", {}).items():
            described = sub.get("description", "")
            if not (CJK.search(described) and re.search(r"[A-Za-z]{3}", described)):
                problems.append(f"{name}.{field}: description {described!r}")
            if not ({"type", "$ref", "allOf", "anyOf", "oneOf", "enum"} & set(sub)) and (
                f"{name}.{field}" not in ANY_JSON
            ):
                problems.append(f"{name}.{field}: no type")
    assert not problems, "\n".join(problems)


def test_every_operation_declares_its_reply(client):
    paths = document(client)["paths"]
    untyped = []
    for op in OPERATIONS:
        path = PREFIX + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", op.rule)
        success = paths[path][op.method.lower()]["responses"][str(op.status)]
        content = success.get("content", {})
        json_schema = content.get("application/json", {}).get("schema", {})
        if op.media:
            assert set(content) >= {m.type for m in op.media}
        elif "$ref" not in json_schema:
            untyped.append(f"{op.method} {op.rule}")
    allowed = [
        u for u in untyped if u in UNTYPED or u.split(" ", 1)[1].startswith(UNTYPED_PREFIXES)
    ]
    assert untyped == allowed, "operations without a reply model:\n" + "\n".join(
        sorted(set(untyped) - set(allowed))
    )
    typed_now = UNTYPED - set(untyped)
    assert not typed_now, f"typed now, take them off UNTYPED: {sorted(typed_now)}"


def test_the_queue_reply_models_name_the_fields_an_integrator_needs(client):
    schemas = document(client)["components"]["schemas"]
    issued = schemas["IssuedTicket"]
    assert {"number", "token", "position", "estimated_wait_minutes", "phone_url"} <= set(
        issued["properties"]
    )
    assert {"number", "token", "state"} <= set(issued["required"])
    position = schemas["Ticket"]["properties"]["position"]
    assert position["type"] == "integer" and position["nullable"] is True
    paths = document(client)["paths"]
    issue = paths[f"{PREFIX}/halls/{{hall}}/tickets"]["post"]
    assert issue["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/IssuedTicket"
    }
    assert {"400", "401", "403", "404", "409", "413", "422", "500", "503"} <= set(
        issue["responses"]
    )
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in issue["parameters"])


def test_non_json_replies_declare_their_media_types(client):
    paths = document(client)["paths"]

    def media(path: str) -> set[str]:
        return set(paths[PREFIX + path]["get"]["responses"]["200"]["content"])

    assert media("/bookings/{code}/qr.svg") == {"image/svg+xml"}
    assert media("/bookings/{code}/calendar.ics") == {"text/calendar"}
    for export in ("service-items/export", "reports", "performance"):
        assert media(f"/admin/halls/{{hall}}/{export}") == {"application/json", "text/csv"}


def test_a_csv_export_names_its_charset_once(client, api):
    manager = {"Authorization": f"Bearer {api.token(api.demo['manager']['staff_no'])}"}
    hall = api.demo["hall"]
    sheet = client.get(f"{PREFIX}/admin/halls/{hall}/reports?format=csv", headers=manager)
    assert sheet.status_code == 200
    assert sheet.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_the_contract_check_catches_each_kind_of_drift(client):
    contract = Contract(document(client))
    ticket = f"{PREFIX}/tickets/<string:token>"
    good = b'{"error": "not_found", "message": "\\u627e\\u4e0d\\u5230", "message_en": "No such"}'
    before = len(contract.problems)  # the run's list: this test looks at what it adds
    contract.check("GET", ticket, 404, "application/json", good)
    assert len(contract.problems) == before
    contract.check("GET", ticket, 418, "application/json", good)  # a status not declared
    contract.check("GET", ticket, 404, "text/html; charset=utf-8", b"<p>")  # a media type
    contract.check("GET", ticket, 404, "application/json", b'{"error": "x"}')  # a missing field
    contract.check(  # a field the document does not list
        "GET", ticket, 404, "application/json", good[:-1] + b', "secret": 1}'
    )
    contract.check("GET", ticket, 404, "application/json; charset=utf-8; charset=utf-8", good)
    found = contract.problems[before:]
    del contract.problems[before:]  # made on purpose: not a drift of this test's replies
    assert len(found) == 5, found
    assert "418" in found[0] and "text/html" in found[1] and "message" in found[2]
    assert "secret" in found[3] and "charset" in found[4]


def test_every_request_body_is_a_model_in_the_components(client):
    """An integrator generating a client gets a named, described type for every body it sends:
    no operation declares its body as an inline hand-written schema."""
    doc = document(client)
    schemas = doc["components"]["schemas"]
    inline = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if "requestBody" not in operation:
                continue
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            name = schema.get("$ref", "").rsplit("/", 1)[-1]
            if name not in schemas:
                inline.append(f"{method.upper()} {path}")
    assert not inline, "bodies not declared by a model:\n" + "\n".join(sorted(inline))
    ticket = schemas["TicketRequest"]["properties"]
    assert ticket["category"]["anyOf"] == [
        {"type": "integer"},
        {"type": "string", "maxLength": 12},
    ]
    assert schemas["Pause"]["properties"]["reason"]["minLength"] == 1
    assert schemas["RetentionChange"]["properties"]["retention_days"]["maximum"] == 3650


def test_a_model_derived_body_refuses_as_the_hand_written_schemas_did(client, api):
    """The bodies are still checked field by field with the bilingual messages."""
    hall = api.demo["hall"]
    refused = client.post(f"{PREFIX}/halls/{hall}/tickets", json={"category": 1, "priority": "vip"})
    assert refused.status_code == 422
    assert refused.get_json()["message_en"] == (
        "Field priority must be one of: none, elderly, disabled, pregnant, military"
    )
    token = client.post(f"{PREFIX}/tickets/nosuch/evaluation", json={"level": "great"})
    assert token.status_code == 422
    assert token.get_json()["message_en"].startswith("Field level must be one of: very_satisfied")
    reason = client.post(
        f"{PREFIX}/tickets/nosuch/evaluation", json={"level": "basic", "reason": "rude"}
    )
    assert reason.get_json()["message_en"] == (
        "Field reason must be one of: attitude, efficiency, materials, other"
    )
