"""Every API reply a test's app sends, checked against the app's own OpenAPI document.

tests/conftest.py's `make_app` hangs `Contract.after_request` on each app, so every request of
every test under /api/v1 (the flows of tests/web, the fuzzing) has its reply checked: its status
is one the operation declares, its media type one declared for that status, a JSON body
validates against the declared schema (jsonschema, OpenAPI 3.0's `nullable` read as "or
null"), Content-Type names its charset at most once. The document leaves objects open
(a client must accept a field added later), but here every object is read as closed: a field the
server sends that the document does not list is a drift too. A problem fails the test that made
the request (see the `api_contract` fixture)."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from typing import Any

from jsonschema import Draft4Validator

from queue_server.api.openapi import openapi_path
from queue_server.api.spec import OPERATIONS, openapi_document

PREFIX = "/api/v1"
PROBLEMS: list[str] = []  # of the whole run; each test looks at those it added
ANSWERED: Counter[str] = Counter()  # "GET /api/v1/…" → successful replies checked


def closed(node: Any) -> Any:
    """The schema as plain JSON Schema (draft 4) with every object that lists its properties
    refusing any other property; OpenAPI 3.0's `nullable` as "or null" (`nullable` beside an
    `allOf` or an `enum` would not let null through a draft 4 validator)."""
    if isinstance(node, list):
        return [closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: closed(value) for key, value in node.items()}
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


class Contract:
    """The document's operations, and the problems and successes seen so far."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.components = closed(document.get("components", {}))
        self.validators: dict[str, Draft4Validator] = {}
        self.problems = PROBLEMS
        self.answered = ANSWERED

    def validator(self, schema: dict[str, Any]) -> Draft4Validator:
        key = json.dumps(schema, sort_keys=True)
        if key not in self.validators:
            self.validators[key] = Draft4Validator(
                {**closed(schema), "components": self.components}
            )
        return self.validators[key]

    def check(self, method: str, rule: str, status: int, content_type: str, body: bytes) -> None:
        """Check one reply; a problem is kept, to fail the test that caused it."""
        path = openapi_path(rule)
        label = f"{method} {path}"
        operation = self.document["paths"].get(path, {}).get(method.lower())
        if operation is None:
            if path != f"{PREFIX}/openapi.json":
                self.problems.append(f"{label}: not in the OpenAPI document")
            return
        declared = operation["responses"].get(str(status))
        if declared is None:
            self.problems.append(
                f"{label}: answered {status}, declared only {sorted(operation['responses'])}"
                f" ({body[:160]!r})"
            )
            return
        if len(re.findall("charset", content_type, re.IGNORECASE)) > 1:
            self.problems.append(f"{label}: Content-Type {content_type!r} repeats its charset")
        media = content_type.split(";")[0].strip().lower()
        content = declared.get("content", {})
        if not content:
            if body:
                self.problems.append(f"{label}: {status} declares no body but sent {media}")
            return
        if media not in content:
            self.problems.append(f"{label}: {status} sent {media}, declared {sorted(content)}")
            return
        if media != "application/json":
            if 200 <= status < 300:
                self.answered[label] += 1
            return
        try:
            value = json.loads(body)
        except ValueError:
            self.problems.append(f"{label}: {status} body is not JSON: {body[:80]!r}")
            return
        errors = sorted(
            self.validator(content[media]["schema"]).iter_errors(value),
            key=lambda e: len(list(e.absolute_path)),
        )
        if errors:
            first = errors[0]
            where = "/".join(str(p) for p in first.absolute_path) or "(body)"
            self.problems.append(
                f"{label}: {status} body does not match the document at {where}: "
                f"{first.message[:300]}"
            )
            return
        if 200 <= status < 300:
            self.answered[label] += 1

    def after_request(self, response: Any) -> Any:
        """Flask's after_request hook: check a reply under the API's prefix."""
        from flask import request

        if request.path.startswith(PREFIX + "/") and request.url_rule is not None:
            body = b"" if response.direct_passthrough else response.get_data()
            self.check(
                request.method,
                request.url_rule.rule,
                response.status_code,
                response.headers.get("Content-Type", ""),
                body,
            )
        return response


_contract: dict[int, Contract] = {}


def contract_for(app: Any) -> Contract:
    """The one Contract of the routes declared so far (the document is the same for every app
    of a test run: the routes are declared when their modules are imported)."""
    key = len(OPERATIONS)
    if key not in _contract:
        document = openapi_document(app, PREFIX)
        _contract.clear()
        _contract[key] = Contract(copy.deepcopy(document))
    return _contract[key]


def request_body_schema(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    """An operation's request body schema, its `$ref` to a component resolved."""
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        return document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema
