"""Configuration from HALLQ_* environment variables, with safe defaults for a single hall."""

from __future__ import annotations

import os
import secrets
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
        # ISO time the hall's clock starts at (then runs in real time): demos and tests.
        "CLOCK_START": os.environ.get("HALLQ_CLOCK_START") or None,
        # Unix time at which the shifted clock reads CLOCK_START (default: start-up).
        "CLOCK_ANCHOR": os.environ.get("HALLQ_CLOCK_ANCHOR") or None,
    }
