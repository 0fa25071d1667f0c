"""Fuzzing the whole JSON API from its own OpenAPI document (schemathesis, in-process WSGI).

Every documented operation gets a few valid-looking requests and a few broken ones (wrong types,
missing fields, odd path values), sent with the credentials the operation is for (the kiosk's
device token, the clerk of the window, the town's manager) against two demo towns in the middle
of a morning. The path parameters are drawn from real ids of both towns and one that does not
exist, so requests get past "no such hall" into the use cases; query parameters get real days,
ids and searches half the time.

For every reply: never a 5xx; every refusal is the bilingual JSON error shape; and a refused
request (4xx) leaves every table as it was. Bounded in examples and time (`HALLQ_FUZZ_EXAMPLES`,
`HALLQ_FUZZ_SECONDS`; `HALLQ_FUZZ_SEED` explores other examples than the fixed ones)."""

from __future__ import annotations

import copy
import json
import os
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy import delete

from queue_server.services.auth import register_device
from queue_server.services.demo import demo_password
from queue_server.store import admin_tables
from tests.contract import request_body_schema

from .hall_world import World, database_digest, hall_world, make_app, make_deps  # noqa: F401

# Timed against the clock or loading the machine: run alone, after the parallel part.
pytestmark = pytest.mark.solo

EXAMPLES = int(os.environ.get("HALLQ_FUZZ_EXAMPLES", "8"))  # per operation and mode
BUDGET_SECONDS = float(os.environ.get("HALLQ_FUZZ_SECONDS", "90"))
SEED = int(os.environ.get("HALLQ_FUZZ_SEED", "0"))
CJK = re.compile(r"[\u4e00-\u9fff]")
MISSING_ID = 2**31 - 1  # a well-formed id of nothing
# Who sends an operation's requests, by its declared `x-hallq-auth`; public ones go anonymous.
# The order runs the console's changes last, so they cannot lock the others out mid-run.
ORDER = {"public": 0, "kiosk": 1, "evaluator": 1, "clerk": 2, "manager": 3}
SUMMARY = Path(__file__).resolve().parents[2] / "test-artifacts" / "fuzz-api.json"


def aimed_schema(document: dict[str, Any], world: World) -> dict[str, Any]:
    """The API's document with each path parameter narrowed to real values of both towns, and
    the query parameters and body fields that name things given real values half the time."""
    mine, theirs = world.mine.ids(), world.theirs.ids()
    extra = {
        "token": [world.mine.tickets["called"], world.mine.tickets["done"]],
        "window": [world.mine.other_window],
        "hall": [world.mine.village],
        "device": [world.mine.kiosk],
    }
    hints = body_hints(world)
    asked = query_hints(world)
    aimed = copy.deepcopy(document)
    for operations in aimed["paths"].values():
        for operation in operations.values():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:  # the hints go into this operation's own copy of the model
                body["schema"] = copy.deepcopy(request_body_schema(aimed, operation))
            for name, sub in (body or {}).get("schema", {}).get("properties", {}).items():
                if name in hints and "enum" not in sub:
                    # Half the time a real value: the request then reaches the use case.
                    body["schema"]["properties"][name] = {"anyOf": [sub, {"enum": hints[name]}]}
            for parameter in operation.get("parameters", []):
                name = parameter["name"]
                if parameter["in"] == "header":
                    continue  # Idempotency-Key: any text will do
                if parameter["in"] == "query":
                    if name in asked and "enum" not in parameter["schema"]:
                        parameter["schema"] = {
                            "anyOf": [parameter["schema"], {"enum": asked[name]}]
                        }
                    continue
                values = [mine[name], theirs[name], *extra.get(name, [])]
                if parameter["schema"]["type"] == "integer":
                    values.append(MISSING_ID)
                parameter["schema"] = {**parameter["schema"], "enum": values}
    return aimed


def body_hints(world: World) -> dict[str, list[Any]]:
    """Real values for the body fields that name things (the first town's, mostly)."""
    mine = world.mine
    return {
        "category": ["A", "B", mine.category],
        "item": [mine.item],
        "items": [[mine.item]],
        "ticket": ["A003", mine.tickets["waiting"]],
        "window": [mine.other_window],
        "clerk": [mine.clerk, mine.staff["clerk"]],
        "parent_id": [mine.hall],
        "hall_id": [mine.village],
        "window_id": [mine.window],
        "clerk_id": [mine.clerk],
        "code": [mine.booking_code],
        "start": ["2026-11-27T09:30:00+08:00"],
        "day": ["2026-11-30"],
        "id_number": ["370881195001010074"],
        "phone": ["13812345678"],
    }


def query_hints(world: World) -> dict[str, list[Any]]:
    """Real values for the query parameters: days around the morning, ids, searches."""
    days = ["2026-11-26", "2026-11-27", "2026-11-30"]
    return {
        "date": days,
        "day": days,
        "from": days,
        "start": days[:1],
        "end": days[1:],
        "hall": [world.mine.hall, world.mine.village, world.theirs.hall],
        "clerk": [world.mine.clerk],
        "q": ["sb", "社保", "身份证"],
        "category": ["A", str(world.mine.category)],
    }


def error_shape_problem(response: Any) -> str | None:
    """Why a refusal is not the bilingual JSON error, if it is not."""
    content = response.content if hasattr(response, "content") else response.get_data()
    try:
        body = json.loads(content)
    except ValueError:
        return f"not JSON: {content[:80]!r}"
    shape = {"error", "message", "message_en"}
    # A refused case names the missing materials (一次性告知) beside the message.
    extra = (
        {"missing"}
        if isinstance(body, dict) and body.get("error") == "materials_missing"
        else set()
    )
    if not isinstance(body, dict) or not shape <= set(body) <= shape | extra:
        return f"not {{error, message, message_en}}: {str(body)[:120]}"
    if not CJK.search(str(body["message"])):
        return f"message not in Chinese: {body['message']!r}"
    if CJK.search(str(body["message_en"])) or not re.search(r"[A-Za-z]{3}", body["message_en"]):
        return f"message_en not in English: {body['message_en']!r}"
    return None


class Fuzz:
    """Sends the generated requests, checks each reply, keeps the figures."""

    def __init__(self, app: Any, deps: Any, headers: dict[str, dict[str, str]]) -> None:
        self.app, self.deps, self.headers = app, deps, headers
        self.state = database_digest(deps)
        self.statuses: Counter[int] = Counter()
        self.per_operation: Counter[str] = Counter()
        self.problems: list[str] = []

    def send(self, label: str, auth: str, case: Any) -> None:
        # Wrong booking codes are limited per address; each operation starts with a clean slate.
        with self.deps.db.transaction() as session:
            session.execute(delete(admin_tables.code_guesses))
        response = case.call(app=self.app, headers=self.headers.get(auth, {}))
        status = response.status_code
        self.statuses[status] += 1
        self.per_operation[label] += 1
        after = database_digest(self.deps)
        where = (
            f"{label} [{auth}] {case.path_parameters} query={case.query} "
            f"body={str(case.body)[:160]}"
        )
        if status >= 500:
            self.problems.append(f"{status} for {where}: {response.text[:200]}")
        if status >= 400 and (problem := error_shape_problem(response)):
            self.problems.append(f"{status} {problem} for {where}")
        if 400 <= status < 500 and after != self.state:
            changed = sorted(k for k in after if after[k] != self.state[k])
            self.problems.append(f"{status} changed {changed} for {where}")
        self.state = after

    def operation(self, operation: Any, auth: str, mode: GenerationMode) -> bool:
        """Fuzz one operation in one mode; false when the mode has nothing to send."""

        @seed(SEED)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=SEED == 0,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            self.send(operation.label, auth, case)

        try:
            run()
        except Unsatisfiable:
            return False  # e.g. no broken value exists for a free-text path parameter
        return True


def test_no_request_breaks_the_api_or_changes_anything_when_refused(app_for_fuzz):
    app, deps, world = app_for_fuzz
    client = app.test_client()

    def bearer(staff_no: str) -> dict[str, str]:
        reply = client.post(
            "/api/v1/auth/login", json={"staff_no": staff_no, "password": demo_password(staff_no)}
        )
        assert reply.status_code == 200, reply.get_json()
        return {"Authorization": f"Bearer {reply.get_json()['token']}"}

    _, pad = register_device(
        deps, world.mine.hall, "evaluator", "评价器", window_id=world.mine.window
    )
    headers = {
        "kiosk": {"Authorization": f"Bearer {world.mine.tokens['kiosk']}"},
        "evaluator": {"Authorization": f"Bearer {pad}"},  # the window's evaluation pad
        "clerk": bearer(world.mine.staff["clerk"]),
        "manager": bearer(world.mine.staff["manager"]),
    }
    document = client.get("/api/v1/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(aimed_schema(document, world))
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda op: (ORDER[op.definition.raw.get("x-hallq-auth", "public")], op.label),
    )
    fuzz = Fuzz(app, deps, headers)
    started = time.monotonic()
    modes_run = 0
    for operation in operations:
        auth = operation.definition.raw.get("x-hallq-auth", "public")
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if time.monotonic() - started > BUDGET_SECONDS:
                pytest.fail(f"fuzzing took over {BUDGET_SECONDS:.0f} s, at {operation.label}")
            modes_run += fuzz.operation(operation, auth, mode)
    elapsed = time.monotonic() - started

    documented = sum(len(methods) for methods in document["paths"].values())
    summary = {
        "operations": len(operations),
        "documented": documented,
        "examples_per_operation_and_mode": EXAMPLES,
        "operation_modes_run": modes_run,
        "requests": sum(fuzz.statuses.values()),
        "statuses": dict(sorted(fuzz.statuses.items())),
        "seconds": round(elapsed, 1),
        "least_requests": min(fuzz.per_operation.values()),
    }
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(json.dumps(summary, indent=2) + "\n")
    assert not fuzz.problems, f"{len(fuzz.problems)} problems:\n" + "\n".join(fuzz.problems[:40])
    assert len(operations) == documented and set(fuzz.per_operation) == {
        op.label for op in operations
    }, "an operation was never requested"
    # Past the front door: some requests were accepted, some refused for their content.
    assert {200, 201} & set(fuzz.statuses) and {404, 409, 422} <= set(fuzz.statuses)


@pytest.fixture(scope="module")
def app_for_fuzz(hall_world: World, tmp_path_factory: pytest.TempPathFactory) -> Any:  # noqa: F811
    folder = tmp_path_factory.mktemp("fuzz")
    deps = make_deps(hall_world.copy_to(folder))
    yield make_app(deps, folder), deps, hall_world
    deps.db.dispose()
