"""An integrator's client, generated from the served OpenAPI document by openapi-python-client
(offline: the generator only reads the file), takes a ticket at the kiosk and calls it at a
counter of a running hallq: if the generated client cannot do the basic flow, the contract is
not complete."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import requests

from .conftest import Server

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
# The generator writes a client of the JSON operations; the QR code, calendar and CSV replies
# come to it as bytes.
CONFIG = {
    "package_name_override": "hallq_client",
    "post_hooks": [],
    "content_type_overrides": {
        "image/svg+xml": "application/octet-stream",
        "text/calendar": "application/octet-stream",
        "text/csv": "application/octet-stream",
    },
}


def generate_client(document: dict, folder: Path) -> None:
    (folder / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    (folder / "config.json").write_text(json.dumps(CONFIG), encoding="utf-8")
    done = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(folder / "openapi.json"),
            "--config",
            str(folder / "config.json"),
            "--output-path",
            str(folder / "hallq_client"),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        # No proxy, no network: the generator works from the file alone.
        env={**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout, done.stdout


def test_a_generated_client_takes_a_ticket_at_the_kiosk_and_calls_it_at_a_counter(
    server: Server, tmp_path: Path
):
    document = requests.get(f"{server.url}/api/v1/openapi.json", timeout=10).json()
    generate_client(document, tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        client_package = importlib.import_module("hallq_client")
        default = importlib.import_module("hallq_client.api.default")
        models = importlib.import_module("hallq_client.models")
        issue = importlib.import_module(f"{default.__name__}.post_api_v1_halls_hall_tickets")
        login = importlib.import_module(f"{default.__name__}.post_api_v1_auth_login")
        follow = importlib.import_module(f"{default.__name__}.get_api_v1_tickets_token")
        call_next = importlib.import_module(
            f"{default.__name__}.post_api_v1_windows_window_call_next"
        )
        open_window = importlib.import_module(f"{default.__name__}.post_api_v1_windows_window_open")

        kiosk = client_package.AuthenticatedClient(
            base_url=server.url, token=server.demo["kiosk_token"]
        )
        anonymous = client_package.Client(base_url=server.url)
        ticket = issue.sync(
            server.demo["hall"],
            client=kiosk,
            body=models.TicketRequest(category="A"),
            idempotency_key=uuid.uuid4().hex,
        )
        assert isinstance(ticket, models.IssuedTicket), ticket
        assert ticket.number.startswith("A") and ticket.state == "waiting"
        assert ticket.position == 0 and isinstance(ticket.estimated_wait_minutes, int)
        assert ticket.hall.id == server.demo["hall"]

        # The clerk of the window serving A signs in with the generated client too.
        clerk = next(c for c in server.demo["clerks"] if c["window_number"] == 1)
        signed_in = login.sync(
            client=anonymous,
            body=models.LoginRequest(staff_no=clerk["staff_no"], password=clerk["password"]),
        )
        assert isinstance(signed_in, models.SignedIn), signed_in
        assert signed_in.clerk.staff_no == clerk["staff_no"]
        counter = client_package.AuthenticatedClient(base_url=server.url, token=signed_in.token)
        opened = open_window.sync(clerk["window"], client=counter)
        assert isinstance(opened, models.WindowReply), opened
        assert opened.window.status == "open"

        called = call_next.sync(clerk["window"], client=counter, idempotency_key=uuid.uuid4().hex)
        assert isinstance(called, models.TicketReply), called
        assert called.ticket.number == ticket.number and called.ticket.state == "called"
        assert called.ticket.window.id == clerk["window"]

        # The citizen's page sees the call.
        seen = follow.sync(ticket.token, client=anonymous)
        assert isinstance(seen, models.Ticket), seen
        assert seen.state == "called" and seen.window.number == 1 and seen.times_called == 1

        # A refusal comes back as the document's Error, in both languages.
        unknown = follow.sync("no-such-token", client=anonymous)
        assert isinstance(unknown, models.Error) and unknown.error == "not_found"
        assert unknown.message and unknown.message_en
        for client in (kiosk, anonymous, counter):
            client.get_httpx_client().close()
    finally:
        sys.path.remove(str(tmp_path))
        for name in [
            n for n in sys.modules if n == "hallq_client" or n.startswith("hallq_client.")
        ]:
            del sys.modules[name]
