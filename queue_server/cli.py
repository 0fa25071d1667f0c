"""Command line: `hallq serve`, `hallq db upgrade`, `hallq demo`, `hallq calendar`."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import click

from . import config


@click.group()
def cli() -> None:
    """hallq: queue, kiosk and displays for government service halls."""


@cli.group()
def db() -> None:
    """Database commands."""


def _database_url() -> str:
    return str(config.from_environment()["DATABASE_URL"])


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or upgrade the database schema, keeping every row."""
    from .store import migrate

    url = _database_url()
    migrate.upgrade(url, revision)
    click.echo(f"database at revision {migrate.current(url)}")


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=str))
def backup(path: str) -> None:
    """Back up the database to PATH (online: the server may keep running)."""
    from pathlib import Path

    from .store import backup as backups

    try:
        target = backups.backup(_database_url(), Path(path))
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backup written to {target}")


@cli.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=str))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: str, yes: bool) -> None:
    """Replace the database's content with the backup at PATH (stop the servers first)."""
    from pathlib import Path

    from .store import backup as backups

    if not yes:
        click.confirm("This replaces every ticket, window and setting. Continue?", abort=True)
    try:
        backups.restore(_database_url(), Path(path))
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo("database restored; run `hallq db upgrade` if the backup is from an older release")


def _deps() -> Any:
    from .bootstrap import bootstrap

    return bootstrap(config.from_environment())


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print credentials as JSON for scripts.")
@click.option("--halls", default=1, show_default=True, type=click.IntRange(1, 500))
@click.option("--printer", default=None, help="Ticket printer URL of the demo kiosk.")
@click.option("--if-empty", is_flag=True, help="Only seed when the database has no hall.")
def demo(as_json: bool, halls: int, printer: str | None, if_empty: bool) -> None:
    """Seed demo town halls (windows, categories, items, clerks with A/B posts, a kiosk)."""
    from .services import demo as demo_service

    deps = _deps()
    if printer is not None:
        from devices.errors import DeviceConfigError
        from devices.printer import open_printer

        try:
            open_printer(printer)  # the operator's own setting: parsed, not policed
        except DeviceConfigError as error:
            raise click.BadParameter(str(error), param_hint="--printer") from None
    credentials = Path(config.instance_path()) / DEMO_CREDENTIALS
    if if_empty and not demo_service.database_is_empty(deps):
        if as_json:
            click.echo(json.dumps({"seeded": False}))
            return
        try:
            earlier = json.loads(credentials.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            click.echo("database already has halls; demo not seeded")
            return
        click.echo(f"database already has halls; the demo as seeded ({credentials}):")
        _print_demo(earlier)
        return
    seeded = demo_service.seed_demo(deps, halls=halls, printer_url=printer)
    # Kept (owner-only) so that the next `make run` can print them again: the database only
    # holds hashes of the tokens and passwords.
    with contextlib.suppress(OSError):
        credentials.parent.mkdir(parents=True, exist_ok=True)
        credentials.touch(mode=0o600)
        credentials.write_text(json.dumps(seeded, ensure_ascii=False), encoding="utf-8")
    if as_json:
        if halls == 1:
            click.echo(json.dumps(seeded[0], ensure_ascii=False))
        else:
            click.echo(
                json.dumps({"halls": seeded, "admin": seeded[0]["admin"]}, ensure_ascii=False)
            )
        return
    _print_demo(seeded)


DEMO_CREDENTIALS = "demo-credentials.json"


def _print_demo(seeded: list[dict[str, Any]]) -> None:
    for hall in seeded:
        click.echo(f"{hall['name']} (hall {hall['hall']})")
        click.echo(f"  kiosk token: {hall['kiosk_token']}")
        if hall.get("village_kiosk_token"):
            click.echo(
                f"  village station (hall {hall['village']}) kiosk token: "
                f"{hall['village_kiosk_token']}"
            )
        for clerk in hall["clerks"]:
            click.echo(
                f"  window {clerk['window_number']}: staff {clerk['staff_no']} "
                f"password {clerk['password']}"
            )
        manager = hall["manager"]
        click.echo(f"  manager: staff {manager['staff_no']} password {manager['password']}")
    admin = seeded[0]["admin"]
    click.echo(
        f"admin (every hall, /admin): staff {admin['staff_no']} password {admin['password']}"
    )


@cli.group()
def calendar() -> None:
    """Holiday schedules (节假日安排) for years the chinesecalendar package does not cover."""


@calendar.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=str))
def calendar_import(path: str) -> None:
    """Enter (or replace) a year from a JSON file: {"year": 2027, "holidays": [{"day": ...,
    "until": ..., "name": "元旦", "name_en": ...}], "swapped_workdays": ["..."]}."""
    from .domain.errors import QueueError
    from .services import admin

    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.ClickException(f"cannot read {path}: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("year"), int):
        raise click.ClickException('the file must be a JSON object with a whole-number "year"')
    try:
        from .api.admin_models import CalendarYearEntry
        from .api.openapi import request_schema
        from .api.spec import validate

        validate(request_schema(CalendarYearEntry), data)
        saved = admin.save_year(_deps(), admin.COMMAND_LINE, data["year"], data)
    except QueueError as error:
        raise click.ClickException(f"{error.message}\n{error.message_en}") from None
    click.echo(
        f"{saved['year']}: {len(saved['holidays'])} holiday days, "
        f"{len(saved['swapped_workdays'])} swapped working days entered"
    )


@calendar.command("show")
@click.argument("year", type=click.IntRange(1, 9999))
def calendar_show(year: int) -> None:
    """Print a year's holidays and swapped working days as JSON, and where they come from."""
    from .domain.errors import QueueError
    from .services import admin

    try:
        shown = admin.calendar_year(_deps(), admin.COMMAND_LINE, year)
    except QueueError as error:
        raise click.ClickException(f"{error.message}\n{error.message_en}") from None
    click.echo(json.dumps(shown, ensure_ascii=False, indent=2))


def _make_server(app: Any, host: str, port: int) -> Any:
    import gevent
    from gevent import pywsgi

    class FairHandler(pywsgi.WSGIHandler):
        """TCP_NODELAY on every connection, so keep-alive replies are not held ~40 ms; and every
        keep-alive connection waits its turn between two requests.

        A greenlet that has answered a request reads the connection's next one at once, and when
        the client has already sent it (a fast client on the other core) the read returns
        without going through the hub: one connection is then served hundreds of times in a row
        while the others' requests wait in their sockets (p99 tens of times p50 under load).
        Yielding to the hub before each further request lets every connection that is ready be
        served first (`tests/e2e/test_fair_keepalive.py`)."""

        def handle(self) -> None:
            with contextlib.suppress(OSError):
                self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._served = 0
            super().handle()

        def handle_one_request(self) -> Any:
            if self._served:
                gevent.sleep(0)  # the others' turn: runs every greenlet whose socket is ready
            self._served += 1
            return super().handle_one_request()

    # After a restart every screen connects at once: gevent's listen backlog (128) would drop
    # the connections beyond it until their TCP retries, seconds later.
    return pywsgi.WSGIServer(
        (host, port), app, handler_class=FairHandler, log=None, backlog=LISTEN_BACKLOG
    )


# Connections waiting to be accepted (the kernel caps it at net.core.somaxconn, 4096 here).
LISTEN_BACKLOG = 2048


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve hallq with gevent (HTTP and Socket.IO on one port)."""
    from . import create_app
    from .services import demo as demo_service

    # The real server drives the serial LED boards and evaluator keypads (HALLQ_DEVICE_WORKERS=0
    # leaves them to another process), sends kiosk tickets to their printers (HALLQ_PRINTING=0:
    # no kiosk of the deployment prints through the server), runs the periodic jobs
    # (HALLQ_SCHEDULER=0: not here) and sends each hall's queue figures at most every
    # HALLQ_QUEUE_CHANGED_MS (0: with each change).
    # Ticket and booking QR codes send phones to HALLQ_PUBLIC_URL, else to where this listens.
    public_url = os.environ.get("HALLQ_PUBLIC_URL") or config.public_url_for(host, port)
    app = create_app(
        {
            "PUBLIC_URL": public_url,
            "DEVICE_WORKERS": os.environ.get("HALLQ_DEVICE_WORKERS", "1") != "0",
            "PRINTING": os.environ.get("HALLQ_PRINTING", "1") != "0",
            "SCHEDULER": os.environ.get("HALLQ_SCHEDULER", "1") != "0",
            "QUEUE_CHANGED_INTERVAL": float(os.environ.get("HALLQ_QUEUE_CHANGED_MS", "500")) / 1000,
        }
    )
    base = f"http://{host}:{port}"
    deps = app.extensions["hallq"]
    # What start-up made (the app, its routes, compiled statements) lives as long as the process:
    # keep it out of the garbage collector's full passes, which otherwise stall every screen.
    gc.collect()
    gc.freeze()
    # Listen before saying so: whoever reads "serving at" may connect at once.
    server = _make_server(app, host, port)
    server.init_socket()
    with deps.db.reading() as session:
        from sqlalchemy import select

        from .store import tables

        first = session.scalar(select(tables.halls.c.id).order_by(tables.halls.c.id).limit(1))
    click.echo(f"hallq serving at {base}  (database: {deps.db.engine.url.render_as_string()})")
    if first is None or demo_service.database_is_empty(deps):
        click.echo("  no hall yet: run `hallq demo` to seed the demo hall")
    else:
        click.echo(f"  kiosk:    {base}/kiosk/{first}")
        click.echo(f"  counter:  {base}/counter")
        click.echo(f"  display:  {base}/display/hall/{first}")
        click.echo(f"  admin:    {base}/admin")
    click.echo(f"  phones (ticket and booking QR codes) are sent to {public_url}")
    if config.is_loopback(public_url):
        click.echo(
            f"  warning: {public_url} is this machine only; phones cannot reach it. "
            "Serve with --host 0.0.0.0 (or the hall network's address), or set HALLQ_PUBLIC_URL."
            " / 警告：手机无法访问本机回环地址，二维码将无效；"
            "请用 --host 0.0.0.0 启动，或设置 HALLQ_PUBLIC_URL。"
        )
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    cli()
