"""Real-browser tests: a real `hallq serve` process, Debian's Chromium driven by Playwright,
an axe-core audit per page, and screenshots kept under test-artifacts/screenshots/."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import tool_missing

ROOT = Path(__file__).resolve().parents[2]
HALLQ = str(Path(sys.executable).with_name("hallq"))
CHROMIUM = os.environ.get("HALLQ_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A `hallq serve` process on its own instance folder and port."""

    def __init__(self, instance: Path, env: dict[str, str] | None = None) -> None:
        self.instance = instance
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "HALLQ_INSTANCE": str(instance),
            "HALLQ_PUBLIC_URL": self.url,
            "HALLQ_SECRET_KEY": "e2e-secret",
            # A shifted clock (HALLQ_CLOCK_START) keeps running across restarts.
            "HALLQ_CLOCK_ANCHOR": str(time.time()),
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.demo: dict[str, Any] = {}

    def hallq(self, *args: str) -> str:
        """Run a hallq command against this server's database."""
        done = subprocess.run(
            [HALLQ, *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def seed(self, *demo_args: str) -> dict[str, Any]:
        """Migrate and seed the demo hall; keep its credentials."""
        self.hallq("db", "upgrade")
        self.demo = json.loads(self.hallq("demo", "--json", *demo_args))
        return self.demo

    def start(self) -> Server:
        """Start serving and wait until it answers."""
        with open(self.instance / "serve.log", "ab") as log:
            self.process = subprocess.Popen(
                [HALLQ, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.instance / "serve.log").read_text())
            try:
                if requests.get(self.url + "/healthz", timeout=1).ok:
                    return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("hallq serve did not start in 30 s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the process (SIGKILL to simulate a crash)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> Server:
        """Stop and start again on the same port and database."""
        self.stop()
        return self.start()

    # -- API helpers -------------------------------------------------------------------------
    def issue(self, category: str = "A", **extra: Any) -> dict[str, Any]:
        """Take a ticket as the demo kiosk."""
        response = requests.post(
            f"{self.url}/api/v1/halls/{self.demo['hall']}/tickets",
            json={"category": category, **extra},
            headers={"Authorization": f"Bearer {self.demo['kiosk_token']}"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def token(self, staff_no: str, password: str) -> str:
        """A bearer token of the staff member signing in with `staff_no` and `password`."""
        response = requests.post(
            f"{self.url}/api/v1/auth/login",
            json={"staff_no": staff_no, "password": password},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()["token"]

    def manager_token(self) -> str:
        """A bearer token of the demo hall's manager."""
        manager = self.demo["manager"]
        return self.token(manager["staff_no"], manager["password"])

    def clerk_token(self, window_number: int) -> tuple[str, int]:
        """A bearer token of the window's A clerk, and the window id."""
        clerk = next(c for c in self.demo["clerks"] if c["window_number"] == window_number)
        return self.token(clerk["staff_no"], clerk["password"]), clerk["window"]

    def window(self, window_number: int, action: str, body: dict[str, Any] | None = None) -> Any:
        """A window action as its A clerk."""
        token, window_id = self.clerk_token(window_number)
        response = requests.post(
            f"{self.url}/api/v1/windows/{window_id}/{action}",
            json=body or {},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()


OPEN_HOURS = {"HALLQ_CLOCK_START": "2026-11-26T09:30:00+08:00"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A seeded, running hallq server of its own, its clock in Thursday's opening hours."""
    srv = Server(tmp_path, env=OPEN_HOURS)
    srv.seed()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright (no downloaded browser)."""
    if not Path(CHROMIUM).exists():
        tool_missing(CHROMIUM, "apt-get install -y chromium fonts-noto-cjk")
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    if "Noto Sans CJK" not in fonts.stdout:
        tool_missing("the Noto CJK font", "apt-get install -y fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """Makes pages of a given viewport, each in its own browser context. Whatever the browser
    blocks under hallq's Content-Security-Policy fails the test that made the page."""
    contexts: list[Any] = []
    blocked: list[str] = []

    def make(width: int = 1280, height: int = 800, **options: Any) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN", **options
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.wait_for_function = _polling_wait(page)
        page.on(
            "console",
            lambda message: (
                blocked.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert not blocked, "the Content-Security-Policy blocked:\n" + "\n".join(blocked[:10])


def _polling_wait(page: Any) -> Any:
    """`page.wait_for_function` that polls with `page.evaluate`: Playwright's own compiles the
    expression with eval inside the page, which hallq's Content-Security-Policy (no
    'unsafe-eval') rightly refuses, while an evaluate goes through the DevTools protocol."""

    def wait(expression: str, *, arg: Any = None, timeout: float | None = None, **_: Any) -> Any:
        deadline = time.monotonic() + (timeout if timeout is not None else 10_000) / 1000
        while True:
            value = page.evaluate(expression, arg)
            if value:
                return value
            if time.monotonic() > deadline:
                from playwright.sync_api import TimeoutError as PlaywrightTimeout

                raise PlaywrightTimeout(f"waiting for {expression[:80]!r} timed out")
            page.wait_for_timeout(50)

    return wait


def sign_in_console(page: Any, srv: Server, who: dict[str, Any] | None = None) -> Any:
    """`page` signed in to the manager console through its sign-in form, as `who` (a demo
    person with staff_no and password; the town's manager unless told)."""
    who = who or srv.demo["manager"]
    page.goto(f"{srv.url}/admin/login")
    page.fill("#staff_no", who["staff_no"])
    page.fill("#password", who["password"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{srv.url}/admin/")
    return page


def sign_in_counter(page: Any, srv: Server, clerk: dict[str, Any], window_id: int) -> Any:
    """`page` at the counter panel of `window_id`, signed in as `clerk` through the panel's own
    form, the panel shown."""
    page.goto(f"{srv.url}/counter/{window_id}")
    page.fill("#staff-no", clerk["staff_no"])
    page.fill("#password", clerk["password"])
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#panel-view:not([hidden])")
    return page


def screenshot(page: Any, name: str) -> Path:
    """Keep a screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def axe_audit(page: Any, name: str) -> list[dict[str, Any]]:
    """Run axe-core in the page; fail on serious or critical violations."""
    if not AXE.exists():
        pytest.fail("node_modules/axe-core missing: run `make install-dev` (npm ci)")
    # Evaluated through the DevTools protocol: a <script> tag would be inline code, which the
    # pages' Content-Security-Policy rightly refuses.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    summary = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in bad
    ]
    assert not bad, f"axe found serious/critical problems on {name}:\n" + "\n".join(summary)
    return result["violations"]  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def _browser_marker(request: pytest.FixtureRequest) -> None:
    """Every test here is a browser or process test."""
    if shutil.which(HALLQ) is None and not Path(HALLQ).exists():
        pytest.fail(f"{HALLQ} missing: install hallq into the virtual environment")
