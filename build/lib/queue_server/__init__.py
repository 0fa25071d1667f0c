"""hallq: kiosks, queues and screens for government service halls.

The package imports nothing heavy at import time, so the `hallq` entry point can apply gevent's
monkey patching before Flask, sockets or database drivers are loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the hallq web application."""
    from .app import build_app

    return build_app(test_config)
