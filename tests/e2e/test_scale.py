"""City scale: several `hallq serve` processes on one PostgreSQL database and one Redis, and
`hallq demo --halls N`. The processes are real; screens are python-socketio clients."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from sqlalchemy import create_engine, insert, select

from queue_server.store import tables
from tests.conftest import tool_missing

from ..conftest import REDIS_URL, _truncate_pg, service_missing
from .conftest import OPEN_HOURS, Server

NAMESPACE = "/live"


@pytest.fixture
def redis_url() -> str:
    """The Redis server of the tests, or a clear skip (a failure in CI)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except Exception as error:  # any failure means: no server here
        service_missing("Redis", f"{REDIS_URL}: {type(error).__name__}")
    return REDIS_URL


@pytest.fixture
def deployment(
    tmp_path: Path, pg_database: str, redis_url: str
) -> Iterator[Callable[[int], list[Server]]]:
    """Makes N server processes of one deployment: same database, Redis channel, secret and
    clock. The first one's `seed()` seeds the shared database; `start()` each when ready."""
    _truncate_pg(pg_database)
    env = {
        **OPEN_HOURS,
        "HALLQ_DATABASE_URL": pg_database,
        "HALLQ_MESSAGE_QUEUE": redis_url,
        # Other test runs may use the same Redis: this deployment's events stay on its channel.
        "HALLQ_MESSAGE_QUEUE_CHANNEL": f"hallq-test-{uuid.uuid4().hex[:8]}",
        "HALLQ_CLOCK_ANCHOR": str(time.time()),
    }
    made: list[Server] = []

    def make(count: int) -> list[Server]:
        for index in range(count):
            instance = tmp_path / f"process-{len(made) + index}"
            instance.mkdir()
            made.append(Server(instance, env))
        return made[-count:]

    yield make
    for server in made:
        server.stop()


def display(url: str, hall: int, events: list[str]) -> tuple[socketio.Client, list[Any]]:
    """A lobby screen on one process: websocket transport, joined to the hall's room."""
    got: list[Any] = []
    client = socketio.Client(reconnection=False)
    for name in events:
        client.on(name, lambda data, name=name: got.append((name, data)), namespace=NAMESPACE)
    client.connect(url, transports=["websocket"], namespaces=[NAMESPACE], wait_timeout=10)
    reply = client.call("join", {"hall": hall}, namespace=NAMESPACE, timeout=10)
    assert reply["ok"], reply
    return client, got


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_call_through_one_process_reaches_a_screen_on_the_other_and_sign_in_works_on_both(
    deployment: Callable[[int], list[Server]],
):
    first, second = deployment(2)
    first.seed()
    second.demo = first.demo
    first.start()
    second.start()
    hall = first.demo["hall"]
    events = ["ticket_called", "ticket_issued", "ticket_finished", "window_changed"]
    screen, got = display(second.url, hall, events)
    try:
        ticket = first.issue("A")
        first.window(1, "open")
        called = first.window(1, "call-next")["ticket"]
        assert called["number"] == ticket["number"]
        calls = wait_for(lambda: [data for name, data in got if name == "ticket_called"])
        assert calls[0]["number"] == ticket["number"] and calls[0]["window_number"] == 1
        assert [data["number"] for name, data in got if name == "ticket_issued"] == ["A001"]
        # Through Redis too, a call comes first, then the finish, the window's state last.
        first.issue("A")
        wait_for(lambda: [data for name, data in got if name == "ticket_issued"][1:])
        time.sleep(0.3)  # whatever else the issue and the opening sent has arrived
        got.clear()
        first.window(1, "call-next")
        wait_for(lambda: len(got) >= 3)
        time.sleep(0.3)
        assert [name for name, _ in got] == ["ticket_called", "ticket_finished", "window_changed"]
        assert [data["number"] for _, data in got[:2]] == ["A002", "A001"]
    finally:
        screen.disconnect()

    # A bearer token from one process works on the other (tokens live in the database)...
    token, window = first.clerk_token(4)
    auth = {"Authorization": f"Bearer {token}"}
    opened = requests.post(f"{second.url}/api/v1/windows/{window}/open", headers=auth, timeout=10)
    assert opened.status_code == 200 and opened.json()["window"]["status"] == "open"
    # ...and so does the session cookie (the same HALLQ_SECRET_KEY signs it everywhere).
    browser = requests.Session()
    clerk = next(c for c in first.demo["clerks"] if c["window_number"] == 5)
    login = browser.post(
        f"{first.url}/api/v1/auth/login",
        json={"staff_no": clerk["staff_no"], "password": clerk["password"]},
        timeout=10,
    )
    assert login.status_code == 200
    me = browser.get(f"{second.url}/api/v1/auth/me", timeout=10)
    assert me.status_code == 200 and me.json()["id"] == login.json()["clerk"]["id"]
    opened = browser.post(
        f"{second.url}/api/v1/windows/{clerk['window']}/open",
        headers={"X-CSRF-Token": login.json()["csrf_token"]},
        timeout=10,
    )
    assert opened.status_code == 200


def test_tickets_issued_through_both_processes_at_once_are_unique_and_contiguous(
    deployment: Callable[[int], list[Server]],
):
    servers = deployment(2)
    servers[0].seed()
    for server in servers:
        server.demo = servers[0].demo
        server.start()
    hall, token = servers[0].demo["hall"], servers[0].demo["kiosk_token"]

    def take(index: int) -> str:
        response = requests.post(
            f"{servers[index % 2].url}/api/v1/halls/{hall}/tickets",
            json={"category": "B"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["number"])

    with ThreadPoolExecutor(max_workers=12) as pool:
        numbers = list(pool.map(take, range(60)))
    assert sorted(numbers) == [f"B{i:03d}" for i in range(1, 61)]


def test_yesterdays_leftovers_are_closed_once_however_many_processes_run(
    deployment: Callable[[int], list[Server]], pg_database: str
):
    servers = deployment(2)
    demo = servers[0].seed()
    engine = create_engine(pg_database.replace("postgresql://", "postgresql+psycopg://", 1))
    yesterday = date(2026, 11, 25)
    issued = datetime.fromisoformat("2026-11-25T10:00:00+08:00")
    T = tables.tickets
    with engine.begin() as conn:
        window = conn.scalar(
            select(tables.windows.c.id).where(
                tables.windows.c.hall_id == demo["hall"], tables.windows.c.number == 1
            )
        )
        for seq, state in enumerate(["waiting", "waiting", "called"], start=1):
            conn.execute(
                insert(T).values(
                    hall_id=demo["hall"],
                    category_id=demo["categories"]["A"],
                    service_day=yesterday,
                    seq=seq,
                    number=f"A{seq:03d}",
                    token=uuid.uuid4().hex[:16],
                    issued_at=issued,
                    sort_key=issued.timestamp() + seq,
                    priority="none",
                    state=state,
                    window_id=window if state == "called" else None,
                    times_called=1 if state == "called" else 0,
                    called_at=issued if state == "called" else None,
                    items=[],
                )
            )
    for server in servers:
        server.demo = demo
        server.start()  # each process's scheduler runs its due jobs at start

    def states() -> dict[str, str]:
        with engine.connect() as conn:
            rows = conn.execute(
                select(T.c.number, T.c.state).where(T.c.service_day == yesterday)
            ).all()
        return {number: str(state) for number, state in rows}

    wait_for(lambda: set(states().values()) <= {"cancelled", "no_show"}, timeout=20)
    assert states() == {"A001": "cancelled", "A002": "cancelled", "A003": "no_show"}
    time.sleep(1)  # give a second process every chance to (wrongly) close them again
    with engine.connect() as conn:
        audited = conn.execute(
            select(tables.audit_log.c.subject).where(
                tables.audit_log.c.action == "ticket.day_closed"
            )
        ).all()
    engine.dispose()
    assert sorted(subject for (subject,) in audited) == ["A001", "A002", "A003"]
    # Today's queue starts afresh on both processes.
    assert servers[1].issue("A")["number"] == "A001"


def test_demo_seeds_many_halls_each_with_its_windows_clerks_and_kiosk(tmp_path: Path):
    server = Server(tmp_path, env=OPEN_HOURS)
    server.hallq("db", "upgrade")
    seeded = json.loads(server.hallq("demo", "--json", "--halls", "3"))
    halls = seeded["halls"]
    assert len(halls) == 3
    single_keys = {"hall", "name", "kiosk_token", "clerks", "manager"}
    for hall in halls:
        assert single_keys <= hall.keys()
        assert len(hall["clerks"]) == 8 and {c["window_number"] for c in hall["clerks"]} == set(
            range(1, 9)
        )
    assert len({h["hall"] for h in halls}) == 3 and len({h["name"] for h in halls}) == 3
    staff = [c["staff_no"] for h in halls for c in h["clerks"]]
    assert len(set(staff)) == len(staff)

    server.start()
    try:
        for hall in halls:  # each kiosk issues in its own hall
            server.demo = hall
            assert server.issue("A")["number"] == "A001"
        server.demo = halls[1]
        server.window(1, "open")
        assert server.window(1, "call-next")["ticket"]["number"] == "A001"
        # A clerk of one hall holds no post at another hall's windows.
        token, _ = Server.clerk_token(server, 1)
        other_window = halls[2]["clerks"][0]["window"]
        refused = requests.post(
            f"{server.url}/api/v1/windows/{other_window}/open",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert refused.status_code == 403
    finally:
        server.stop()


def test_one_hall_demo_json_keeps_its_single_hall_shape(tmp_path: Path):
    server = Server(tmp_path)
    server.hallq("db", "upgrade")
    seeded = json.loads(server.hallq("demo", "--json"))
    assert "halls" not in seeded and isinstance(seeded["hall"], int)


def test_the_nginx_example_passes_nginx_own_check(tmp_path: Path):
    import shutil
    import subprocess

    nginx, openssl = shutil.which("nginx") or "/usr/sbin/nginx", shutil.which("openssl")
    if not Path(nginx).exists() or openssl is None:
        tool_missing("nginx or openssl", "apt-get install nginx-light openssl")
    site = (Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf").read_text()
    assert "ip_hash;" in site and "proxy_set_header Upgrade $http_upgrade;" in site
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=hallq",
         "-days", "1", "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = site.replace("/etc/ssl/hallq/fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace("/etc/ssl/hallq/privkey.pem", str(tmp_path / "key.pem"))
    (tmp_path / "hallq.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/hallq.conf;\n}}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
