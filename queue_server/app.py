"""The application factory: configuration, adapters wired in one place, blueprints mounted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask

import display
import kiosk
from devices.addresses import DevicePolicy

from . import admin, config
from .http import RecordId
from .services.bus import MessageBus
from .services.clock import Clock, OffsetClock, SystemClock
from .services.context import Deps
from .store.db import Database
from .web import account, booking, cases, counter, evaluate, home

# One front door per capability: its pages blueprint (`bp`, None for a door without pages) and
# its /api/v1 routes (its `api` module, whose routes join the API blueprint when it is imported:
# here, before the API is mounted). A door that cannot be imported stops the start.
FRONT_DOORS = (home, account, kiosk, display, counter, evaluate, booking, cases, admin)


def make_clock(settings: dict[str, Any]) -> Clock:
    """The clock: a test's, one shifted to HALLQ_CLOCK_START, or the system's."""
    if settings.get("CLOCK"):
        return settings["CLOCK"]
    if settings.get("CLOCK_START"):
        from datetime import UTC, datetime

        anchor = settings.get("CLOCK_ANCHOR")
        return OffsetClock(
            datetime.fromisoformat(settings["CLOCK_START"]),
            datetime.fromtimestamp(float(anchor), UTC) if anchor else None,
        )
    return SystemClock()


def bootstrap(settings: dict[str, Any], bus: MessageBus | None = None) -> Deps:
    """The real adapters (or the ones a test passes in settings) for the use cases."""
    return Deps(
        db=settings.get("DB") or Database(settings["DATABASE_URL"]),
        bus=bus or settings.get("BUS") or MessageBus(),
        clock=make_clock(settings),
        public_url=settings.get("PUBLIC_URL", "http://127.0.0.1:5000"),
        devices=settings.get("DEVICE_POLICY") or DevicePolicy.from_settings(settings),
    )


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
    from .services.notify import notifier_from_config

    # Citizens' messages: an SMS gateway when configured, else the log (periodic work too).
    deps.notifier = app.extensions["hallq_notifier"] = notifier_from_config(app.config)
    interval = float(app.config.get("QUEUE_CHANGED_INTERVAL") or 0)
    if interval > 0:
        # The real server folds a hall's queue figures into one message per interval.
        from .services.queue_changes import QueueChangedThrottle

        deps.queue_changes = QueueChangedThrottle(deps, interval)

    from . import api, realtime, web

    realtime.init_app(app)
    deps.bus.subscribe(realtime.publish)
    from .services.case_followers import CaseFollowers

    # A case's citizen hears of its changes: their page (live) and their phone (notices).
    deps.bus.subscribe(CaseFollowers(deps).on_messages)
    if app.config.get("PRINTING", True):
        # Kiosk tickets go to their kiosk's printer after the commit, off the request.
        from .services.printing import PrintDispatcher

        printing = PrintDispatcher(
            deps,
            base_delay=float(app.config.get("PRINT_RETRY_DELAY", 0.5)),
            idle_seconds=float(app.config.get("PRINT_IDLE_SECONDS", 1 if app.testing else 30)),
        )
        deps.bus.subscribe(printing.on_messages)
        app.extensions["hallq_printing"] = printing
    if app.config.get("DEVICE_WORKERS"):
        # LED boards and evaluator keypads: only the real server (or a test that asks).
        from .services.boards import start_device_workers

        app.extensions["hallq_devices"] = start_device_workers(deps)
    if app.config.get("SCHEDULER"):
        # Periodic jobs (day rollover, device health…): only the real server, each job run by
        # one process of the deployment at a time.
        from .services.scheduler import start_scheduler

        app.extensions["hallq_scheduler"] = start_scheduler(deps)
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
