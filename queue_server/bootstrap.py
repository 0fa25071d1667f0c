"""Wiring, in one place: the adapters every use case runs with (`bootstrap`), and everything
that reacts to committed changes or runs on a timer (`wire`), started by the app factory.

A use case never calls another capability's reaction itself: it commits and publishes its
messages (`services/unit_of_work.py`); the handlers subscribed here react to them after the
commit. Periodic jobs are the modules' `@periodic` functions (`services/scheduler.py`), listed
in `JOB_MODULES`; the scheduler runs each once per deployment.

What is wired, in the order the bus hands a batch over:

1. the sockets (`realtime.publish`): every screen, counter and phone in the message's room;
2. kiosk printing (`services/printing.PrintDispatcher`), off the request (`PRINTING`);
3. the console's reactions: the flexible-window watch (alarm when a queue is crowded and a
   flexible window is closed), 差评 follow-ups opened for each bad rating, and the LED boards
   and keypads following their new settings (`devices_changed`).

Started besides: the LED board and keypad workers (`DEVICE_WORKERS`) and the scheduler of the
periodic jobs (`SCHEDULER`), both only in the real server or a test that asks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask

from devices.addresses import DevicePolicy

from .domain.evaluation import LEVELS_NEEDING_REASON
from .services.bus import Message, MessageBus, Subscriber
from .services.clock import Clock, OffsetClock, SystemClock
from .services.context import Deps
from .store.db import Database

# Modules whose @periodic jobs the scheduler runs (each registers its jobs when imported).
JOB_MODULES: tuple[str, ...] = (
    "queue_server.services.jobs",  # day end, device health
    "queue_server.services.retention",  # personal data retention, forgotten issue keys
    "queue_server.services.booking.housekeeping",  # reminders, lapsed bookings
    "queue_server.services.admin.calendar",  # the official calendar's missing year
    "queue_server.services.complaints",  # 差评 follow-ups a handler missed
    "queue_server.services.case_alarms",  # overdue cases raise the hall alarm
)


def make_clock(settings: dict[str, Any]) -> Clock:
    """The clock: a test's, one shifted to HALLQ_CLOCK_START, or the system's."""
    if settings.get("CLOCK"):
        return settings["CLOCK"]
    if settings.get("CLOCK_START"):
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


def wire(app: Flask, deps: Deps) -> None:
    """Subscribe every handler to the bus and start the workers the settings ask for; what
    runs is kept in `app.extensions` (hallq_printing, hallq_devices, hallq_scheduler)."""
    from . import realtime
    from .services.notify import notifier_from_config

    settings = app.config
    # Citizens' messages: an SMS gateway when configured, else the log (periodic work too).
    deps.notifier = app.extensions["hallq_notifier"] = notifier_from_config(settings)
    interval = float(settings.get("QUEUE_CHANGED_INTERVAL") or 0)
    if interval > 0:
        # The real server folds a hall's queue figures into one message per interval.
        from .services.queue_changes import QueueChangedThrottle

        deps.queue_changes = QueueChangedThrottle(deps, interval)
    deps.bus.subscribe(realtime.publish)
    from .services.case_followers import CaseFollowers

    # A case's citizen hears of its changes: their page (live) and their phone (notices).
    deps.bus.subscribe(CaseFollowers(deps).on_messages)
    if settings.get("PRINTING", True):
        # Kiosk tickets go to their kiosk's printer after the commit, off the request.
        from .services.printing import PrintDispatcher

        printing = PrintDispatcher(
            deps,
            base_delay=float(settings.get("PRINT_RETRY_DELAY", 0.5)),
            idle_seconds=float(settings.get("PRINT_IDLE_SECONDS", 1 if app.testing else 30)),
        )
        deps.bus.subscribe(printing.on_messages)
        app.extensions["hallq_printing"] = printing
    if settings.get("DEVICE_WORKERS"):
        # LED boards and evaluator keypads: only the real server (or a test that asks).
        from .services.boards import start_device_workers

        app.extensions["hallq_devices"] = start_device_workers(deps)
    if settings.get("SCHEDULER"):
        # Periodic jobs (day rollover, device health…): only the real server, each job run by
        # one process of the deployment at a time.
        from .services.scheduler import start_scheduler

        app.extensions["hallq_scheduler"] = start_scheduler(deps, JOB_MODULES)
    deps.bus.subscribe(console_handlers(deps, app.extensions))


def console_handlers(deps: Deps, extensions: dict[str, Any]) -> Subscriber:
    """The console's reactions to committed changes: the flexible-window watch, a 差评
    follow-up for each bad rating, and the device workers' reload when devices change."""
    from .services import complaints
    from .services.admin.flexible import FlexibleWatch

    watch = FlexibleWatch(deps)

    def on_messages(batch: list[Message]) -> None:
        watch.on_messages(batch)
        rated = {
            int(m.payload.get("hall") or m.room.split(":", 1)[1])
            for m in batch
            if m.event == "ticket_evaluated"
            and m.room.startswith("hall:")
            and m.payload.get("level") in LEVELS_NEEDING_REASON
        }
        if rated:
            complaints.open_follow_ups(deps, rated)
        if any(m.event == "devices_changed" for m in batch):
            workers = extensions.get("hallq_devices")
            if workers is not None:
                workers.reload()  # LED boards and keypads follow their new windows and ports

    return on_messages
