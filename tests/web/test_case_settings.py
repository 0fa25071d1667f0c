"""The hall settings page's 办件 form: the phone printed on the 受理回执 and the priority of the
kiosk's 出件 tickets, saved by a manager of the hall, refused in both languages when wrong."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from queue_server.domain.errors import Forbidden
from queue_server.services import admin, cases
from queue_server.store import tables
from tests.conftest import make_app
from tests.services.cases_world import World, build
from tests.web.test_admin_pages import csrf_of
from tests.web.test_cases_api import Http, clerk_headers
from tests.web.test_cases_desk import PUBLIC_URL, gb, printed, set_kiosk_printer

pytestmark = pytest.mark.usefixtures("demo_passwords_hashed_once")


@pytest.fixture
def world(deps: Any) -> World:
    made = build(deps)
    with deps.db.transaction() as s:  # a hall that chose its case numbers' code
        settings = s.scalar(select(tables.halls.c.settings).where(tables.halls.c.id == made.hall))
        settings = {**(settings or {}), "cases": {"code": "XL"}}
        s.execute(
            update(tables.halls).where(tables.halls.c.id == made.hall).values(settings=settings)
        )
    return made


@pytest.fixture
def app(deps: Any, tmp_path: Path, world: World) -> Iterator[Any]:
    """The app printing for real: a dummy:// kiosk printer keeps the bytes."""
    application = make_app(deps, tmp_path, PUBLIC_URL=PUBLIC_URL, PRINT_RETRY_DELAY=0.01)
    yield application
    application.extensions["hallq_printing"].close()


@pytest.fixture
def manager(client: Any, world: World) -> str:
    """The town's manager signed in to the console; the page's CSRF token."""
    town: Any = world.town  # type: ignore[attr-defined]
    reply = client.post(
        "/api/v1/auth/login",
        json={"staff_no": town["manager"]["staff_no"], "password": town["manager"]["password"]},
    )
    assert reply.status_code == 200
    return csrf_of(client.get(f"/admin/halls/{world.hall}").get_data(as_text=True))


def stored(world: World, hall: int | None = None) -> Any:
    """The 办件 settings the case features read."""
    with world.deps.db.reading() as s:
        settings = s.scalar(
            select(tables.halls.c.settings).where(tables.halls.c.id == (hall or world.hall))
        )
    return (settings or {}).get("cases")


def audited(world: World) -> list[Any]:
    with world.deps.db.reading() as s:
        return list(
            s.scalars(
                select(tables.audit_log.c.detail).where(
                    tables.audit_log.c.action == "hall.case_settings"
                )
            )
        )


def test_the_phone_reaches_the_receipt_and_pickup_tickets_get_the_priority(
    app: Any, client: Any, world: World, manager: str
):
    page = client.get(f"/admin/halls/{world.hall}").get_data(as_text=True)
    assert "办件咨询电话" in page and "Phone for questions about cases" in page
    assert 'name="phone"' in page and '<option value="none" selected>普通 · Regular' in page

    saved = client.post(
        f"/admin/halls/{world.hall}",
        data={
            "csrf_token": manager,
            "form": "cases",
            "phone": " ０５３１－８８００１２３４ 转 ８００１ ",  # typed with a Chinese input method
            "pickup_priority": "elderly",
        },
    )
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "已保存" in page
    assert 'value="0531-88001234 转 8001"' in page
    assert '<option value="elderly" selected>老年人 · Elderly' in page
    assert stored(world) == {
        "code": "XL",  # the case numbers' code stays
        "phone": "0531-88001234 转 8001",
        "pickup_priority": "elderly",
    }
    assert audited(world) == [
        {
            "before": {"phone": "", "pickup_priority": "none"},
            "after": {"phone": "0531-88001234 转 8001", "pickup_priority": "elderly"},
        }
    ]

    # The receipt of a case registered now prints the phone.
    world.serve()
    set_kiosk_printer(world, {"printer": "dummy://", "paper_mm": 80}, app)
    made = world.register()
    assert made["number"].startswith("XL-")
    http = Http(client, world)
    reply = http.post(f"/cases/{made['id']}/receipt", {}, clerk_headers(http))
    assert reply.status_code == 200, reply.get_json()
    data = printed(app, world)
    assert gb("受理回执") in data and gb("0531-88001234 转 8001") in data

    # Approved, the citizen's pickup ticket at the kiosk has the chosen priority.
    for who in ("market", "health"):
        cases.approve(world.deps, world.approvers[who], made["id"])
    ticket = cases.pickup_ticket(world.deps, world.kiosk, world.hall, made["number"])
    assert ticket["priority"] == "elderly"


@pytest.mark.parametrize(
    ("phone", "priority", "zh", "en"),
    [
        (
            "0531-8800ABCD",
            "none",
            "办件咨询电话只能填数字、空格、+ - ( ) 和“转”（分机）",
            "The phone may hold only digits, spaces, + - ( ) and 转 (extension)",
        ),
        (
            "0531 8800 1234 0531 8800 1235 00",
            "none",
            "办件咨询电话不能超过 30 字",
            "Phone for questions about cases must be at most 30 characters",
        ),
        (  # 16 characters as typed, 30 digits and a dash once the circled numbers are read
            "⑩⑪⑫⑬⑭-⑮⑯⑰⑱⑲⑳⑩⑪⑫⑬",
            "none",
            "办件咨询电话不能超过 30 字",
            "Phone for questions about cases must be at most 30 characters",
        ),
        (
            "0531-88001234",
            "vip",
            "出件取号优先类型须为以下之一：普通、老年人、残疾人、孕妇、军人",
            "Priority of pickup tickets must be one of",
        ),
    ],
)
def test_bad_input_is_refused_in_both_languages_and_changes_nothing(
    client: Any, world: World, manager: str, phone: str, priority: str, zh: str, en: str
):
    before = stored(world)
    refused = client.post(
        f"/admin/halls/{world.hall}",
        data={"csrf_token": manager, "form": "cases", "phone": phone, "pickup_priority": priority},
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert zh in page and en in page
    assert f'value="{phone}"' in page, "what was typed stays to be corrected"
    assert stored(world) == before == {"code": "XL"}
    assert audited(world) == []


def test_a_manager_of_another_town_is_refused(client: Any, world: World, manager: str):
    before = stored(world, world.other_hall)
    form = {"csrf_token": manager, "form": "cases", "phone": "0531-88001234"}
    reply = client.post(
        f"/admin/halls/{world.other_hall}", data={**form, "pickup_priority": "military"}
    )
    assert reply.status_code == 403
    assert client.get(f"/admin/halls/{world.other_hall}").status_code == 403
    # The use case itself asks the access policy, whoever calls it.
    with pytest.raises(Forbidden):
        admin.set_case_settings(
            world.deps, world.manager, world.other_hall, {**form, "pickup_priority": "military"}
        )
    assert stored(world, world.other_hall) == before
    assert audited(world) == []
