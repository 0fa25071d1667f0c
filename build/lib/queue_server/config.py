"""Configuration from HALLQ_* environment variables, with safe defaults for a single hall."""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Where the pages' templates/ and static/ are: the source tree, or, in an installed package,
# the copy its build put beside the code (setup.py).
WEB_ROOT = ROOT if (ROOT / "templates").is_dir() else Path(__file__).resolve().parent / "web_assets"


def instance_path() -> Path:
    """Where the embedded database and the generated secret live."""
    return Path(os.environ.get("HALLQ_INSTANCE", ROOT / "instance")).resolve()


def secret_key(instance: Path) -> str:
    """HALLQ_SECRET_KEY, or a random key kept in the instance folder across restarts."""
    configured = os.environ.get("HALLQ_SECRET_KEY")
    if configured:
        return configured
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def public_url_for(host: str, port: int) -> str:
    """The address phones are sent to (ticket and booking QR codes) when HALLQ_PUBLIC_URL is
    not set: the address and port the server listens on; for a wildcard address (0.0.0.0,
    ::) the machine's address on its network."""
    if host in ("", "0.0.0.0", "::"):
        host = _network_address() or "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _network_address() -> str | None:
    """This machine's address towards the network (no packet is sent), or None."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
            address = str(probe.getsockname()[0])
    except OSError:
        return None
    return None if is_loopback(address) else address


def is_loopback(url_or_host: str) -> bool:
    """Whether an address (or a URL's host) is this machine only (127.x, ::1, localhost):
    a phone sent there reaches itself, not the hall's server."""
    host = url_or_host
    if "://" in host:
        host = host.split("://", 1)[1].split("/", 1)[0]
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    host = host.strip("[]")
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def trusted_proxies(value: str) -> int:
    """HALLQ_TRUSTED_PROXIES: a count of proxies, 0 to 10."""
    try:
        count = int(value.strip() or "0")
    except ValueError:
        raise SystemExit(f"HALLQ_TRUSTED_PROXIES must be a number, not {value!r}") from None
    if not 0 <= count <= 10:
        raise SystemExit(f"HALLQ_TRUSTED_PROXIES must be between 0 and 10, not {count}")
    return count


def from_environment() -> dict[str, Any]:
    """Settings read from the environment (see the README's table)."""
    instance = instance_path()
    return {
        "INSTANCE": str(instance),
        "DATABASE_URL": os.environ.get("HALLQ_DATABASE_URL")
        or f"sqlite:///{instance / 'hallq.db'}",
        "MESSAGE_QUEUE": os.environ.get("HALLQ_MESSAGE_QUEUE") or None,
        # The Redis channel of the deployment's events (two deployments may share one Redis).
        "MESSAGE_QUEUE_CHANNEL": os.environ.get("HALLQ_MESSAGE_QUEUE_CHANNEL") or "hallq",
        "PUBLIC_URL": os.environ.get("HALLQ_PUBLIC_URL", "http://127.0.0.1:5000"),
        "ASYNC_MODE": os.environ.get("HALLQ_ASYNC_MODE", "gevent"),
        "SECURE_COOKIES": os.environ.get("HALLQ_SECURE_COOKIES", "0") == "1",
        # Device URLs a web user may set (devices.addresses.DevicePolicy): file://, dummy://
        # and any port only with HALLQ_TEST_DEVICES=1 (tests, demos); serial ports listed in
        # HALLQ_SERIAL_PORTS; network printers inside HALLQ_PRINTER_NETWORKS (CIDRs; none).
        "TEST_DEVICES": os.environ.get("HALLQ_TEST_DEVICES", "0") == "1",
        "SERIAL_PORTS": os.environ.get("HALLQ_SERIAL_PORTS", ""),
        "PRINTER_NETWORKS": os.environ.get("HALLQ_PRINTER_NETWORKS", ""),
        # How many reverse proxies (nginx) stand in front: their X-Forwarded-For and
        # X-Forwarded-Proto are believed, so sign-in limits count the citizen's or clerk's own
        # address. 0 (no proxy): the headers are ignored, as anyone could send them.
        "TRUSTED_PROXIES": trusted_proxies(os.environ.get("HALLQ_TRUSTED_PROXIES", "0")),
        # ISO time the hall's clock starts at (then runs in real time): demos and tests.
        "CLOCK_START": os.environ.get("HALLQ_CLOCK_START") or None,
        # Unix time at which the shifted clock reads CLOCK_START (default: start-up).
        "CLOCK_ANCHOR": os.environ.get("HALLQ_CLOCK_ANCHOR") or None,
        # How often a screen asks whether its hall moved on while it heard nothing (seconds).
        "SCREEN_CHECK_SECONDS": float(os.environ.get("HALLQ_SCREEN_CHECK_SECONDS") or 30),
    }
