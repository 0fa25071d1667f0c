"""The application factory: configuration, the wiring of `bootstrap.py`, blueprints mounted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask

import display
import kiosk

from . import admin, config
from .bootstrap import bootstrap, wire
from .http import RecordId
from .web import account, booking, cases, counter, evaluate, home, station

# One front door per capability: its pages blueprint (`bp`, None for a door without pages) and
# its /api/v1 routes (its `api` module, whose routes join the API blueprint when it is imported:
# here, before the API is mounted). A door that cannot be imported stops the start.
FRONT_DOORS = (home, account, kiosk, display, counter, evaluate, booking, cases, station, admin)


def build_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: API, pages, Socket.IO."""
    app = Flask(
        "queue_server",
        root_path=str(config.ROOT / "queue_server"),
        template_folder=str(config.WEB_ROOT / "templates"),
        static_folder=str(config.WEB_ROOT / "static"),
        static_url_path="/static",
        instance_path=config.instance_path().as_posix(),
    )
    app.url_map.converters["int"] = RecordId
    settings = config.from_environment()
    settings.update(test_config or {})
    app.config.update(settings)
    app.config.update(
        SECRET_KEY=settings.get("SECRET_KEY") or config.secret_key(config.instance_path()),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings.get("SECURE_COOKIES")),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=256 * 1024,
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    deps = bootstrap(app.config)
    app.extensions["hallq"] = deps
    from . import api, realtime, web

    realtime.init_app(app)
    wire(app, deps)  # every event handler, worker and periodic job: queue_server/bootstrap.py
    api.init_app(app)  # every door's API routes, imported with FRONT_DOORS above
    for door in FRONT_DOORS:
        if door.bp is not None:
            app.register_blueprint(door.bp)
    web.init_app(app)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind nginx every connection comes from nginx: the client's own address is the one
        # the nearest trusted proxy appended to X-Forwarded-For (what a client sends is not).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies
        )
    from .http import refuse_bad_text_in_request

    app.before_request(refuse_bad_text_in_request)
    return app
