"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when asked), the demo hall,
the app with a test client, Socket.IO test clients, and a clock tests can move."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from queue_server.bootstrap import bootstrap
from queue_server.services.bus import RecordingBus
from queue_server.services.clock import FakeClock
from queue_server.services.context import Deps
from queue_server.services.demo import demo_password
from queue_server.store import migrate, tables
from queue_server.store.db import Database
from tests.contract import PROBLEMS, contract_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Thursday morning in opening hours, local time.
MORNING = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
REQUIRE_SERVICES = os.environ.get("HALLQ_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("HALLQ_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("HALLQ_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def service_missing(what: str, why: str) -> None:
    """Skip with a reason on a machine without the service; fail in CI where it is required."""
    message = f"{what} not reachable ({why})"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}; HALLQ_REQUIRE_SERVICES=1 makes this a failure")
    pytest.skip(f"{message}; set HALLQ_TEST_PG_URL / HALLQ_TEST_REDIS_URL or start it")


def tool_missing(what: str, how: str) -> None:
    """Skip when a program the test needs (Chromium, a CJK font, espeak-ng) is not installed;
    fail in CI, where `make test` installs them and a skip would hide a broken install."""
    message = f"{what} missing ({how})"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}; HALLQ_REQUIRE_SERVICES=1 makes this a failure")
    pytest.skip(message)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once per run; each test copies it."""
    path = tmp_path_factory.mktemp("template") / "hallq.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, migrated, dropped at the end."""
    try:
        admin = create_engine(
            PG_URL.replace("postgresql://", "postgresql+psycopg://", 1),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            name = f"hallq_test_{uuid.uuid4().hex[:10]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # any connection failure means: no server here
        service_missing("PostgreSQL", f"{PG_URL}: {type(error).__name__}")
        raise
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    migrate.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_pg(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in tables.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database URL of one test: SQLite by default; `pg` where parametrised."""
    if request.param == "pg":
        url: str = request.getfixturevalue("pg_database")
        _truncate_pg(url)
        return url
    template: Path = request.getfixturevalue("sqlite_template")
    path = tmp_path / "hallq.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock() -> FakeClock:
    """Thursday 2026-11-26, 09:30 in Shanghai, until moved."""
    return FakeClock(MORNING)


@pytest.fixture
def bus() -> RecordingBus:
    """A bus that remembers what it published."""
    return RecordingBus()


@pytest.fixture
def deps(db_url: str, clock: FakeClock, bus: RecordingBus) -> Iterator[Deps]:
    """The use cases' adapters on a fresh database."""
    database = Database(db_url)
    # test devices: file://, dummy:// and pty ports, as HALLQ_TEST_DEVICES=1 allows them
    yield bootstrap(
        {"DB": database, "BUS": bus, "CLOCK": clock, "DATABASE_URL": db_url, "TEST_DEVICES": True}
    )
    database.dispose()


@pytest.fixture
def demo(deps: Deps) -> dict[str, Any]:
    """The demo town hall: windows, categories, clerks with A/B posts, a kiosk."""
    from queue_server.services.demo import seed_demo

    return seed_demo(deps)[0]


def make_app(deps: Deps, instance: Path, **settings: Any) -> Any:
    """The Flask app on the test's database, clock and bus (threading mode for tests), with
    any settings of the test's own on top."""
    from queue_server import create_app

    app = create_app(
        {
            "TESTING": True,
            "DB": deps.db,
            "BUS": deps.bus,
            "CLOCK": deps.clock,
            "DEVICE_POLICY": deps.devices,
            "DATABASE_URL": deps.db.url,
            "ASYNC_MODE": "threading",
            "SECRET_KEY": "test-secret",
            "INSTANCE": str(instance),
            **settings,
        }
    )
    # Every reply of the API is checked against the OpenAPI document (tests/contract.py).
    app.after_request(contract_for(app).after_request)
    return app


@pytest.fixture(autouse=True)
def api_contract() -> Iterator[None]:
    """Fails a test whose requests got a reply the OpenAPI document does not describe."""
    before = len(PROBLEMS)
    yield
    found = PROBLEMS[before:]
    assert not found, "replies outside the OpenAPI document:\n" + "\n".join(found[:20])


@pytest.fixture
def app(deps: Deps, tmp_path: Path) -> Any:
    """The Flask app on the test's database, clock and bus, without the background print
    worker (a test of printing asks for it with `make_app(..., PRINTING=True)`): a worker left
    writing printer status would change the database under a test comparing it."""
    return make_app(deps, tmp_path, PRINTING=False)


@pytest.fixture
def client(app: Any) -> Any:
    """An HTTP test client."""
    return app.test_client()


@pytest.fixture
def live_client(app: Any) -> Any:
    """Makes Socket.IO test clients connected to /live."""
    from queue_server.realtime import NAMESPACE, socketio

    made: list[Any] = []

    def make() -> Any:
        sio = socketio.test_client(app, namespace=NAMESPACE)
        assert sio.is_connected(NAMESPACE)
        made.append(sio)
        return sio

    yield make
    for sio in made:
        if sio.is_connected(NAMESPACE):
            sio.disconnect(namespace=NAMESPACE)


class Api:
    """A small actions helper: sign in, issue and act at windows over HTTP."""

    def __init__(self, client: Any, demo: dict[str, Any]) -> None:
        self.client = client
        self.demo = demo
        self.tokens: dict[str, str] = {}

    def kiosk_headers(self) -> dict[str, str]:
        """Authorization of the demo kiosk."""
        return {"Authorization": f"Bearer {self.demo['kiosk_token']}"}

    def issue(self, category: Any = "A", expect: int = 201, **extra: Any) -> dict[str, Any]:
        """Take a ticket at the demo kiosk."""
        response = self.client.post(
            f"/api/v1/halls/{self.demo['hall']}/tickets",
            json={"category": category, **extra},
            headers=self.kiosk_headers(),
        )
        assert response.status_code == expect, response.get_json()
        return response.get_json()  # type: ignore[no-any-return]

    def clerk(self, window_number: int) -> dict[str, Any]:
        """The demo clerk holding the A post of a window number."""
        return next(c for c in self.demo["clerks"] if c["window_number"] == window_number)

    def token(self, staff_no: str, password: str | None = None) -> str:
        """A bearer token for a staff member."""
        if staff_no not in self.tokens:
            response = self.client.post(
                "/api/v1/auth/login",
                json={"staff_no": staff_no, "password": password or demo_password(staff_no)},
            )
            assert response.status_code == 200, response.get_json()
            self.tokens[staff_no] = response.get_json()["token"]
        return self.tokens[staff_no]

    def window(
        self,
        window_number: int,
        action: str,
        body: dict[str, Any] | None = None,
        expect: int = 200,
        staff_no: str | None = None,
    ) -> dict[str, Any]:
        """Do a window action as the window's A clerk (or `staff_no`)."""
        clerk = self.clerk(window_number)
        token = self.token(staff_no or clerk["staff_no"])
        headers = {"Authorization": f"Bearer {token}"}
        if action == "call-next":  # a fresh key per tap, as the counter sends
            headers["Idempotency-Key"] = uuid.uuid4().hex
        response = self.client.post(
            f"/api/v1/windows/{clerk['window']}/{action}", json=body or {}, headers=headers
        )
        assert response.status_code == expect, (action, response.get_json())
        return response.get_json()  # type: ignore[no-any-return]


@pytest.fixture
def api(client: Any, demo: dict[str, Any]) -> Api:
    """Actions over HTTP against the demo hall."""
    return Api(client, demo)


_HASHES: dict[str, str] = {}


def cached_demo_hash(password: str) -> str:
    """The demo's well-known passwords are hashed once per run (argon2 is slow on purpose)."""
    from queue_server.services import auth

    if password not in _HASHES:
        _HASHES[password] = auth.hash_password(password)
    return _HASHES[password]


@pytest.fixture
def demo_passwords_hashed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeding the demo hashes its passwords once per run (`cached_demo_hash`)."""
    from queue_server.services import demo

    monkeypatch.setattr(demo, "hash_password", cached_demo_hash)
